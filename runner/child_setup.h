// The seam between the runner's process layer and worker isolation (--isolate).
#ifndef XDIST_RUNNER_CHILD_SETUP_H
#define XDIST_RUNNER_CHILD_SETUP_H

namespace xdist::run {

/// Work done in a new test process between its creation and exec, e.g. entering a
/// worker's namespaces. The process shares the runner's memory until exec (vfork
/// semantics), so it must be async-signal-safe and write nothing but its own stack: no
/// allocation, no locks, no stdio.
class ChildSetup {
 public:
  virtual ~ChildSetup() = default;
  /// Returns 0 on success, otherwise an errno value; the process layer then
  /// reports the test process as failed to start, naming the error.
  virtual int EnterInChild() const noexcept = 0;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CHILD_SETUP_H
