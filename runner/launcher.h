// The process layer's interface: start test processes, watch their output and exit.
// The real implementation is PosixLauncher; tests use a scripted fake.
#ifndef XDIST_RUNNER_LAUNCHER_H
#define XDIST_RUNNER_LAUNCHER_H

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "child_setup.h"
#include "clock.h"

namespace xdist::run {

/// What to start.
struct ProcessSpec {
  std::vector<std::string> argv;  ///< argv[0] is the executable's path
  std::vector<std::string> env;   ///< the complete environment, "NAME=value"
  /// Called in the child between its creation and exec (e.g. to enter a worker's namespaces);
  /// nullptr for none. Must outlive the process.
  const ChildSetup* child_setup = nullptr;
};

namespace exit_status {
struct Exited {
  int code = 0;
};
struct Signaled {
  int signal = 0;
};
/// fork, the child set-up or exec failed; `error` says which and why.
struct StartFailed {
  std::string error;
};
}  // namespace exit_status

using ExitStatus = std::variant<exit_status::Exited, exit_status::Signaled,
                                exit_status::StartFailed>;

using ProcessId = int;

/// Something that happened to a started process. Output of a process always arrives
/// before its exit; after the exit event the id is never reported again.
struct ProcessEvent {
  ProcessId id = 0;
  std::string output;              ///< stdout and stderr, interleaved as written
  std::optional<ExitStatus> exit;  ///< set once, on the last event of the process
};

/// Starts processes and reports their output and exit.
class Launcher {
 public:
  virtual ~Launcher() = default;

  /// Starts a process. Never fails here: a failure arrives as a StartFailed exit event.
  virtual ProcessId Start(const ProcessSpec& spec) = 0;

  /// Ends a process and everything in its process group: SIGTERM, then SIGKILL after a
  /// grace period. Its exit event follows.
  virtual void Terminate(ProcessId id) = 0;

  /// Waits until something happens or `timeout` passes (nullopt: no limit), and returns
  /// what happened (possibly nothing). Returns early, with Interrupted() set, when the
  /// runner receives SIGINT or SIGTERM.
  virtual std::vector<ProcessEvent> Wait(std::optional<Duration> timeout) = 0;

  /// True once the runner was asked to stop (SIGINT/SIGTERM).
  virtual bool Interrupted() const = 0;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_LAUNCHER_H
