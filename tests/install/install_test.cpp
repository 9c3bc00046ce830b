// Installs this build into a fresh prefix and builds a consumer project against it.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

namespace fs = std::filesystem;

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Built with += because GCC 12 reports a false -Wrestrict for "'" + std::string at -O3.
std::string Quote(const fs::path& path) {
  std::string quoted = "'";
  quoted += path.string();
  quoted += '\'';
  return quoted;
}

class InstallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new fs::path(xdist::TempPath("prefix"));
    install_ = new CommandResult(RunCommand(std::string(XDIST_CMAKE_COMMAND) + " --install " +
                                     Quote(XDIST_BUILD_DIR) + " --prefix " + Quote(*prefix_)));
  }
  static void TearDownTestSuite() {
    delete install_;
    delete prefix_;
  }
  static fs::path* prefix_;
  static CommandResult* install_;
};

fs::path* InstallTest::prefix_ = nullptr;
CommandResult* InstallTest::install_ = nullptr;

TEST_F(InstallTest, GivesTheDocumentedLayout) {
  ASSERT_EQ(install_->exit_code, 0) << install_->output;
  const fs::path& prefix = *prefix_;
  EXPECT_TRUE(fs::is_regular_file(prefix / "bin/xdist-run"));
  EXPECT_TRUE(fs::is_regular_file(prefix / "include/xdist/xdist.h"));
  EXPECT_TRUE(fs::is_regular_file(prefix / "lib/cmake/xdist/xdistConfig.cmake"));
  EXPECT_TRUE(fs::is_regular_file(prefix / "lib/cmake/xdist/xdistConfigVersion.cmake"));
  if (XDIST_EXPECT_ANALYZER) {
    EXPECT_TRUE(fs::is_regular_file(prefix / "bin/xdist-lint"));
    EXPECT_TRUE(fs::is_regular_file(prefix / "lib/libxdist-tidy.so"));
  }
}

TEST_F(InstallTest, ConsumerProjectBuildsWithWarningsAsErrorsAndPasses) {
  ASSERT_EQ(install_->exit_code, 0) << install_->output;
  const fs::path build = xdist::TempPath("consumer-build");
  const CommandResult configure = RunCommand(
      std::string(XDIST_CMAKE_COMMAND) + " -S " + Quote(XDIST_CONSUMER_SOURCE_DIR) + " -B " +
      Quote(build) + " -G Ninja -DCMAKE_MAKE_PROGRAM=" + Quote(XDIST_MAKE_PROGRAM) +
      " -DCMAKE_PREFIX_PATH=" + Quote(*prefix_));
  ASSERT_EQ(configure.exit_code, 0) << configure.output;
  EXPECT_NE(configure.output.find("XDIST_RUN_EXECUTABLE=" + (*prefix_ / "bin/xdist-run").string()),
            std::string::npos)
      << configure.output;
  if (XDIST_EXPECT_ANALYZER) {
    EXPECT_NE(configure.output.find("XDIST_LINT_EXECUTABLE=" +
                                    (*prefix_ / "bin/xdist-lint").string()),
              std::string::npos)
        << configure.output;
    EXPECT_NE(configure.output.find("XDIST_CLANG_TIDY_PLUGIN=" +
                                    (*prefix_ / "lib/libxdist-tidy.so").string()),
              std::string::npos)
        << configure.output;
  }

  const CommandResult build_result =
      RunCommand(std::string(XDIST_CMAKE_COMMAND) + " --build " + Quote(build));
  ASSERT_EQ(build_result.exit_code, 0) << build_result.output;

  // The consumer checks the defaults seen outside xdist-run, which may be running us.
  const CommandResult run = RunCommand("env -u XDIST_WORKER -u XDIST_WORKER_COUNT " +
                                       Quote(build / "consumer_test"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 4 tests."), std::string::npos) << run.output;
}

}  // namespace
