// Markers reach the runner through XDIST_MARKER_FILE at listing time. This test lists
// its own binary with that variable set and checks the records that come back.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

namespace {

constexpr int kFirstMarkerLine = __LINE__ + 2;
// clang-format off
XDIST_NO_PARALLEL("binds the \"real\" port\tas root");
XDIST_RESOURCE_LOCK("file:/tmp/x.log");
TEST(MarkedSuite, Stacked) {}

XDIST_GROUP("db");
TEST(MarkedSuite, Grouped) {}

XDIST_RESOURCE_LOCK_SHARED("env:HOME");
XDIST_NEEDS_NETWORK("downloads");
TEST(MarkedSuite, Shared) {}

XDIST_NO_PARALLEL_SUITE(WholeSuite, "uses a singleton");
TEST(WholeSuite, One) {}
// clang-format on

std::vector<std::string> ListOwnMarkers(const std::string& marker_file) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const pid_t pid = fork();
  if (pid == 0) {
    ::setenv(xdist::kMarkerFileEnv, marker_file.c_str(), 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execl(self.c_str(), self.c_str(), "--gtest_list_tests", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::vector<std::string> lines;
  std::ifstream in(marker_file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Record(const char* kind, int line, const char* suite, const char* value) {
  return std::string("{\"v\":1,\"kind\":\"") + kind + "\",\"file\":\"" + __FILE__ +
         "\",\"line\":" + std::to_string(line) + ",\"suite\":\"" + suite +
         "\",\"value\":\"" + value + "\"}";
}

}  // namespace

TEST(Markers, AreInertWithoutTheRunner) {
  // This process was started without XDIST_MARKER_FILE, so no file was written and
  // the marked tests above ran as ordinary tests.
  EXPECT_EQ(std::getenv(xdist::kMarkerFileEnv), nullptr);
}

TEST(Markers, ReachTheRunnerAtListingTimeWithFileLineAndEscapedValues) {
  const std::string marker_file = xdist::TempPath("markers.jsonl");
  const std::vector<std::string> records = ListOwnMarkers(marker_file);
  const int l = kFirstMarkerLine;
  EXPECT_EQ(records, (std::vector<std::string>{
                         Record("no_parallel", l, "", "binds the \\\"real\\\" port\\tas root"),
                         Record("resource_lock", l + 1, "", "file:/tmp/x.log"),
                         Record("group", l + 4, "", "db"),
                         Record("resource_lock_shared", l + 7, "", "env:HOME"),
                         Record("needs_network", l + 8, "", "downloads"),
                         Record("no_parallel_suite", l + 11, "WholeSuite", "uses a singleton"),
                     }));
}

TEST(Markers, AppendToAFileOtherBinariesAlreadyWrote) {
  const std::string marker_file = xdist::TempPath("shared.jsonl");
  std::ofstream(marker_file) << "{\"other\":1}\n";
  const std::vector<std::string> records = ListOwnMarkers(marker_file);
  ASSERT_EQ(records.size(), 7u);
  EXPECT_EQ(records.front(), "{\"other\":1}");
}
