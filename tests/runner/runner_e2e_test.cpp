// Runs the real xdist-run on the fake GoogleTest binary and checks what it reports.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <pugixml.hpp>
#include <xdist/xdist.h>

namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Starts xdist-run with `args` and extra environment `env`, stdout+stderr into `log`.
pid_t StartRunner(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (const std::string& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(126);
    std::vector<char*> argv = {const_cast<char*>(XDIST_RUN_PATH)};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(XDIST_RUN_PATH, argv.data());
    ::_exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class RunnerE2E : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_); }

  RunResult Run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    env.push_back("XDIST_FAKE_MODE=1");
    env.push_back("XDIST_FAKE_PIDFILE=" + pidfile_);
    args.insert(args.begin(), {"--cache-dir", cache_});
    const pid_t pid = StartRunner(args, env, log_);
    RunResult result;
    result.exit_code = WaitExit(pid);
    result.output = ReadFile(log_);
    return result;
  }

  static bool HasLine(const std::string& output, const std::string& line) {
    std::istringstream lines(output);
    for (std::string each; std::getline(lines, each);) {
      if (each == line) return true;
    }
    return false;
  }

  static bool Contains(const std::string& output, const std::string& text) {
    return output.find(text) != std::string::npos;
  }

  /// Every pid the fake binary's grandchildren recorded has gone.
  void ExpectNoGrandchildSurvives() {
    std::istringstream pids(ReadFile(pidfile_));
    for (int pid; pids >> pid;) {
      bool gone = false;
      for (int i = 0; i < 200 && !gone; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        gone = !std::getline(stat, line) || line[line.rfind(')') + 2] == 'Z';
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      EXPECT_TRUE(gone) << "grandchild " << pid << " survived";
    }
  }

  const std::string fake_ = XDIST_FAKE_GTEST_PATH;
  const std::string dir_ = xdist::TempPath("e2e");
  const std::string cache_ = dir_ + "/cache";
  const std::string pidfile_ = dir_ + "/pids";
  const std::string log_ = dir_ + "/log";
};

TEST_F(RunnerE2E, ReportsEveryOutcomeOfTheFakeBinary) {
  const std::string junit = dir_ + "/junit.xml";
  const RunResult run = Run({"-n", "2", "--timeout", "5", "--junitxml", junit, fake_});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  for (const char* line :
       {"passed Fake.Passes", "failed Fake.Fails", "skipped Fake.Skips",
        "skipped (disabled) Fake.DISABLED_NeverRuns", "failed Fake.PrintsFakeOkThenFails",
        "passed Fake.PrintsFakeFailedThenPasses", "passed Fake.NoTrailingNewline",
        "passed Fake.Floods", "passed Fake.LeavesGrandchildHoldingPipe",
        "passed Fake.WritesWorkerEnvironment", "crashed with SIGSEGV Crash.Segfaults",
        "crashed with SIGABRT Crash.Aborts",
        "exited with status 0 before the test finished Crash.ExitsZeroMidTest",
        "passed Crash.RunsAfterTheCrashes", "timed out after 5 s Hang.Sleeps",
        "passed Hang.RunsAfterTheHang", "passed Markers.Alone", "passed Markers.GroupedFirst",
        "passed Markers.GroupedSecondWithLock", "passed Markers.SharedLock",
        "passed Markers.NeedsNetwork"}) {
    EXPECT_TRUE(Contains(run.output, std::string(line) + " (")) << line << "\n" << run.output;
  }
  EXPECT_TRUE(HasLine(run.output, "13 passed, 3 failed, 3 skipped, 2 crashed, 1 timed out"))
      << run.output;
  EXPECT_TRUE(Contains(run.output, "about to crash")) << "a crash shows the test's output";
  EXPECT_TRUE(Contains(run.output, "worker directories kept in "));

  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_file(junit.c_str());
  ASSERT_TRUE(parsed) << parsed.description();
  const pugi::xml_node root = document.child("testsuites");
  EXPECT_EQ(root.attribute("tests").as_int(), 22);
  EXPECT_EQ(root.attribute("failures").as_int(), 2);
  EXPECT_EQ(root.attribute("errors").as_int(), 4);
  EXPECT_EQ(root.attribute("skipped").as_int(), 3);
  const pugi::xpath_node crashed =
      document.select_node("//testcase[@name='Segfaults']/error[@type='SIGSEGV']");
  EXPECT_TRUE(crashed);
  EXPECT_TRUE(document.select_node("//testcase[@name='Fails']/failure"));
  ExpectNoGrandchildSurvives();
}

TEST_F(RunnerE2E, GreenRunExitsZeroAndRemovesItsDirectories) {
  const RunResult run =
      Run({"-n", "2", "-k", "Fake.Passes:Markers.*:Fake.WritesWorkerEnvironment", fake_},
          {"GTEST_TOTAL_SHARDS=1", "GTEST_SHARD_INDEX=0"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "7 passed, 0 failed")) << run.output;
  EXPECT_FALSE(Contains(run.output, "kept in"));
  EXPECT_TRUE(std::filesystem::exists(cache_ + "/durations.json"));
}

TEST_F(RunnerE2E, ShardVariablesAreNotPassedToTheTests) {
  const RunResult run = Run({"--shard", "1/1", "-k", "Fake.WritesWorkerEnvironment", fake_},
                            {"GTEST_TOTAL_SHARDS=2", "GTEST_SHARD_INDEX=1"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "1 passed, 0 failed")) << run.output;
}

TEST_F(RunnerE2E, ShardsFromTheEnvironmentSplitTheSuite) {
  std::size_t total = 0;
  for (int index = 0; index < 3; ++index) {
    const RunResult run = Run({"--collect-only", fake_},
                              {"GTEST_TOTAL_SHARDS=3", "GTEST_SHARD_INDEX=" + std::to_string(index)});
    EXPECT_EQ(run.exit_code == 0 || run.exit_code == 5, true) << run.output;
    const std::size_t at = run.output.find("shard " + std::to_string(index + 1) + "/3: ");
    ASSERT_NE(at, std::string::npos) << run.output;
    total += std::stoul(run.output.substr(run.output.find(": ", at) + 2));
  }
  EXPECT_EQ(total, 22u);
}

TEST_F(RunnerE2E, SerialModeRunsEachBinaryAsIs) {
  const RunResult run = Run({"-n", "0", "-k", "Fake.Passes:Fake.Skips", fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "1 passed, 0 failed, 1 skipped")) << run.output;
}

TEST_F(RunnerE2E, ExitCodesForUsageDiscoveryAndEmptyRuns) {
  EXPECT_EQ(Run({"-k", "Nothing.Matches", fake_}).exit_code, 5);
  const RunResult missing = Run({dir_ + "/no-such-binary"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(Contains(missing.output, "no-such-binary: no such file")) << missing.output;
  const RunResult not_gtest = Run({"/bin/true"});
  EXPECT_EQ(not_gtest.exit_code, 2);
  EXPECT_TRUE(Contains(not_gtest.output, "/bin/true: not a GoogleTest binary")) << not_gtest.output;
  EXPECT_EQ(Run({"--dist", "sideways", fake_}).exit_code, 2);
  EXPECT_EQ(Run({"--no-such-option", fake_}).exit_code, 2);
  EXPECT_EQ(Run({}).exit_code, 2);
}

TEST_F(RunnerE2E, ExitFirstStopsAfterOneFailure) {
  const RunResult run = Run({"-n", "1", "-x", "-k", "Fake.Fails:Fake.Passes:Crash.*", fake_});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(Contains(run.output, "stopped after 1 failure(s)")) << run.output;
  EXPECT_TRUE(Contains(run.output, "not run")) << run.output;
}

TEST_F(RunnerE2E, CollectOnlyShowsMarkersAndThePlan) {
  const RunResult run = Run({"--collect-only", "-n", "2", fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* text :
       {"Markers.Alone", "[no_parallel(checks that it runs alone)]", "[group(pair)]",
        "[resource_lock(port:8080)]", "[resource_lock_shared(port:8080)]",
        "[needs_network(talks to the world)]", "[disabled]", "collected 22 tests from 1 binaries",
        "plan: 2 worker(s), --dist load", "predicted makespan", "lower bound LB(2)"}) {
    EXPECT_TRUE(Contains(run.output, text)) << text << "\n" << run.output;
  }
  EXPECT_FALSE(std::filesystem::exists(cache_ + "/durations.json")) << "nothing ran";
}

// The line --collect-only prints for `test`.
std::string CollectedLine(const std::string& output, const std::string& test) {
  const std::size_t at = output.find("  " + test + "  ");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

TEST_F(RunnerE2E, FilterDoesNotMoveMarkersOfFilteredOutTests) {
  const RunResult run =
      Run({"--collect-only", "-k", "Markers.GroupedFirst:Markers.SharedLock", fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(Contains(run.output, "collected 2 tests")) << run.output;
  const std::string grouped = CollectedLine(run.output, "Markers.GroupedFirst");
  EXPECT_TRUE(Contains(grouped, "[group(pair)]")) << run.output;
  EXPECT_FALSE(Contains(grouped, "no_parallel")) << run.output;
  const std::string shared = CollectedLine(run.output, "Markers.SharedLock");
  EXPECT_TRUE(Contains(shared, "[resource_lock_shared(port:8080)]")) << run.output;
  EXPECT_FALSE(Contains(shared, "group")) << run.output;
  EXPECT_FALSE(Contains(shared, "[resource_lock(port:8080)")) << run.output;
}

// Issue 7: two concurrent invocations of one suite both pass. Each invocation alone keeps
// its two holders of "k" apart; only machine-wide locks keep the invocations apart.
TEST_F(RunnerE2E, ResourceLocksHoldAcrossConcurrentInvocations) {
  const std::string overlap = dir_ + "/overlap";
  const std::string locks = dir_ + "/locks";
  std::filesystem::create_directories(overlap);
  const std::vector<std::string> env = {"XDIST_OVERLAP_DIR=" + overlap, "XDIST_LOCK_DIR=" + locks};
  const std::string binary = XDIST_LOCK_OVERLAP_GTEST_PATH;
  for (int round = 0; round < 3; ++round) {
    const std::string log_a = dir_ + "/a.log";
    const std::string log_b = dir_ + "/b.log";
    const pid_t a = StartRunner({"--cache-dir", dir_ + "/cache-a", "-n", "2", binary}, env, log_a);
    const pid_t b = StartRunner({"--cache-dir", dir_ + "/cache-b", "-n", "2", binary}, env, log_b);
    EXPECT_EQ(WaitExit(a), 0) << ReadFile(log_a);
    EXPECT_EQ(WaitExit(b), 0) << ReadFile(log_b);
    EXPECT_TRUE(Contains(ReadFile(log_a), "2 passed, 0 failed")) << ReadFile(log_a);
  }
  // The lock file names its key, for a human looking at the directory.
  bool named = false;
  for (const auto& entry : std::filesystem::directory_iterator(locks)) {
    named = named || ReadFile(entry.path().string()) == "k\n";
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(std::filesystem::status(locks).permissions() & std::filesystem::perms::sticky_bit,
            std::filesystem::perms::sticky_bit);
}

TEST_F(RunnerE2E, ExportsMarkersAsCTestProperties) {
  const std::string script = dir_ + "/xdist-ctest.cmake";
  const RunResult run = Run({"--collect-only", "--export-ctest", script, fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const std::string text = ReadFile(script);
  for (const char* line :
       {"set_tests_properties([=[Markers.Alone]=] PROPERTIES RUN_SERIAL TRUE)",
        "set_tests_properties([=[Markers.GroupedFirst]=] PROPERTIES RESOURCE_LOCK "
        "[=[group:pair]=])",
        "set_tests_properties([=[Markers.GroupedSecondWithLock]=] PROPERTIES RESOURCE_LOCK "
        "[=[port:8080;group:pair]=])",
        "set_tests_properties([=[Markers.SharedLock]=] PROPERTIES RESOURCE_LOCK [=[port:8080]=])"}) {
    EXPECT_TRUE(HasLine(text, line)) << line << "\n" << text;
  }
  EXPECT_FALSE(Contains(text, "Fake.Passes")) << "unmarked tests are left out";
  EXPECT_FALSE(Contains(text, "NeedsNetwork")) << "CTest has no such property";
  EXPECT_EQ(Run({"--export-ctest", script, fake_}).exit_code, 2) << "needs --collect-only";
}

TEST_F(RunnerE2E, InterruptForwardsWritesJunitAndExits130) {
  const std::string junit = dir_ + "/interrupted.xml";
  const pid_t runner = StartRunner(
      {"--cache-dir", cache_, "-n", "2", "--junitxml", junit, "-k", "Hang.Sleeps:Fake.Passes", fake_},
      {"XDIST_FAKE_MODE=1", "XDIST_FAKE_PIDFILE=" + pidfile_}, log_);
  // Wait until the hanging test has started its grandchild.
  for (int i = 0; i < 1000 && ReadFile(pidfile_).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(ReadFile(pidfile_).empty()) << ReadFile(log_);
  ::kill(runner, SIGINT);
  EXPECT_EQ(WaitExit(runner), 130) << ReadFile(log_);
  const std::string output = ReadFile(log_);
  EXPECT_TRUE(Contains(output, "interrupted Hang.Sleeps")) << output;
  pugi::xml_document document;
  ASSERT_TRUE(document.load_file(junit.c_str()));
  EXPECT_TRUE(document.select_node("//testcase[@name='Sleeps']/error[@type='interrupted']"));
  ExpectNoGrandchildSurvives();
}

TEST_F(RunnerE2E, EveryDistModeRunsEverything) {
  for (const char* mode : {"load", "loadfile", "loadscope", "loadgroup", "worksteal", "no"}) {
    const RunResult run =
        Run({"-n", "2", "--dist", mode, "-k", "Fake.Passes:Markers.*:Hang.RunsAfterTheHang", fake_});
    EXPECT_EQ(run.exit_code, 0) << mode << "\n" << run.output;
    EXPECT_TRUE(HasLine(run.output, "7 passed, 0 failed")) << mode << "\n" << run.output;
  }
}

TEST_F(RunnerE2E, JUnitReportDirectoryIsCreatedAndAnUnwritableOneStopsTheRunFirst) {
  const std::string nested = dir_ + "/reports/ci/junit.xml";
  const RunResult written = Run({"--junitxml", nested, "-k", "Fake.Passes", fake_});
  EXPECT_EQ(written.exit_code, 0) << written.output;
  EXPECT_TRUE(std::filesystem::is_regular_file(nested)) << written.output;
  const RunResult unwritable = Run({"--junitxml", "/dev/null/junit.xml", "-k", "Fake.Passes", fake_});
  EXPECT_EQ(unwritable.exit_code, 2) << unwritable.output;
  EXPECT_TRUE(Contains(unwritable.output, "cannot write the JUnit report /dev/null/junit.xml"))
      << unwritable.output;
  EXPECT_FALSE(Contains(unwritable.output, "passed")) << unwritable.output;
  // A run that stops before its tests (no such binary) leaves no empty report behind.
  const std::string early = dir_ + "/reports/early.xml";
  EXPECT_EQ(Run({"--junitxml", early, dir_ + "/no-such-binary"}).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(early));
}

TEST_F(RunnerE2E, ABinaryNamedTwiceRunsOnce) {
  const std::string relative = std::filesystem::relative(fake_).string();
  const RunResult run = Run({"-k", "Fake.Passes", fake_, relative, fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "1 passed, 0 failed")) << run.output;
}

TEST_F(RunnerE2E, CountAndShuffleAreReproducible) {
  const RunResult run = Run({"--count", "2", "--shuffle", "--seed", "7", "-k", "Fake.Passes:Markers.*", fake_});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "shuffled with --seed 7")) << run.output;
  EXPECT_TRUE(HasLine(run.output, "12 passed, 0 failed")) << run.output;
}

TEST_F(RunnerE2E, ListingIsReusedUntilTheBinaryChanges) {
  const std::string binary = dir_ + "/copy_of_fake";
  std::filesystem::copy_file(fake_, binary);
  std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  ASSERT_TRUE(Contains(Run({"--collect-only", binary}).output, "Fake.Passes"));
  // Prove the reuse: edit the cached listing, and the edit shows.
  std::vector<std::filesystem::path> cached;
  for (const auto& entry : std::filesystem::directory_iterator(cache_ + "/listings")) {
    cached.push_back(entry.path());
  }
  ASSERT_EQ(cached.size(), 1u);
  std::string text = ReadFile(cached[0]);
  const std::size_t at = text.find("Passes");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 6, "Cached");
  std::ofstream(cached[0]) << text;
  EXPECT_TRUE(Contains(Run({"--collect-only", binary}).output, "Fake.Cached"));
  // A different binary at the same path is listed again.
  std::filesystem::copy_file("/proc/self/exe", binary,
                             std::filesystem::copy_options::overwrite_existing);
  const RunResult relisted = Run({"--collect-only", binary});
  EXPECT_TRUE(Contains(relisted.output, "RunnerE2E.ListingIsReusedUntilTheBinaryChanges"))
      << relisted.output;
  EXPECT_FALSE(Contains(relisted.output, "Fake.Cached"));
  // A cache file that cannot be read is listed again, silently.
  for (const auto& entry : std::filesystem::directory_iterator(cache_ + "/listings")) {
    std::ofstream(entry.path()) << "{\"format\": \"xdist-run-listing\"}\n{broken";
  }
  const RunResult after_corruption = Run({"--collect-only", binary});
  EXPECT_EQ(after_corruption.exit_code, 0) << after_corruption.output;
  EXPECT_TRUE(Contains(after_corruption.output, "RunnerE2E.ListingIsReusedUntilTheBinaryChanges"))
      << after_corruption.output;
}

TEST_F(RunnerE2E, RerunThatPassesIsReportedAsFlaky) {
  const std::string junit = dir_ + "/flaky.xml";
  const RunResult run = Run({"--reruns", "1", "--junitxml", junit, "-k", "Flaky.*:Fake.Passes", fake_},
                            {"XDIST_FAKE_FLAKY_FILE=" + dir_ + "/flaky-seen"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(Contains(run.output, "RERUN Flaky.FailsOnce")) << run.output;
  EXPECT_TRUE(HasLine(run.output, "2 passed, 0 failed, 1 flaky")) << run.output;
  pugi::xml_document document;
  ASSERT_TRUE(document.load_file(junit.c_str()));
  EXPECT_TRUE(document.select_node("//testcase[@name='FailsOnce']/properties/property[@name='flaky']"));
}

}  // namespace
