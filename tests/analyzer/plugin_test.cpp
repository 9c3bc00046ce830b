// The clang-tidy plugin through the real clang-tidy-19 --load, configured by .clang-tidy.
#include <gtest/gtest.h>

#include <xdist/xdist.h>

#include <filesystem>
#include <string>

#include "VersionGuard.h"
#include "tool_runner.h"

namespace {

namespace fs = std::filesystem;
using xdist::testing_support::Quote;
using xdist::testing_support::ReadText;
using xdist::testing_support::RunTool;
using xdist::testing_support::ToolResult;
using xdist::testing_support::WriteText;

constexpr const char* kSource = R"(#include <gtest/gtest.h>

#include <cstdio>

TEST(Plugin, UsesScratch) {
  std::remove("/scratch/plugin.out");
}

TEST(Plugin, UsesTmp) {
  std::remove("/tmp/plugin.out");
}
)";

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = xdist::TempPath("plugin");
    WriteText(root_ / "plugin_test.cpp", kSource);
    // CheckOptions reach the check: only /scratch counts as a shared temp directory.
    WriteText(root_ / ".clang-tidy",
              "Checks: '-*,xdist-*'\n"
              "CheckOptions:\n"
              "  xdist-hardcoded-tmp-path.TempDirectories: '/scratch'\n");
  }

  ToolResult Tidy(const std::string& extra) {
    return RunTool(root_, Quote(XDIST_CLANG_TIDY) + " --load=" + Quote(XDIST_PLUGIN) +
                              " --checks='-*,xdist-*' " + extra +
                              " plugin_test.cpp -- -std=c++17 -I" + Quote(XDIST_INCLUDE_DIR));
  }

  fs::path root_;
};

TEST_F(PluginTest, ReportsThroughClangTidy) {
  const ToolResult result = Tidy("");
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("plugin_test.cpp:6:15: warning: test 'Plugin.UsesScratch' passes "
                            "fixed path '/scratch/plugin.out' to remove; tests running in "
                            "parallel share it [xdist-hardcoded-tmp-path]"),
            std::string::npos)
      << result.out << result.err;
  EXPECT_EQ(result.out.find("/tmp/plugin.out"), std::string::npos) << result.out;
}

TEST_F(PluginTest, FixesThroughClangTidy) {
  const ToolResult result = Tidy("--fix");
  EXPECT_EQ(result.status, 0) << result.err;
  const std::string fixed = ReadText(root_ / "plugin_test.cpp");
  EXPECT_NE(fixed.find("std::remove(xdist::TempPath(\"plugin.out\").c_str());"), std::string::npos)
      << fixed;
  EXPECT_NE(fixed.find("#include <gtest/gtest.h>\n#include <xdist/xdist.h>\n"), std::string::npos)
      << fixed;
}

TEST_F(PluginTest, FixesOfSeveralChecksShareOneIncludeAndStackMarkers) {
  WriteText(root_ / "plugin_test.cpp",
            "#include <gtest/gtest.h>\n\n#include <cstdio>\n#include <cstdlib>\n\n"
            "TEST(Both, Markers) {\n"
            "  const char* p = \"/scratch/m.txt\";\n"
            "  std::remove(p);\n"
            "  setenv(\"EDITOR\", \"vi\", 0);\n"
            "}\n");
  const ToolResult result = Tidy("--fix");
  EXPECT_EQ(result.status, 0) << result.err;
  const std::string fixed = ReadText(root_ / "plugin_test.cpp");
  EXPECT_EQ(fixed,
            "#include <gtest/gtest.h>\n#include <xdist/xdist.h>\n\n#include <cstdio>\n"
            "#include <cstdlib>\n\n"
            "XDIST_RESOURCE_LOCK(\"file:/scratch/m.txt\");\n"
            "XDIST_RESOURCE_LOCK(\"env:EDITOR\");\n"
            "TEST(Both, Markers) {\n"
            "  const char* p = \"/scratch/m.txt\";\n"
            "  std::remove(p);\n"
            "  setenv(\"EDITOR\", \"vi\", 0);\n"
            "}\n");
}

TEST_F(PluginTest, ChecksAreListed) {
  const ToolResult result = Tidy("--list-checks");
  EXPECT_NE(result.out.find("xdist-hardcoded-tmp-path"), std::string::npos) << result.out;
}

TEST(VersionGuard, AcceptsTheSameMajorVersion) {
  EXPECT_EQ(xdist::analyzer::VersionMismatch(
                19, "Debian clang version 19.1.7 (++20250114103320+cd708029e0b2-1~exp1)"),
            std::nullopt);
}

TEST(VersionGuard, RefusesAnotherMajorVersionLoudly) {
  const auto message = xdist::analyzer::VersionMismatch(19, "clang version 22.0.0git");
  ASSERT_TRUE(message.has_value());
  EXPECT_NE(message->find("built for clang-tidy 19"), std::string::npos) << *message;
  EXPECT_NE(message->find("loaded into clang-tidy 22"), std::string::npos) << *message;
}

TEST(VersionGuard, RefusesAnUnknownVersion) {
  EXPECT_TRUE(xdist::analyzer::VersionMismatch(19, "").has_value());
  EXPECT_EQ(xdist::analyzer::ClangMajorVersion("clang version 7.0.1"), 7);
  EXPECT_EQ(xdist::analyzer::ClangMajorVersion("gcc 12"), std::nullopt);
}

}  // namespace
