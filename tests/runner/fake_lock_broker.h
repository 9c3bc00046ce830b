// A LockBroker whose "other invocations" are scripted: holders that go away at a given time.
#ifndef XDIST_TESTS_RUNNER_FAKE_LOCK_BROKER_H
#define XDIST_TESTS_RUNNER_FAKE_LOCK_BROKER_H

#include <map>
#include <string>

#include "clock.h"
#include "lock_broker.h"

namespace xdist::run::testing {

class FakeLockBroker final : public LockBroker {
 public:
  explicit FakeLockBroker(const Clock& clock) : clock_(clock) {}

  /// Another invocation holds `key` (shared or not) until `until`.
  void HoldElsewhere(const std::string& key, bool shared, TimePoint until) {
    foreign_[key] = {shared, until};
  }

  bool TryAcquire(const std::string& key, bool shared) override {
    ++attempts_;
    const auto it = foreign_.find(key);
    if (it != foreign_.end() && clock_.Now() < it->second.until &&
        !(shared && it->second.shared)) {
      return false;
    }
    ++held_[key];
    return true;
  }

  void Release(const std::string& key) override {
    if (--held_[key] == 0) held_.erase(key);
  }

  /// How many holders of this invocation have `key` now.
  int Held(const std::string& key) const {
    const auto it = held_.find(key);
    return it == held_.end() ? 0 : it->second;
  }
  bool HoldsNothing() const { return held_.empty(); }
  int Attempts() const { return attempts_; }

 private:
  struct Foreign {
    bool shared = false;
    TimePoint until{};
  };
  const Clock& clock_;
  std::map<std::string, Foreign> foreign_;
  std::map<std::string, int> held_;
  int attempts_ = 0;
};

}  // namespace xdist::run::testing

#endif  // XDIST_TESTS_RUNNER_FAKE_LOCK_BROKER_H
