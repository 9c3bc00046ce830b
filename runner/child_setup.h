// The seam between the runner's process layer and worker isolation (--isolate).
#ifndef XDIST_RUNNER_CHILD_SETUP_H
#define XDIST_RUNNER_CHILD_SETUP_H

namespace xdist::run {

/// Work done in a freshly forked test process between fork and exec, e.g. entering
/// a worker's namespaces. It runs in the child of a possibly multi-threaded parent,
/// so it must be async-signal-safe: no allocation, no locks, no stdio.
class ChildSetup {
 public:
  virtual ~ChildSetup() = default;
  /// Returns 0 on success, otherwise an errno value; the process layer then
  /// reports the test process as failed to start, naming the error.
  virtual int EnterInChild() const noexcept = 0;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CHILD_SETUP_H
