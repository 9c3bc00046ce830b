// The real process layer on POSIX: vfork-style clone + exec, one process group per test
// process, one pipe for stdout+stderr, a ppoll loop with signals as wake-ups.
#ifndef XDIST_RUNNER_POSIX_LAUNCHER_H
#define XDIST_RUNNER_POSIX_LAUNCHER_H

#include <signal.h>

#include <map>
#include <vector>

#include "launcher.h"

namespace xdist::run {

/// Starts real processes. Each child gets its own process group, stdin from /dev/null and
/// stdout+stderr through one pipe. While the launcher exists, SIGINT, SIGTERM and SIGCHLD
/// are blocked except inside ppoll(), where their handlers only set flags.
///
/// A process's exit is taken from waitpid(), not from the end of its output, so a
/// grandchild that keeps the pipe open cannot hold the runner; whatever is left in the
/// process group when the child exits is killed. Output is read in bursts, at most every
/// 50 ms (a child writing faster is read at once): GoogleTest flushes two lines per test, and
/// a wake-up per line would make the runner busier than short tests. Exits are seen at
/// once. Only one PosixLauncher may exist at a time.
class PosixLauncher final : public Launcher {
 public:
  /// `grace`: time between SIGTERM and SIGKILL in Terminate().
  explicit PosixLauncher(Duration grace = std::chrono::seconds(2));
  ~PosixLauncher() override;
  PosixLauncher(const PosixLauncher&) = delete;
  PosixLauncher& operator=(const PosixLauncher&) = delete;

  ProcessId Start(const ProcessSpec& spec) override;
  void Terminate(ProcessId id) override;
  std::vector<ProcessEvent> Wait(std::optional<Duration> timeout) override;
  bool Interrupted() const override;

 private:
  struct Child {
    pid_t pid = -1;
    int fd = -1;                         ///< read end of the output pipe, -1 once closed
    std::optional<TimePoint> kill_at;    ///< SIGKILL deadline after a SIGTERM
    bool flooding = false;               ///< its last read was big: no output pause
  };

  /// Reads what is available from the child's pipe (at most `budget` bytes), appending to
  /// `out`; closes the pipe at end of file.
  void ReadOutput(Child& child, std::string& out, std::size_t budget);
  void Reap(ProcessId id, Child& child, int status, std::vector<ProcessEvent>& events);

  SteadyClock clock_;
  Duration grace_;
  std::map<ProcessId, Child> children_;
  std::vector<ProcessEvent> pending_;
  ProcessId next_id_ = 1;
  TimePoint next_output_read_{};  ///< end of the current output pause
  char* spawn_stack_ = nullptr;   ///< the stack of a child between clone and exec
  sigset_t old_mask_{};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_chld_ {};
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_POSIX_LAUNCHER_H
