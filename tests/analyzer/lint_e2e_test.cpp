// xdist-lint end to end on a small CMake project that uses the real GoogleTest.
#include <gtest/gtest.h>

#include <xdist/xdist.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tool_runner.h"

namespace {

namespace fs = std::filesystem;
using xdist::testing_support::Quote;
using xdist::testing_support::ReadText;
using xdist::testing_support::RunTool;
using xdist::testing_support::ToolResult;
using xdist::testing_support::WriteText;

constexpr const char* kCacheTest = R"(#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

TEST(Cache, Creates) {
  std::FILE* file = std::fopen("/tmp/xdist-e2e-cache.bin", "w");
  ASSERT_NE(file, nullptr);
  std::fclose(file);
}

TEST(Cache, ComparesOnly) {
  const std::string expected = "/tmp/xdist-e2e-cache.bin";
  EXPECT_EQ(expected.size(), 24u);
}

TEST(Cache, SharedLog) {
  const char* path = "/tmp/xdist-e2e-shared.log";
  std::ofstream(path) << "cache";
}
)";

// GoogleTest through a header of the project's own, as many projects do: still a test file.
constexpr const char* kStoreTest = R"(#include "test_support.h"

#include <fstream>

TEST(Store, SharedLog) {
  const char* path = "/tmp/xdist-e2e-shared.log";
  std::ofstream(path) << "store";
}
)";

class LintEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = xdist::TempPath("project");
    fs::remove_all(root_);
    WriteText(root_ / "src/CMakeLists.txt",
              "cmake_minimum_required(VERSION 3.20)\n"
              "project(e2e CXX)\n"
              "set(CMAKE_CXX_STANDARD 17)\n"
              "find_package(GTest REQUIRED)\n"
              "add_executable(e2e_tests cache_test.cpp store_test.cpp)\n"
              "target_include_directories(e2e_tests PRIVATE \"" XDIST_INCLUDE_DIR "\")\n"
              "target_link_libraries(e2e_tests GTest::gtest GTest::gtest_main)\n");
    WriteText(root_ / "src/cache_test.cpp", kCacheTest);
    WriteText(root_ / "src/store_test.cpp", kStoreTest);
    WriteText(root_ / "src/test_support.h", "#pragma once\n#include <gtest/gtest.h>\n");
    const ToolResult configure =
        RunTool(root_, Quote(XDIST_CMAKE_COMMAND) + " -S src -B build -G Ninja -DCMAKE_MAKE_PROGRAM=" +
                           Quote(XDIST_MAKE_PROGRAM) + " -DCMAKE_EXPORT_COMPILE_COMMANDS=ON");
    ASSERT_EQ(configure.status, 0) << configure.out << configure.err;
  }

  ToolResult Lint(const std::string& arguments) {
    return RunTool(root_, Quote(XDIST_LINT) + " -p build " + arguments);
  }

  fs::path root_;
};

TEST_F(LintEndToEnd, ReportsFindingsAndExitsOne) {
  const ToolResult result = Lint("-j 2");
  EXPECT_EQ(result.status, 1) << result.err;
  EXPECT_NE(result.out.find("cache_test.cpp:8:32: warning: test 'Cache.Creates' passes fixed path "
                            "'/tmp/xdist-e2e-cache.bin' to fopen"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("store_test.cpp:6:22: warning: test 'Store.SharedLog'"),
            std::string::npos)
      << result.out;
  // Only compared, never opened: not a finding.
  EXPECT_EQ(result.out.find("Cache.ComparesOnly"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 tests use file:/tmp/xdist-e2e-shared.log: Cache.SharedLog"),
            std::string::npos)
      << result.out;
}

TEST_F(LintEndToEnd, PrintsJson) {
  const ToolResult result = Lint("--format=json");
  EXPECT_EQ(result.status, 1) << result.err;
  const nlohmann::json findings = nlohmann::json::parse(result.out);
  ASSERT_TRUE(findings.is_array());
  ASSERT_EQ(findings.size(), 3u) << result.out;
  const nlohmann::json& first = findings[0];
  EXPECT_EQ(first["check"], "xdist-hardcoded-tmp-path");
  EXPECT_EQ(fs::path(first["file"].get<std::string>()).filename(), "cache_test.cpp");
  EXPECT_EQ(first["line"], 8);
  EXPECT_EQ(first["column"], 32);
  EXPECT_EQ(first["test"], "Cache.Creates");
  EXPECT_EQ(first["resource"], "file:/tmp/xdist-e2e-cache.bin");
  EXPECT_EQ(first["scope"], "cross-process");
  EXPECT_EQ(first["fix"], "fix-it");
  EXPECT_EQ(first["handled"], false);
  EXPECT_EQ(findings[1]["fix"], "marker");
  // The two tests sharing a log are in different files: no note (notes stay within a
  // translation unit), but the summary on stderr names both.
  EXPECT_TRUE(findings[1]["notes"].empty());
  EXPECT_NE(result.err.find("2 tests use file:/tmp/xdist-e2e-shared.log"), std::string::npos)
      << result.err;
  // The compiler's own tally would repeat, per file, what the findings already say.
  EXPECT_EQ(result.err.find("generated."), std::string::npos) << result.err;
}

TEST_F(LintEndToEnd, FixTwiceCompilesAndChangesNothingTheSecondTime) {
  const ToolResult first = Lint("--fix");
  EXPECT_EQ(first.status, 0) << first.out << first.err;
  const std::string cache = ReadText(root_ / "src/cache_test.cpp");
  const std::string store = ReadText(root_ / "src/store_test.cpp");
  EXPECT_NE(cache.find("std::fopen(xdist::TempPath(\"xdist-e2e-cache.bin\").c_str(), \"w\")"),
            std::string::npos)
      << cache;
  EXPECT_NE(cache.find("#include <gtest/gtest.h>\n#include <xdist/xdist.h>\n"), std::string::npos)
      << cache;
  EXPECT_NE(cache.find("XDIST_RESOURCE_LOCK(\"file:/tmp/xdist-e2e-shared.log\");\n"
                       "TEST(Cache, SharedLog)"),
            std::string::npos)
      << cache;
  EXPECT_NE(cache.find("const std::string expected = \"/tmp/xdist-e2e-cache.bin\";"),
            std::string::npos)
      << "data literal rewritten:\n"
      << cache;
  EXPECT_NE(store.find("XDIST_RESOURCE_LOCK(\"file:/tmp/xdist-e2e-shared.log\");\n"
                       "TEST(Store, SharedLog)"),
            std::string::npos)
      << store;

  const ToolResult build = RunTool(root_, Quote(XDIST_CMAKE_COMMAND) + " --build build");
  EXPECT_EQ(build.status, 0) << build.out << build.err;

  const ToolResult second = Lint("--fix");
  EXPECT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_EQ(ReadText(root_ / "src/cache_test.cpp"), cache);
  EXPECT_EQ(ReadText(root_ / "src/store_test.cpp"), store);
  EXPECT_NE(second.out.find("0 findings"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("2 handled by markers"), std::string::npos) << second.out;
}

TEST_F(LintEndToEnd, ExportsFixesWithoutTouchingSources) {
  const ToolResult result = Lint("--export-fixes=fixes.yaml");
  EXPECT_EQ(result.status, 1) << result.err;
  const std::string yaml = ReadText(root_ / "fixes.yaml");
  EXPECT_NE(yaml.find("Diagnostics:"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("DiagnosticName:  xdist-hardcoded-tmp-path"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("xdist::TempPath(\"xdist-e2e-cache.bin\").c_str()"), std::string::npos)
      << yaml;
  EXPECT_EQ(ReadText(root_ / "src/cache_test.cpp"), kCacheTest);
}

TEST_F(LintEndToEnd, ClosedPipeDoesNotLoseExportedFixes) {
  const ToolResult result =
      RunTool(root_, "(" + Quote(XDIST_LINT) + " -p build --export-fixes=fixes.yaml; echo $? >status) | head -c 1");
  EXPECT_NE(ReadText(root_ / "fixes.yaml").find("ReplacementText"), std::string::npos);
  EXPECT_EQ(ReadText(root_ / "status"), "1\n");
}

TEST_F(LintEndToEnd, FileThatDoesNotParseIsNamedAndOthersStillAnalysed) {
  WriteText(root_ / "src/broken_test.cpp",
            "#include <gtest/gtest.h>\nTEST(Broken, Parses) { this is not C++ }\n");
  WriteText(root_ / "src/CMakeLists.txt",
            ReadText(root_ / "src/CMakeLists.txt") + "add_library(broken OBJECT broken_test.cpp)\n");
  ASSERT_EQ(RunTool(root_, Quote(XDIST_CMAKE_COMMAND) + " build").status, 0);
  const ToolResult result = Lint("src/broken_test.cpp src/cache_test.cpp");
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("cannot analyse " + (root_ / "src/broken_test.cpp").string() + ": " +
                            (root_ / "src/broken_test.cpp").string() + ":2:"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("Cache.Creates"), std::string::npos) << result.out;
}

TEST_F(LintEndToEnd, FixLeavesAFileWithCompileErrorsAlone) {
  // The hazard is found (clang recovers from the error), but edits planned on a file
  // that does not compile are not trusted: a later run would add them again.
  const std::string broken =
      "#include <gtest/gtest.h>\n\n#include <cstdio>\n\n"
      "TEST(Broken, Writes) {\n"
      "  std::FILE* file = std::fopen(\"/tmp/xdist-e2e-broken.bin\", \"w\");\n"
      "  std::fclose(file);\n"
      "  NotDeclaredAnywhere();\n"
      "}\n";
  WriteText(root_ / "src/broken_test.cpp", broken);
  WriteText(root_ / "src/CMakeLists.txt",
            ReadText(root_ / "src/CMakeLists.txt") + "add_library(broken OBJECT broken_test.cpp)\n");
  ASSERT_EQ(RunTool(root_, Quote(XDIST_CMAKE_COMMAND) + " build").status, 0);
  const ToolResult result = Lint("--fix src/broken_test.cpp src/cache_test.cpp");
  EXPECT_EQ(result.status, 2) << result.err;
  EXPECT_EQ(ReadText(root_ / "src/broken_test.cpp"), broken);
  EXPECT_NE(result.err.find("fixes for " + (root_ / "src/broken_test.cpp").string() +
                            " were not applied"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("Broken.Writes"), std::string::npos) << result.out;
  // The file that compiles is still fixed.
  EXPECT_NE(ReadText(root_ / "src/cache_test.cpp").find("xdist::TempPath(\"xdist-e2e-cache.bin\")"),
            std::string::npos);
}

TEST_F(LintEndToEnd, MissingDatabaseIsAUsageError) {
  const ToolResult result = RunTool(root_, Quote(XDIST_LINT) + " -p no-such-dir");
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("no compilation database in no-such-dir"), std::string::npos)
      << result.err;
}

TEST_F(LintEndToEnd, BrokenConfigIsAUsageError) {
  WriteText(root_ / "src/.xdist-lint.yaml", "CheckOptions: [unclosed\n");
  const ToolResult result = Lint("");
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("invalid configuration " + (root_ / "src/.xdist-lint.yaml").string()),
            std::string::npos)
      << result.err;
}

TEST_F(LintEndToEnd, ConfigOptionsUseClangTidyKeys) {
  WriteText(root_ / "src/.xdist-lint.yaml",
            "CheckOptions:\n  xdist-hardcoded-tmp-path.TempDirectories: '/var/tmp'\n");
  const ToolResult result = Lint("");
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("0 findings"), std::string::npos) << result.out;
}

TEST_F(LintEndToEnd, UnknownOptionIsAUsageError) {
  EXPECT_EQ(Lint("--no-such-option").status, 2);
  EXPECT_EQ(Lint("--format=xml").status, 2);
}

constexpr const char* kHazardTest = R"(#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

int g_retries = 3;

bool Listen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<unsigned short>(port));
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return bound;
}

TEST(Hazards, WritesTmp) {
  std::ofstream("/tmp/xdist-e2e-hazard.txt") << "x";
  std::ifstream in("/tmp/xdist-e2e-hazard.txt");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "x");
}

TEST(Hazards, BindsPort) {
  ASSERT_TRUE(Listen(8080));
}

TEST(Hazards, SetsEnvironment) {
  setenv("XDIST_E2E_MODE", "fast", 1);
  EXPECT_STREQ(std::getenv("XDIST_E2E_MODE"), "fast");
}

TEST(Hazards, WritesGlobal) {
  g_retries = 0;
  EXPECT_EQ(g_retries, 0);
}

TEST(Hazards, SharedLogGetsAMarker) {
  const char* path = "/tmp/xdist-e2e-marker.log";
  std::ofstream(path) << "log";
}
)";

// Every hazard class in one project: --fix gives code that compiles and passes when
// run serially, and a second --fix changes nothing.
TEST(LintHazards, FixedProjectBuildsPassesAndStaysFixed) {
  const fs::path root = xdist::TempPath("hazards");
  fs::remove_all(root);
  WriteText(root / "src/CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.20)\n"
            "project(hazards CXX)\n"
            "set(CMAKE_CXX_STANDARD 17)\n"
            "find_package(GTest REQUIRED)\n"
            "add_executable(hazard_tests hazard_test.cpp)\n"
            "target_include_directories(hazard_tests PRIVATE \"" XDIST_INCLUDE_DIR "\")\n"
            "target_link_libraries(hazard_tests GTest::gtest GTest::gtest_main)\n");
  WriteText(root / "src/hazard_test.cpp", kHazardTest);
  const std::string cmake = Quote(XDIST_CMAKE_COMMAND);
  ASSERT_EQ(RunTool(root, cmake + " -S src -B build -G Ninja -DCMAKE_MAKE_PROGRAM=" +
                              Quote(XDIST_MAKE_PROGRAM) + " -DCMAKE_EXPORT_COMPILE_COMMANDS=ON")
                .status,
            0);

  const ToolResult before = RunTool(root, Quote(XDIST_LINT) + " -p build --format=json");
  EXPECT_EQ(before.status, 1) << before.err;
  const nlohmann::json findings = nlohmann::json::parse(before.out);
  std::set<std::string> checks;
  std::set<std::string> scopes;
  for (const nlohmann::json& finding : findings) {
    checks.insert(finding["check"].get<std::string>());
    scopes.insert(finding["scope"].get<std::string>());
  }
  EXPECT_EQ(checks, (std::set<std::string>{"xdist-fixed-port", "xdist-hardcoded-tmp-path",
                                           "xdist-mutable-global", "xdist-process-state"}))
      << before.out;
  EXPECT_EQ(scopes, (std::set<std::string>{"cross-process", "in-process"}));

  const ToolResult fix = RunTool(root, Quote(XDIST_LINT) + " -p build --fix");
  EXPECT_EQ(fix.status, 0) << fix.out << fix.err;
  const std::string fixed = ReadText(root / "src/hazard_test.cpp");
  for (const char* expected :
       {"std::ofstream(xdist::TempPath(\"xdist-e2e-hazard.txt\")) << \"x\";",
        "ASSERT_TRUE(Listen(xdist::UnusedTcpPort()));",
        "xdist::ScopedEnv env_xdist_e2e_mode(\"XDIST_E2E_MODE\", \"fast\");",
        "xdist::ScopedRestore restore_g_retries(g_retries);",
        "XDIST_RESOURCE_LOCK(\"file:/tmp/xdist-e2e-marker.log\");\nTEST(Hazards, SharedLogGetsAMarker)"}) {
    EXPECT_NE(fixed.find(expected), std::string::npos) << expected << " not in:\n" << fixed;
  }

  const ToolResult build = RunTool(root, cmake + " --build build");
  ASSERT_EQ(build.status, 0) << build.out << build.err;
  const ToolResult run = RunTool(root, "build/hazard_tests");
  EXPECT_EQ(run.status, 0) << run.out << run.err;

  const ToolResult again = RunTool(root, Quote(XDIST_LINT) + " -p build --fix");
  EXPECT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_EQ(ReadText(root / "src/hazard_test.cpp"), fixed);
}

}  // namespace
