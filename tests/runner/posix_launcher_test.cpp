#include "posix_launcher.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

namespace xdist::run {
namespace {

struct Finished {
  std::string output;
  ExitStatus status;
};

// Waits for process `id` to end, for at most `seconds` (a hang fails the test instead of
// stalling it).
Finished WaitFor(PosixLauncher& launcher, ProcessId id, int seconds = 60) {
  Finished finished{"", exit_status::StartFailed{"never finished"}};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) {
      if (event.id != id) continue;
      finished.output += event.output;
      if (event.exit) {
        finished.status = *event.exit;
        return finished;
      }
    }
  }
  ADD_FAILURE() << "process did not finish";
  return finished;
}

ProcessSpec Shell(const std::string& script) {
  return ProcessSpec{{"/bin/sh", "-c", script}, {"PATH=/usr/bin:/bin"}, nullptr};
}

// True when `pid` no longer runs (gone, or a zombie waiting for its new parent).
bool IsGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST(PosixLauncher, CapturesStdoutAndStderrAndTheExitCode) {
  PosixLauncher launcher;
  const ProcessId id = launcher.Start(Shell("echo out; echo err >&2; exit 3"));
  const Finished finished = WaitFor(launcher, id);
  EXPECT_EQ(finished.output, "out\nerr\n");
  const auto* exited = std::get_if<exit_status::Exited>(&finished.status);
  ASSERT_NE(exited, nullptr);
  EXPECT_EQ(exited->code, 3);
}

TEST(PosixLauncher, ReportsTheKillingSignal) {
  PosixLauncher launcher;
  const Finished finished = WaitFor(launcher, launcher.Start(Shell("kill -SEGV $$")));
  const auto* signaled = std::get_if<exit_status::Signaled>(&finished.status);
  ASSERT_NE(signaled, nullptr);
  EXPECT_EQ(signaled->signal, SIGSEGV);
}

TEST(PosixLauncher, ExecFailureIsAStartFailureWithTheError) {
  PosixLauncher launcher;
  const Finished finished =
      WaitFor(launcher, launcher.Start({{"/nonexistent/binary"}, {}, nullptr}));
  const auto* failed = std::get_if<exit_status::StartFailed>(&finished.status);
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->error.find("exec"), std::string::npos);
  EXPECT_NE(failed->error.find(std::strerror(ENOENT)), std::string::npos);
}

class FailingSetup final : public ChildSetup {
 public:
  int EnterInChild() const noexcept override { return EPERM; }
};

class ChdirSetup final : public ChildSetup {
 public:
  int EnterInChild() const noexcept override { return ::chdir("/") == 0 ? 0 : errno; }
};

TEST(PosixLauncher, ChildSetupFailureIsAStartFailureNamingTheError) {
  PosixLauncher launcher;
  const FailingSetup setup;
  ProcessSpec spec = Shell("echo should not run");
  spec.child_setup = &setup;
  const Finished finished = WaitFor(launcher, launcher.Start(spec));
  const auto* failed = std::get_if<exit_status::StartFailed>(&finished.status);
  ASSERT_NE(failed, nullptr);
  EXPECT_NE(failed->error.find("worker set-up"), std::string::npos);
  EXPECT_NE(failed->error.find(std::strerror(EPERM)), std::string::npos);
  EXPECT_EQ(finished.output, "");
}

TEST(PosixLauncher, ChildSetupRunsInTheChildBeforeExec) {
  PosixLauncher launcher;
  const ChdirSetup setup;
  ProcessSpec spec = Shell("pwd");
  spec.child_setup = &setup;
  EXPECT_EQ(WaitFor(launcher, launcher.Start(spec)).output, "/\n");
}

TEST(PosixLauncher, StdinIsDevNull) {
  PosixLauncher launcher;
  EXPECT_EQ(WaitFor(launcher, launcher.Start(Shell("cat; echo done"))).output, "done\n");
}

TEST(PosixLauncher, GrandchildHoldingThePipeDoesNotHoldTheRunnerAndIsKilled) {
  PosixLauncher launcher;
  const Finished finished =
      WaitFor(launcher, launcher.Start(Shell("sleep 300 & echo $!; exit 0")), 20);
  ASSERT_TRUE(std::holds_alternative<exit_status::Exited>(finished.status));
  const pid_t grandchild = std::stoi(finished.output);
  for (int i = 0; i < 100 && !IsGone(grandchild); ++i) ::usleep(10000);
  EXPECT_TRUE(IsGone(grandchild));
}

TEST(PosixLauncher, TerminateEndsTheWholeProcessGroup) {
  PosixLauncher launcher;
  const ProcessId id = launcher.Start(Shell("sleep 300 & echo $!; wait"));
  std::string output;
  while (output.find('\n') == std::string::npos) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) output += event.output;
  }
  launcher.Terminate(id);
  const Finished finished = WaitFor(launcher, id, 20);
  const auto* signaled = std::get_if<exit_status::Signaled>(&finished.status);
  ASSERT_NE(signaled, nullptr);
  EXPECT_EQ(signaled->signal, SIGTERM);
  const pid_t grandchild = std::stoi(output);
  for (int i = 0; i < 100 && !IsGone(grandchild); ++i) ::usleep(10000);
  EXPECT_TRUE(IsGone(grandchild));
}

TEST(PosixLauncher, TerminateEscalatesToSigkill) {
  PosixLauncher launcher(std::chrono::milliseconds(100));
  const ProcessId id = launcher.Start(Shell("trap '' TERM; echo ready; while :; do sleep 1; done"));
  std::string output;
  while (output.find("ready") == std::string::npos) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) output += event.output;
  }
  launcher.Terminate(id);
  const Finished finished = WaitFor(launcher, id, 20);
  const auto* signaled = std::get_if<exit_status::Signaled>(&finished.status);
  ASSERT_NE(signaled, nullptr);
  EXPECT_EQ(signaled->signal, SIGKILL);
}

TEST(PosixLauncher, FloodingChildIsReadCompletely) {
  PosixLauncher launcher;
  const Finished finished =
      WaitFor(launcher, launcher.Start(Shell("head -c 20000000 /dev/zero")));
  EXPECT_EQ(finished.output.size(), 20000000u);
  EXPECT_TRUE(std::holds_alternative<exit_status::Exited>(finished.status));
}

TEST(PosixLauncher, OutputIsReadInBurstsNotLineByLine) {
  PosixLauncher launcher;
  // 100 lines, each flushed a few milliseconds after the last (as GoogleTest flushes a line
  // when a test starts and ends): read line by line that would be about 100 wake-ups.
  const ProcessId id =
      launcher.Start(Shell("i=0; while [ $i -lt 100 ]; do echo $i; sleep 0.001; i=$((i+1)); done"));
  std::size_t output_events = 0;
  std::string output;
  bool exited = false;
  for (int round = 0; round < 600 && !exited; ++round) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) {
      if (event.id != id) continue;
      if (!event.output.empty()) ++output_events;
      output += event.output;
      exited = event.exit.has_value();
    }
  }
  ASSERT_TRUE(exited);
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 100);
  EXPECT_LT(output_events, 50u);
}

TEST(PosixLauncher, ManyProcessesAtOnceAllReport) {
  PosixLauncher launcher;
  std::map<ProcessId, std::string> outputs;
  for (int i = 0; i < 8; ++i) outputs[launcher.Start(Shell("echo " + std::to_string(i)))];
  std::size_t exited = 0;
  for (int round = 0; round < 60 && exited < outputs.size(); ++round) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) {
      outputs[event.id] += event.output;
      if (event.exit) ++exited;
    }
  }
  EXPECT_EQ(exited, 8u);
  int i = 0;
  for (const auto& [id, output] : outputs) EXPECT_EQ(output, std::to_string(i++) + "\n");
}

TEST(PosixLauncher, AfterAnInterruptTerminatedChildrenAreStillReaped) {
  PosixLauncher launcher;
  const ProcessId id = launcher.Start(Shell("echo ready; sleep 300"));
  std::string output;
  while (output.find("ready") == std::string::npos) {
    for (ProcessEvent& event : launcher.Wait(std::chrono::seconds(1))) output += event.output;
  }
  ::raise(SIGINT);  // blocked: delivered inside the next ppoll, to the launcher's handler
  launcher.Wait(std::chrono::seconds(1));
  ASSERT_TRUE(launcher.Interrupted());
  launcher.Terminate(id);
  const Finished finished = WaitFor(launcher, id, 20);
  EXPECT_TRUE(std::holds_alternative<exit_status::Signaled>(finished.status));
}

}  // namespace
}  // namespace xdist::run
