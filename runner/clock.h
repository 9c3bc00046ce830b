// Time as seen by the runner, behind an interface so the scheduler is tested with a fake.
#ifndef XDIST_RUNNER_CLOCK_H
#define XDIST_RUNNER_CLOCK_H

#include <chrono>

namespace xdist::run {

using Duration = std::chrono::nanoseconds;
/// A point in time, as a duration since an arbitrary, fixed epoch of the clock.
using TimePoint = std::chrono::nanoseconds;

/// A monotonic clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

/// The real monotonic clock (std::chrono::steady_clock).
class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::duration_cast<TimePoint>(
        std::chrono::steady_clock::now().time_since_epoch());
  }
};

/// Seconds as a double, for reports and predictions.
inline double ToSeconds(Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

inline Duration FromSeconds(double seconds) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CLOCK_H
