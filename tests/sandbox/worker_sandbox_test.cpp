// WorkerSandbox end to end, driven by a small stand-in for the runner's process layer:
// fixture binaries that collide without isolation pass with it, and nothing (mount,
// namespace, process, private directory) outlives the sandbox or a killed runner.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
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
using testing_support::ProcessesIn;
using testing_support::ReadFile;
using testing_support::RecordedNamespaces;
using testing_support::Scratch;
using testing_support::WaitUntil;

struct Job {
  std::string binary;
  std::string filter;
  bool needs_network = false;
};

struct Outcome {
  int status = -1;  // exit code, or 128 + signal
  std::string output;
};

std::string HostNetNamespace() {
  return fs::read_symlink("/proc/self/ns/net").string();
}

// Starts jobs[i] as a process of worker slot i, entering sandboxes[i] when it is set,
// the way the runner's process layer does; returns the pids.
std::vector<pid_t> StartJobs(const std::vector<Job>& jobs,
                             const std::vector<const WorkerSandbox*>& sandboxes,
                             const Scratch& scratch) {
  xdist::ScopedEnv sync("XDIST_FIXTURE_SYNC", scratch.sync.string());
  xdist::ScopedEnv token("XDIST_FIXTURE_TOKEN", scratch.token);
  xdist::ScopedEnv port("XDIST_FIXTURE_PORT", std::to_string(xdist::UnusedTcpPort()));
  xdist::ScopedEnv netns("XDIST_FIXTURE_HOST_NETNS", HostNetNamespace());
  std::vector<pid_t> pids;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string output = (scratch.root / ("out-" + std::to_string(i))).string();
    const std::string filter = "--gtest_filter=" + jobs[i].filter;
    const ChildSetup* setup =
        i < sandboxes.size() && sandboxes[i] != nullptr ? &sandboxes[i]->Setup(jobs[i].needs_network)
                                                        : nullptr;
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (::chdir(scratch.cwd.c_str()) != 0) ::_exit(125);
      if (setup != nullptr) {
        if (const int error = setup->EnterInChild(); error != 0) {
          const std::string message = "EnterInChild: " + std::string(strerror(error)) + "\n";
          [[maybe_unused]] const ssize_t written = ::write(2, message.data(), message.size());
          ::_exit(126);
        }
      }
      ::execl(jobs[i].binary.c_str(), jobs[i].binary.c_str(), filter.c_str(), nullptr);
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  return pids;
}

std::vector<Outcome> RunJobs(const std::vector<Job>& jobs,
                             const std::vector<const WorkerSandbox*>& sandboxes,
                             const Scratch& scratch) {
  const std::vector<pid_t> pids = StartJobs(jobs, sandboxes, scratch);
  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    ::waitpid(pids[i], &status, 0);
    Outcome outcome;
    outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.output = ReadFile(scratch.root / ("out-" + std::to_string(i)));
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

using Sandboxes = std::vector<std::unique_ptr<WorkerSandbox>>;

Sandboxes MakeSandboxes(const IsolationLevels& levels, int count, const Scratch& scratch,
                        const std::vector<fs::path>& visible, bool keep = false) {
  Sandboxes sandboxes;
  for (int slot = 0; slot < count; ++slot) {
    SandboxOptions options;
    options.levels = levels;
    options.slot = slot;
    options.run_dir = scratch.run;
    options.cwd = scratch.cwd;
    options.visible_paths = visible;
    options.keep = keep;
    Expected<std::unique_ptr<WorkerSandbox>> sandbox = WorkerSandbox::Create(options);
    if (!sandbox) {
      ADD_FAILURE() << sandbox.error().message;
      return {};
    }
    sandboxes.push_back(std::move(*sandbox));
  }
  return sandboxes;
}

std::vector<const WorkerSandbox*> Pointers(const Sandboxes& sandboxes) {
  std::vector<const WorkerSandbox*> pointers;
  for (const auto& sandbox : sandboxes) pointers.push_back(sandbox.get());
  return pointers;
}

const std::vector<fs::path> kFixtures = {XDIST_FIXTURE_A, XDIST_FIXTURE_B, XDIST_FIXTURE_PROBE};

TEST(Unavailable, ProbeSaysWhichPartIsMissingAndWhy) {
  SKIP_UNLESS_ROOT();
  const int result = OnMachineWithoutUserNamespaces([] {
    const ProbeResult probe = Probe();
    const std::string expected =
        "creating a user namespace failed: No space left on device; as a normal user this "
        "needs unprivileged user namespaces (user.max_user_namespaces = 0)";
    for (const std::string* why :
         {&probe.net_unavailable, &probe.tmp_unavailable, &probe.cwd_unavailable}) {
      if (*why != expected) {
        std::cerr << "unexpected reason: " << *why << "\n";
        return 1;
      }
    }
    return probe.available.Any() ? 2 : 0;
  });
  EXPECT_EQ(result, 0);
}

TEST(Unavailable, CreateFailsNamingTheNamespaces) {
  SKIP_UNLESS_ROOT();
  const Scratch scratch(xdist::TempPath("run"));
  fs::permissions(scratch.root, fs::perms::all);
  fs::permissions(scratch.run, fs::perms::all);
  const int result = OnMachineWithoutUserNamespaces([&] {
    SandboxOptions options;
    options.levels = {true, false, false};
    options.run_dir = scratch.run;
    options.cwd = scratch.cwd;
    const Expected<std::unique_ptr<WorkerSandbox>> sandbox = WorkerSandbox::Create(options);
    if (sandbox) return 1;
    const std::string expected =
        "--isolate net: creating a user namespace for worker gw0 failed: No space left on "
        "device; as a normal user this needs unprivileged user namespaces "
        "(user.max_user_namespaces = 0)";
    if (sandbox.error().message != expected) {
      std::cerr << "unexpected error: " << sandbox.error().message << "\n";
      return 2;
    }
    return fs::exists(scratch.run / "sandbox-gw0") ? 3 : 0;
  });
  EXPECT_EQ(result, 0);
}

// The two sides of one collision, and the level that prevents it.
struct Collision {
  const char* name;
  const char* filter;
  IsolationLevels levels;
};

void PrintTo(const Collision& collision, std::ostream* out) { *out << collision.name; }

class CollisionTest : public testing::TestWithParam<Collision> {};

TEST_P(CollisionTest, CollidesWithoutIsolation) {
  for (int run = 0; run < 3; ++run) {
    const Scratch scratch(xdist::TempPath("run" + std::to_string(run)));
    const std::vector<Outcome> outcomes = RunJobs(
        {{XDIST_FIXTURE_A, GetParam().filter}, {XDIST_FIXTURE_B, GetParam().filter}}, {},
        scratch);
    EXPECT_TRUE(outcomes[0].status != 0 || outcomes[1].status != 0)
        << "run " << run << ": the fixtures did not collide\n"
        << outcomes[0].output << outcomes[1].output;
  }
}

TEST_P(CollisionTest, PassesWithItsIsolationLevel) {
  SKIP_UNLESS_AVAILABLE(GetParam().levels);
  for (int run = 0; run < 3; ++run) {
    const Scratch scratch(xdist::TempPath("run" + std::to_string(run)));
    const Sandboxes sandboxes = MakeSandboxes(GetParam().levels, 2, scratch, kFixtures);
    ASSERT_EQ(sandboxes.size(), 2u);
    const std::vector<Outcome> outcomes = RunJobs(
        {{XDIST_FIXTURE_A, GetParam().filter}, {XDIST_FIXTURE_B, GetParam().filter}},
        Pointers(sandboxes), scratch);
    for (const Outcome& outcome : outcomes) {
      EXPECT_EQ(outcome.status, 0) << "run " << run << "\n" << outcome.output;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Levels, CollisionTest,
    testing::Values(Collision{"FixedPort", "Port.*", {true, false, false}},
                    Collision{"TmpPath", "Tmp.*", {false, true, false}},
                    Collision{"RelativePath", "Cwd.*", {false, false, true}}),
    [](const testing::TestParamInfo<Collision>& info) { return info.param.name; });

TEST(WorkerSandbox, NeedsNetworkTestRunsOnTheHostNetwork) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, false}));
  const Scratch scratch(xdist::TempPath("run"));
  const Sandboxes sandboxes = MakeSandboxes({true, true, false}, 1, scratch, kFixtures);
  ASSERT_EQ(sandboxes.size(), 1u);
  const std::vector<Outcome> outcomes =
      RunJobs({{XDIST_FIXTURE_PROBE, "Network.MarkedRunsOnHostNetwork", true},
               {XDIST_FIXTURE_PROBE, "Network.UnmarkedRunsInItsWorkersNamespace", false}},
              {sandboxes[0].get(), sandboxes[0].get()}, scratch);
  EXPECT_EQ(outcomes[0].status, 0) << outcomes[0].output;
  EXPECT_EQ(outcomes[1].status, 0) << outcomes[1].output;
}

TEST(WorkerSandbox, WritesAreDiscardedAndThePrivateDirectoryRemoved) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{false, true, true}));
  const Scratch scratch(xdist::TempPath("run"));
  std::ofstream(scratch.cwd / "data.txt") << "fixture data\n";
  fs::path private_dir;
  {
    const Sandboxes sandboxes = MakeSandboxes({false, true, true}, 1, scratch, kFixtures);
    ASSERT_EQ(sandboxes.size(), 1u);
    private_dir = sandboxes[0]->private_dir();
    const std::vector<Outcome> outcomes =
        RunJobs({{XDIST_FIXTURE_PROBE, "Cwd.ReadsDataFile:Leave.FilesBehind"}},
                {sandboxes[0].get()}, scratch);
    EXPECT_EQ(outcomes[0].status, 0) << outcomes[0].output;
    EXPECT_FALSE(fs::exists(scratch.cwd / "left-behind.txt"));
  }
  EXPECT_FALSE(fs::exists("/tmp/xdist-fixture-" + scratch.token + "-left.txt"));
  EXPECT_FALSE(fs::exists(private_dir));
  EXPECT_EQ(ReadFile(scratch.cwd / "data.txt"), "fixture data\n");
}

TEST(WorkerSandbox, KeepLeavesTheWritesInThePrivateDirectory) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{false, true, true}));
  const Scratch scratch(xdist::TempPath("run"));
  fs::path private_dir;
  {
    const Sandboxes sandboxes =
        MakeSandboxes({false, true, true}, 1, scratch, kFixtures, /*keep=*/true);
    ASSERT_EQ(sandboxes.size(), 1u);
    private_dir = sandboxes[0]->private_dir();
    const std::vector<Outcome> outcomes =
        RunJobs({{XDIST_FIXTURE_PROBE, "Leave.FilesBehind"}}, {sandboxes[0].get()}, scratch);
    EXPECT_EQ(outcomes[0].status, 0) << outcomes[0].output;
  }
  EXPECT_FALSE(fs::exists(scratch.cwd / "left-behind.txt"));
  EXPECT_EQ(ReadFile(private_dir / "upper" / "left-behind.txt"), "cwd\n");
  EXPECT_EQ(ReadFile(private_dir / "tmp" / ("xdist-fixture-" + scratch.token + "-left.txt")),
            "tmp\n");
}

// A CI layout: checkout, build tree and run directory all under /tmp.
TEST(WorkerSandbox, WorksWhenEverythingLivesUnderTmp) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  char pattern[] = "/tmp/xdist-sandbox-layout-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path root = pattern;
  {
    const Scratch scratch(root);
    fs::create_directories(root / "build");
    std::vector<fs::path> copies;
    for (const fs::path& fixture : kFixtures) {
      copies.push_back(root / "build" / fixture.filename());
      fs::copy_file(fixture, copies.back());
    }
    std::ofstream(scratch.cwd / "data.txt") << "fixture data\n";
    for (const char* filter : {"Tmp.*", "Cwd.*"}) {
      const Sandboxes sandboxes = MakeSandboxes({true, true, true}, 2, scratch, copies);
      ASSERT_EQ(sandboxes.size(), 2u);
      const std::vector<Outcome> outcomes =
          RunJobs({{copies[0].string(), filter}, {copies[1].string(), filter}},
                  Pointers(sandboxes), scratch);
      EXPECT_EQ(outcomes[0].status, 0) << filter << "\n" << outcomes[0].output;
      EXPECT_EQ(outcomes[1].status, 0) << filter << "\n" << outcomes[1].output;
    }
    const Sandboxes sandboxes = MakeSandboxes({true, true, true}, 1, scratch, copies);
    ASSERT_EQ(sandboxes.size(), 1u);
    const std::vector<Outcome> outcomes =
        RunJobs({{copies[2].string(), "Cwd.ReadsDataFile:Leave.FilesBehind"}},
                {sandboxes[0].get()}, scratch);
    EXPECT_EQ(outcomes[0].status, 0) << outcomes[0].output;
    EXPECT_FALSE(fs::exists(scratch.cwd / "left-behind.txt"))
        << "the cwd overlay did nothing under /tmp";
  }
  fs::remove_all(root);
}

TEST(WorkerSandbox, LeavesNoMountNamespaceOrProcessBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  std::ofstream(scratch.sync / "release") << "\n";
  {
    const Sandboxes sandboxes = MakeSandboxes({true, true, true}, 2, scratch, kFixtures);
    ASSERT_EQ(sandboxes.size(), 2u);
    const std::vector<Outcome> outcomes =
        RunJobs({{XDIST_FIXTURE_PROBE, "Hold.UntilReleased"},
                 {XDIST_FIXTURE_PROBE, "Hold.UntilReleased"}},
                Pointers(sandboxes), scratch);
    EXPECT_EQ(outcomes[0].status, 0) << outcomes[0].output;
    EXPECT_EQ(outcomes[1].status, 0) << outcomes[1].output;
    const std::set<std::string> namespaces = RecordedNamespaces(scratch.sync);
    ASSERT_EQ(namespaces.size(), 4u) << "each worker has its own mount and network namespace";
    // While the sandboxes exist, only this process holds them (by descriptor).
    EXPECT_EQ(ProcessesIn(namespaces), std::set<pid_t>{::getpid()});
  }
  EXPECT_TRUE(ProcessesIn(RecordedNamespaces(scratch.sync)).empty());
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  EXPECT_TRUE(fs::is_empty(scratch.run)) << "private directories left in " << scratch.run;
}

TEST(WorkerSandbox, KilledRunnerLeavesNoMountNamespaceOrProcessBehind) {
  SKIP_UNLESS_AVAILABLE((IsolationLevels{true, true, true}));
  const std::string mounts_before = ReadFile("/proc/self/mountinfo");
  const Scratch scratch(xdist::TempPath("run"));
  const pid_t runner = ::fork();
  if (runner == 0) {
    // A stand-in runner: one sandboxed worker running a test that waits to be released.
    const Sandboxes sandboxes = MakeSandboxes({true, true, true}, 1, scratch, kFixtures);
    if (sandboxes.empty()) ::_exit(1);
    const std::vector<pid_t> pids =
        StartJobs({{XDIST_FIXTURE_PROBE, "Hold.UntilReleased"}}, {sandboxes[0].get()}, scratch);
    ::waitpid(pids[0], nullptr, 0);
    ::_exit(0);
  }
  ASSERT_GT(runner, 0);
  std::set<std::string> namespaces;
  WaitUntil([&] {
    namespaces = RecordedNamespaces(scratch.sync);
    return namespaces.size() == 2;
  });
  ASSERT_EQ(namespaces.size(), 2u) << "the held test never started";
  EXPECT_EQ(ProcessesIn(namespaces).size(), 2u) << "the runner and its test";
  ::kill(runner, SIGKILL);
  ::waitpid(runner, nullptr, 0);
  // The test dies with the runner (PR_SET_PDEATHSIG); give the kernel a moment to
  // reap it before looking.
  std::set<pid_t> left;
  WaitUntil([&] {
    left = ProcessesIn(namespaces);
    return left.empty();
  });
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) still in the namespaces";
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts_before);
  std::ofstream(scratch.sync / "release") << "\n";
}

}  // namespace
}  // namespace xdist::run
