// Resource locks that hold across every xdist-run on the machine (docs/runner.md).
#ifndef XDIST_RUNNER_LOCK_BROKER_H
#define XDIST_RUNNER_LOCK_BROKER_H

#include <string>

namespace xdist::run {

/// Takes and gives back resource locks shared with other processes. The scheduler asks it
/// in addition to its own lock table, which already keeps the holders of one invocation
/// apart: a broker only has to keep invocations apart.
class LockBroker {
 public:
  virtual ~LockBroker() = default;
  /// Takes `key` (shared or exclusive) without waiting; false when a holder elsewhere
  /// prevents it. A key this invocation already holds shared may be taken shared again.
  virtual bool TryAcquire(const std::string& key, bool shared) = 0;
  /// Gives back one TryAcquire of `key` that returned true.
  virtual void Release(const std::string& key) = 0;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_LOCK_BROKER_H
