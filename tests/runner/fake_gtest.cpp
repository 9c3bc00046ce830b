// A GoogleTest binary that misbehaves on purpose, for the runner's end-to-end tests.
// Every misbehaving test only misbehaves when XDIST_FAKE_MODE=1 is set (the end-to-end
// tests set it); run plainly, they skip, so the binary is harmless anywhere.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <xdist/xdist.h>

namespace {

bool FakeMode() {
  const char* mode = std::getenv("XDIST_FAKE_MODE");
  return mode != nullptr && std::strcmp(mode, "1") == 0;
}

#define REQUIRE_FAKE_MODE() \
  if (!FakeMode()) GTEST_SKIP() << "set XDIST_FAKE_MODE=1 to misbehave"

// Records a pid in the file named by XDIST_FAKE_PIDFILE, so tests can check it is gone.
void RecordPid(pid_t pid) {
  const char* path = std::getenv("XDIST_FAKE_PIDFILE");
  if (path == nullptr) return;
  if (std::FILE* file = std::fopen(path, "a")) {
    std::fprintf(file, "%d\n", static_cast<int>(pid));
    std::fclose(file);
  }
}

// Forks a grandchild that keeps stdout (the runner's pipe) open for a long time.
void SpawnLingeringGrandchild() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (int i = 0; i < 600; ++i) ::sleep(1);
    ::_exit(0);
  }
  RecordPid(pid);
}

}  // namespace

TEST(Fake, Passes) { SUCCEED(); }

TEST(Fake, Fails) {
  REQUIRE_FAKE_MODE();
  EXPECT_EQ(1, 2) << "expected failure";
}

TEST(Fake, Skips) { GTEST_SKIP() << "skipped on purpose"; }

TEST(Fake, DISABLED_NeverRuns) { FAIL() << "disabled tests must not run"; }

TEST(Fake, PrintsFakeOkThenFails) {
  REQUIRE_FAKE_MODE();
  std::printf("[       OK ] Fake.PrintsFakeOkThenFails (0 ms)\n");
  std::fflush(stdout);
  ADD_FAILURE() << "real failure after a fake OK line";
}

TEST(Fake, PrintsFakeFailedThenPasses) {
  std::printf("[  FAILED  ] Fake.PrintsFakeFailedThenPasses (0 ms)\n");
  std::printf("[ RUN      ] Fake.Passes\n");
  std::printf("[  FAILED  ] Fake.Passes (0 ms)\n");
}

TEST(Fake, NoTrailingNewline) {
  std::printf("partial line without newline");
  std::fflush(stdout);
}

TEST(Fake, Floods) {
  REQUIRE_FAKE_MODE();
  const std::string line(1023, 'x');
  for (int i = 0; i < 16 * 1024; ++i) {
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fputs(line.c_str(), stderr);
    std::fputc('\n', stderr);
  }
}

TEST(Fake, LeavesGrandchildHoldingPipe) {
  REQUIRE_FAKE_MODE();
  SpawnLingeringGrandchild();
}

TEST(Fake, WritesWorkerEnvironment) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const char* worker = std::getenv("XDIST_WORKER");
  if (FakeMode()) {
    ASSERT_NE(dir, nullptr);
    ASSERT_NE(worker, nullptr);
    EXPECT_EQ(std::getenv("GTEST_SHARD_INDEX"), nullptr);
    EXPECT_EQ(std::getenv("GTEST_TOTAL_SHARDS"), nullptr);
  }
}

// Fails on its first run and passes on the next (with XDIST_FAKE_FLAKY_FILE set).
TEST(Flaky, FailsOnce) {
  const char* path = std::getenv("XDIST_FAKE_FLAKY_FILE");
  if (!FakeMode() || path == nullptr) GTEST_SKIP() << "set XDIST_FAKE_FLAKY_FILE";
  if (std::FILE* seen = std::fopen(path, "r")) {
    std::fclose(seen);
    return;
  }
  if (std::FILE* mark = std::fopen(path, "w")) std::fclose(mark);
  FAIL() << "first attempt fails";
}

TEST(Crash, Segfaults) {
  REQUIRE_FAKE_MODE();
  std::printf("about to crash\n");
  std::fflush(stdout);
  ::raise(SIGSEGV);
}

TEST(Crash, Aborts) {
  REQUIRE_FAKE_MODE();
  std::abort();
}

TEST(Crash, ExitsZeroMidTest) {
  REQUIRE_FAKE_MODE();
  std::exit(0);
}

TEST(Crash, RunsAfterTheCrashes) { SUCCEED(); }

TEST(Hang, Sleeps) {
  REQUIRE_FAKE_MODE();
  SpawnLingeringGrandchild();
  for (;;) ::pause();
}

TEST(Hang, RunsAfterTheHang) { SUCCEED(); }

XDIST_NO_PARALLEL("checks that it runs alone");
TEST(Markers, Alone) { SUCCEED(); }

XDIST_GROUP("pair");
TEST(Markers, GroupedFirst) { SUCCEED(); }

XDIST_GROUP("pair");
XDIST_RESOURCE_LOCK("port:8080");
TEST(Markers, GroupedSecondWithLock) { SUCCEED(); }

XDIST_RESOURCE_LOCK_SHARED("port:8080");
TEST(Markers, SharedLock) { SUCCEED(); }

XDIST_NEEDS_NETWORK("talks to the world");
TEST(Markers, NeedsNetwork) { SUCCEED(); }
