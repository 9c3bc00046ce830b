// What the user sees: live progress, failures with their output, the summary.
#ifndef XDIST_RUNNER_CONSOLE_REPORTER_H
#define XDIST_RUNNER_CONSOLE_REPORTER_H

#include <cstdint>
#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "clock.h"
#include "reporter.h"
#include "test_case.h"
#include "test_result.h"

namespace xdist::run {

/// Result counts for the closing line.
struct Counts {
  int passed = 0;   ///< including flaky
  int failed = 0;   ///< failed assertions, exits mid-test, start failures
  int skipped = 0;  ///< including disabled
  int crashed = 0;
  int timed_out = 0;
  int flaky = 0;
  int interrupted = 0;
};

Counts CountResults(const std::vector<TestResult>& results);

/// "N passed, N failed", then ", N skipped", ", N crashed", ", N timed out", ", N flaky",
/// ", N interrupted", ", N not run" where not zero.
std::string ClosingLine(const Counts& counts, std::size_t not_run);

/// "12.3 ms", "4.56 s", "2 min 3 s".
std::string FormatDuration(Duration duration);

enum class Verbosity : std::uint8_t { kQuiet, kNormal, kVerbose };

/// Prints to a terminal (one overprinted progress line, elided to its width) or to a log
/// (one line per finished test unless quiet). Failures always print permanently, with the
/// test's captured output. Colour only when `color`.
class ConsoleReporter final : public Reporter {
 public:
  ConsoleReporter(std::FILE* out, bool smart_terminal, bool color, Verbosity verbosity,
                  const std::vector<Binary>& binaries, const std::vector<TestCase>& tests,
                  std::size_t total, const Clock& clock);

  void OnTestStarted(std::size_t test, int worker) override;
  void OnTestFinished(const TestResult& result) override;
  void OnRerun(const TestResult& attempt) override;
  void OnTick() override;

  /// Ends the progress line and prints the slowest `durations` tests, the failures again in
  /// short, the time saved and the closing line.
  void PrintSummary(const std::vector<TestResult>& results, std::size_t not_run, Duration wall,
                    int durations);

  /// Prints a permanent line (a warning, a note), keeping the progress line intact.
  void PrintLine(const std::string& line);

 private:
  std::string Name(std::size_t test) const;
  std::string Colored(const std::string& text, const char* code) const;
  void ClearProgress();
  void DrawProgress();
  /// DrawProgress(), at most every 50 ms: thousands of tiny tests must not cost a redraw each.
  void DrawProgressThrottled();
  int Width() const;

  std::FILE* out_;
  bool smart_;
  bool color_;
  Verbosity verbosity_;
  const std::vector<Binary>& binaries_;
  const std::vector<TestCase>& tests_;
  std::size_t total_;
  const Clock& clock_;
  TimePoint start_;
  std::size_t done_ = 0;
  int failures_ = 0;
  std::map<int, std::size_t> running_;  ///< worker -> test
  bool progress_shown_ = false;
  TimePoint last_draw_{};
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CONSOLE_REPORTER_H
