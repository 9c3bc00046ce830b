// xdist-run --isolate end to end: the real runner on fixture binaries that collide
// without isolation, over repeated runs; what --collect-only and the summary say;
// the XDIST_NEEDS_NETWORK marker; nothing left behind after a normal and a killed
// run; and the errors and warnings on a machine that cannot isolate.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

#include "sandbox.h"
#include "sandbox_test_support.h"

namespace xdist::run {
namespace {

namespace fs = std::filesystem;
using testing_support::OnMachineWithoutUserNamespaces;
using testing_support::RunProcessesIn;
using testing_support::ReadFile;
using testing_support::RecordedNamespaces;
using testing_support::Scratch;
using testing_support::WaitUntil;

struct RunResult {
  int status = -1;  // exit code, or 128 + signal
  std::string output;
};

// Starts xdist-run in the scratch working directory with the fixtures' environment,
// its stdout and stderr going to <root>/xdist-run.out.
pid_t StartXdistRun(const Scratch& scratch, std::vector<std::string> args) {
  args.insert(args.begin(), XDIST_RUN);
  args.push_back("--cache-dir=" + (scratch.root / "cache").string());
  const std::string output = (scratch.root / "xdist-run.out").string();
  xdist::ScopedEnv sync("XDIST_FIXTURE_SYNC", scratch.sync.string());
  xdist::ScopedEnv token("XDIST_FIXTURE_TOKEN", scratch.token);
  xdist::ScopedEnv port("XDIST_FIXTURE_PORT", std::to_string(xdist::UnusedTcpPort()));
  xdist::ScopedEnv netns("XDIST_FIXTURE_HOST_NETNS",
                         fs::read_symlink("/proc/self/ns/net").string());
  // The run directory goes where the test can look at it.
  xdist::ScopedEnv tmpdir("TMPDIR", scratch.run.string());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (::chdir(scratch.cwd.c_str()) != 0) ::_exit(125);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

RunResult Finish(const Scratch& scratch, pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult result;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadFile(scratch.root / "xdist-run.out");
  return result;
}

// Like Finish(), but kills xdist-run if it has not ended within 20 s (status -1).
RunResult FinishWithin(const Scratch& scratch, pid_t pid) {
  int status = 0;
  if (!WaitUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; })) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return RunResult{-1, ReadFile(scratch.root / "xdist-run.out")};
  }
  RunResult result;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadFile(scratch.root / "xdist-run.out");
  return result;
}

RunResult RunXdistRun(const Scratch& scratch, const std::vector<std::string>& args) {
  return Finish(scratch, StartXdistRun(scratch, args));
}

// The namespaces of both workers of a run whose probe tests hold until released.
std::set<std::string> WaitForHeldNamespaces(const Scratch& scratch) {
  std::set<std::string> namespaces;
  WaitUntil([&] {
    namespaces = RecordedNamespaces(scratch.sync);
    return namespaces.size() == 2;
  });
  return namespaces;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The two colliding fixtures, the filter that selects them, and the level that
// separates them.
struct Collision {
  const char* name;
  const char* filter;
  const char* level;
};

void PrintTo(const Collision& collision, std::ostream* out) { *out << collision.name; }

class XdistRunCollision : public testing::TestWithParam<Collision> {};

TEST_P(XdistRunCollision, FailsWithoutIsolation) {
  for (int run = 0; run < 3; ++run) {
    const Scratch scratch(xdist::TempPath("run" + std::to_string(run)));
    const RunResult result = RunXdistRun(
        scratch, {"-n", "2", "-k", GetParam().filter, XDIST_FIXTURE_A, XDIST_FIXTURE_B});
    EXPECT_EQ(result.status, 1) << "run " << run << "\n" << result.output;
  }
}

TEST_P(XdistRunCollision, PassesWithIsolation) {
  SKIP_UNLESS_AVAILABLE(ParseIsolation(GetParam().level)->levels);
  for (int run = 0; run < 3; ++run) {
    const Scratch scratch(xdist::TempPath("run" + std::to_string(run)));
    const RunResult result =
        RunXdistRun(scratch, {"-n", "2", "--isolate", GetParam().level, "-k", GetParam().filter,
                              XDIST_FIXTURE_A, XDIST_FIXTURE_B});
    EXPECT_EQ(result.status, 0) << "run " << run << "\n" << result.output;
    EXPECT_TRUE(Contains(result.output, "2 passed")) << result.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, XdistRunCollision,
                         testing::Values(Collision{"FixedPort", "Port.*", "net"},
                                         Collision{"TmpPath", "Tmp.*", "tmp"},
                                         Collision{"RelativePath", "Cwd.*", "cwd"}),
                         [](const testing::TestParamInfo<Collision>& info) {
                           return info.param.name;
                         });

TEST(XdistRunIsolate, CollectOnlySaysWhichIsolationIsActive) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const Scratch scratch(xdist::TempPath("run"));
  const RunResult result =
      RunXdistRun(scratch, {"--collect-only", "--isolate", "all", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "isolation: net,tmp,cwd")) << result.output;
  const RunResult plain = RunXdistRun(scratch, {"--collect-only", XDIST_FIXTURE_PROBE});
  EXPECT_FALSE(Contains(plain.output, "isolation:")) << plain.output;
}

TEST(XdistRunIsolate, SummarySaysWhichIsolationWasActiveAndTheMarkerIsHonoured) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, false, false}));
  const Scratch scratch(xdist::TempPath("run"));
  const RunResult result =
      RunXdistRun(scratch, {"-n", "2", "--isolate", "net", "-k", "Network.*", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_TRUE(Contains(result.output, "isolation: net")) << result.output;
  EXPECT_TRUE(Contains(result.output, "2 passed")) << result.output;
}

TEST(XdistRunIsolate, AutoLeavesOutWhatTheLayoutRulesOutWithAWarning) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  Scratch scratch(xdist::TempPath("run"));
  scratch.cwd = "/";  // cwd cannot overlay the whole file system
  const RunResult automatic =
      RunXdistRun(scratch, {"--isolate", "auto", "-k", "Network.*", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(automatic.status, 0) << automatic.output;
  EXPECT_TRUE(Contains(automatic.output,
                       "xdist-run: warning: --isolate cwd: the working directory is /;"))
      << automatic.output;
  EXPECT_TRUE(Contains(automatic.output, "isolation: net,tmp\n")) << automatic.output;
  EXPECT_TRUE(Contains(automatic.output, "2 passed")) << automatic.output;
  // Asked for by name, the level is not left out: an error.
  const RunResult named =
      RunXdistRun(scratch, {"--isolate", "cwd", "-k", "Network.*", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(named.status, 2) << named.output;
  EXPECT_TRUE(Contains(named.output, "xdist-run: error: --isolate cwd: the working directory is /"))
      << named.output;
}

TEST(XdistRunIsolate, RejectsAnUnknownLevel) {
  const Scratch scratch(xdist::TempPath("run"));
  const RunResult result = RunXdistRun(scratch, {"--isolate", "nett", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_TRUE(Contains(result.output, "unknown level 'nett'")) << result.output;
}

TEST(XdistRunIsolate, KeepTmpKeepsTheWorkersWrites) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{false, true, true}));
  const Scratch scratch(xdist::TempPath("run"));
  const RunResult result = RunXdistRun(
      scratch, {"-n", "1", "--isolate", "tmp,cwd", "--keep-tmp", "-k", "Leave.*",
                XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 0) << result.output;
  EXPECT_FALSE(fs::exists(scratch.cwd / "left-behind.txt"));
  int kept = 0;
  for (const fs::directory_entry& run : fs::directory_iterator(scratch.run)) {
    kept += fs::exists(run.path() / "sandbox-gw0" / "upper" / "left-behind.txt") ? 1 : 0;
  }
  EXPECT_EQ(kept, 1) << result.output;
}

TEST(XdistRunIsolate, LeavesNoMountNamespaceOrProcessBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  std::ofstream(scratch.sync / "release") << "\n";
  const RunResult result = RunXdistRun(
      scratch, {"-n", "2", "--isolate", "all", "--count", "2", "-k", "Hold.*", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 0) << result.output;
  const std::set<std::string> namespaces = RecordedNamespaces(scratch.sync);
  EXPECT_GE(namespaces.size(), 2u);
  EXPECT_TRUE(RunProcessesIn(namespaces, scratch.token).empty());
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  EXPECT_TRUE(fs::is_empty(scratch.run)) << "the run directory was not removed";
}

// The run directory is kept after a failure; the sandboxes' private directories are not.
TEST(XdistRunIsolate, CrashedTestLeavesNoMountNamespaceOrPrivateDirectoryBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  std::ofstream(scratch.sync / "release") << "\n";
  const RunResult result = RunXdistRun(
      scratch, {"-n", "2", "--isolate", "all", "-k", "Hold.*:Crash.*", XDIST_FIXTURE_PROBE});
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_TRUE(Contains(result.output, "Crash.Aborts")) << result.output;
  EXPECT_TRUE(RunProcessesIn(RecordedNamespaces(scratch.sync), scratch.token).empty());
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  for (const fs::directory_entry& run : fs::directory_iterator(scratch.run)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(run.path())) {
      EXPECT_EQ(entry.path().filename().string().rfind("sandbox-", 0), std::string::npos)
          << entry.path() << " outlived the run";
    }
  }
}

TEST(XdistRunIsolate, InterruptedRunLeavesNoMountNamespaceOrProcessBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  const pid_t runner = StartXdistRun(
      scratch, {"-n", "2", "--isolate", "all", "-k", "Hold.*", XDIST_FIXTURE_PROBE});
  const std::set<std::string> namespaces = WaitForHeldNamespaces(scratch);
  ASSERT_EQ(namespaces.size(), 2u) << "the held test never started\n"
                                   << ReadFile(scratch.root / "xdist-run.out");
  ::kill(runner, SIGINT);
  const RunResult result = FinishWithin(scratch, runner);
  EXPECT_EQ(result.status, 130) << "(-1: still running 20 s after SIGINT)\n" << result.output;
  EXPECT_TRUE(RunProcessesIn(namespaces, scratch.token).empty());
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  std::ofstream(scratch.sync / "release") << "\n";
}

TEST(XdistRunIsolate, KilledRunnerLeavesNoMountNamespaceOrProcessBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  const pid_t runner = StartXdistRun(
      scratch, {"-n", "2", "--isolate", "all", "-k", "Hold.*", XDIST_FIXTURE_PROBE});
  const std::set<std::string> namespaces = WaitForHeldNamespaces(scratch);
  ASSERT_EQ(namespaces.size(), 2u) << "the held test never started\n"
                                   << ReadFile(scratch.root / "xdist-run.out");
  ::kill(runner, SIGKILL);
  Finish(scratch, runner);
  std::set<pid_t> left;
  WaitUntil([&] {
    left = RunProcessesIn(namespaces, scratch.token);
    return left.empty();
  });
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) still in the namespaces";
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  std::ofstream(scratch.sync / "release") << "\n";
}

// The first directory above `path` that other users cannot enter (a build tree cloned
// into a `mktemp -d` directory, mode 0700), or "" when a uid-1000 process reaches it.
std::string ClosedAncestor(const fs::path& path) {
  for (fs::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat status{};
    if (::stat(dir.c_str(), &status) == 0 && (status.st_mode & S_IXOTH) == 0) return dir.string();
    if (dir == dir.root_path()) break;
  }
  return "";
}

#define SKIP_UNLESS_REACHABLE_BY_OTHERS()                                                 \
  do {                                                                                    \
    for (const char* binary : {XDIST_RUN, XDIST_FIXTURE_PROBE}) {                         \
      const std::string closed = ClosedAncestor(binary);                                  \
      if (!closed.empty()) {                                                              \
        GTEST_SKIP() << "a uid-1000 runner cannot reach " << binary << ": " << closed     \
                     << " is closed to other users";                                      \
      }                                                                                   \
    }                                                                                     \
  } while (false)

// A scratch layout a uid-1000 process may use.
Scratch SharedScratch() {
  Scratch scratch(xdist::TempPath("run"));
  for (const fs::path& dir : {scratch.root, scratch.sync, scratch.cwd, scratch.run}) {
    fs::permissions(dir, fs::perms::all);
  }
  return scratch;
}

TEST(XdistRunIsolate, ExplicitLevelOnAMachineWithoutNamespacesExitsTwoSayingWhy) {
  SKIP_UNLESS_ROOT();
  SKIP_UNLESS_REACHABLE_BY_OTHERS();
  const Scratch scratch = SharedScratch();
  const int status = OnMachineWithoutUserNamespaces([&] {
    const RunResult result =
        RunXdistRun(scratch, {"--isolate", "net", "-k", "Network.Marked*", XDIST_FIXTURE_PROBE});
    const bool says_why = Contains(
        result.output,
        "xdist-run: error: --isolate net is unavailable: creating a user namespace failed");
    return result.status == 2 && says_why ? 0 : 1;
  });
  EXPECT_EQ(status, 0) << ReadFile(scratch.root / "xdist-run.out");
}

TEST(XdistRunIsolate, AutoOnAMachineWithoutNamespacesWarnsAndRuns) {
  SKIP_UNLESS_ROOT();
  SKIP_UNLESS_REACHABLE_BY_OTHERS();
  const Scratch scratch = SharedScratch();
  const int status = OnMachineWithoutUserNamespaces([&] {
    const RunResult result =
        RunXdistRun(scratch, {"--isolate", "auto", "-k", "Network.Marked*", XDIST_FIXTURE_PROBE});
    const bool warned = Contains(
        result.output, "xdist-run: warning: --isolate cwd is unavailable: creating a user namespace");
    return result.status == 0 && warned && Contains(result.output, "isolation: none") ? 0 : 1;
  });
  EXPECT_EQ(status, 0) << ReadFile(scratch.root / "xdist-run.out");
}

}  // namespace
}  // namespace xdist::run
