// The outcome of one test run, as a closed set of alternatives.
#ifndef XDIST_RUNNER_TEST_RESULT_H
#define XDIST_RUNNER_TEST_RESULT_H

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "clock.h"

namespace xdist::run {

namespace outcome {
struct Passed {};
/// The test reported failures (GoogleTest assertions); `message` holds them.
struct Failed {
  std::string message;
};
struct Skipped {
  std::string message;
  bool disabled = false;  ///< a DISABLED_ test, never run
};
/// The test process died from a signal while this test was running.
struct Crashed {
  int signal = 0;
};
/// The test ran past --timeout and its process group was killed.
struct TimedOut {
  double limit_seconds = 0;
};
/// The test process exited (with `status`, perhaps 0) before the test finished.
struct ExitedMidTest {
  int status = 0;
};
/// The test process could not be started (exec failed, or the worker set-up failed).
struct FailedToStart {
  std::string error;
};
/// The run was interrupted (Ctrl-C, SIGTERM) while the test was running.
struct Interrupted {};
}  // namespace outcome

using Outcome = std::variant<outcome::Passed, outcome::Failed, outcome::Skipped,
                             outcome::Crashed, outcome::TimedOut, outcome::ExitedMidTest,
                             outcome::FailedToStart, outcome::Interrupted>;

/// The final report for one test and one repetition.
struct TestResult {
  std::size_t test = 0;      ///< index into the run's tests
  int repetition = 0;        ///< 0-based, for --count
  Outcome outcome;
  Duration duration{};
  std::string output;        ///< captured stdout+stderr of the test (a tail, when huge)
  int worker = -1;           ///< slot number (gwN), -1 when not run
  int attempts = 1;          ///< runs including reruns
  bool flaky = false;        ///< passed after failing (--reruns)
};

/// True for outcomes that count against the run (everything but passed, skipped, interrupted).
bool IsFailure(const Outcome& outcome);

/// A short lowercase word for the outcome: "passed", "failed", "crashed", ...
std::string_view OutcomeWord(const Outcome& outcome);

/// One line describing the outcome, e.g. "crashed with SIGSEGV", "timed out after 5 s".
std::string DescribeOutcome(const Outcome& outcome);

/// "SIGSEGV" for 11, "signal 99" for unknown numbers.
std::string SignalName(int signal);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_TEST_RESULT_H
