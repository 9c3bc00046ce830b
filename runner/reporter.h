// What the session tells the outside world while it runs (console, progress).
#ifndef XDIST_RUNNER_REPORTER_H
#define XDIST_RUNNER_REPORTER_H

#include <cstddef>

#include "test_result.h"

namespace xdist::run {

/// Receives live events of a run. All calls come from the session's one thread.
class Reporter {
 public:
  virtual ~Reporter() = default;
  /// A test started on `worker`.
  virtual void OnTestStarted(std::size_t test, int worker) = 0;
  /// A test's final result for one repetition (reported exactly once).
  virtual void OnTestFinished(const TestResult& result) = 0;
  /// A failed attempt that will be run again (--reruns).
  virtual void OnRerun(const TestResult& attempt) = 0;
  /// Called at least every few hundred milliseconds, for progress displays.
  virtual void OnTick() = 0;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_REPORTER_H
