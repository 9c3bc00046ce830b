#include "console_reporter.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace xdist::run {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

constexpr const char* kRed = "\x1b[31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";

const char* OutcomeColor(const Outcome& outcome) {
  return std::visit(Overloaded{[](const outcome::Passed&) { return kGreen; },
                               [](const outcome::Failed&) { return kRed; },
                               [](const outcome::Skipped&) { return kYellow; },
                               [](const outcome::Crashed&) { return kRed; },
                               [](const outcome::TimedOut&) { return kRed; },
                               [](const outcome::ExitedMidTest&) { return kRed; },
                               [](const outcome::FailedToStart&) { return kRed; },
                               [](const outcome::Interrupted&) { return kYellow; }},
                    outcome);
}

}  // namespace

Counts CountResults(const std::vector<TestResult>& results) {
  Counts counts;
  for (const TestResult& result : results) {
    std::visit(Overloaded{[&](const outcome::Passed&) { ++counts.passed; },
                          [&](const outcome::Failed&) { ++counts.failed; },
                          [&](const outcome::Skipped&) { ++counts.skipped; },
                          [&](const outcome::Crashed&) { ++counts.crashed; },
                          [&](const outcome::TimedOut&) { ++counts.timed_out; },
                          [&](const outcome::ExitedMidTest&) { ++counts.failed; },
                          [&](const outcome::FailedToStart&) { ++counts.failed; },
                          [&](const outcome::Interrupted&) { ++counts.interrupted; }},
               result.outcome);
    if (result.flaky) ++counts.flaky;
  }
  return counts;
}

std::string ClosingLine(const Counts& counts, std::size_t not_run) {
  std::string line =
      std::to_string(counts.passed) + " passed, " + std::to_string(counts.failed) + " failed";
  const auto add = [&](long long value, const char* word) {
    if (value > 0) line += ", " + std::to_string(value) + " " + word;
  };
  add(counts.skipped, "skipped");
  add(counts.crashed, "crashed");
  add(counts.timed_out, "timed out");
  add(counts.flaky, "flaky");
  add(counts.interrupted, "interrupted");
  add(static_cast<long long>(not_run), "not run");
  return line;
}

std::string FormatDuration(Duration duration) {
  const double seconds = ToSeconds(duration);
  char text[64];
  if (seconds < 1) {
    std::snprintf(text, sizeof text, "%.1f ms", seconds * 1000);
  } else if (seconds < 120) {
    std::snprintf(text, sizeof text, "%.2f s", seconds);
  } else {
    std::snprintf(text, sizeof text, "%d min %d s", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  }
  return text;
}

ConsoleReporter::ConsoleReporter(std::FILE* out, bool smart_terminal, bool color,
                                 Verbosity verbosity, const std::vector<Binary>& binaries,
                                 const std::vector<TestCase>& tests, std::size_t total,
                                 const Clock& clock)
    : out_(out),
      smart_(smart_terminal),
      color_(color),
      verbosity_(verbosity),
      binaries_(binaries),
      tests_(tests),
      total_(total),
      clock_(clock),
      start_(clock.Now()) {}

std::string ConsoleReporter::Name(std::size_t test) const {
  return tests_[test].FullName();
}

std::string ConsoleReporter::Colored(const std::string& text, const char* code) const {
  return color_ ? std::string(code) + text + "\x1b[0m" : text;
}

int ConsoleReporter::Width() const {
  winsize size{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 10) return size.ws_col;
  return 80;
}

void ConsoleReporter::ClearProgress() {
  if (!progress_shown_) return;
  std::fputs("\r\x1b[K", out_);
  progress_shown_ = false;
}

void ConsoleReporter::DrawProgress() {
  if (!smart_) return;
  const Duration elapsed = clock_.Now() - start_;
  std::string line = "[" + std::to_string(done_) + "/" + std::to_string(total_) + "] " +
                     std::to_string(running_.size()) + " running, " +
                     std::to_string(failures_) + " failed, " + FormatDuration(elapsed);
  if (done_ > 0 && done_ < total_) {
    const auto eta = elapsed * static_cast<std::int64_t>(total_ - done_) /
                     static_cast<std::int64_t>(done_);
    line += ", ETA " + FormatDuration(eta);
  }
  if (!running_.empty()) line += ": " + Name(running_.begin()->second);
  const auto width = static_cast<std::size_t>(Width() - 1);
  if (line.size() > width) {
    line.resize(width - 3);
    line.append("...");
  }
  std::fputs("\r\x1b[K", out_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  progress_shown_ = true;
}

void ConsoleReporter::DrawProgressThrottled() {
  if (!smart_) return;
  const TimePoint now = clock_.Now();
  if (progress_shown_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  DrawProgress();
}

void ConsoleReporter::PrintLine(const std::string& line) {
  ClearProgress();
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  DrawProgress();
}

void ConsoleReporter::OnTestStarted(std::size_t test, int worker) {
  running_[worker] = test;
}

void ConsoleReporter::OnTestFinished(const TestResult& result) {
  if (result.worker >= 0) running_.erase(result.worker);
  ++done_;
  const bool failure = IsFailure(result.outcome);
  if (failure) ++failures_;
  const bool permanent = failure || verbosity_ == Verbosity::kVerbose ||
                         (!smart_ && verbosity_ == Verbosity::kNormal);
  if (!permanent) {
    DrawProgressThrottled();
    return;
  }
  ClearProgress();
  std::string word = DescribeOutcome(result.outcome);
  if (result.flaky) word = "flaky (passed on attempt " + std::to_string(result.attempts) + ")";
  const std::string where = result.worker >= 0 ? " [gw" + std::to_string(result.worker) + "]" : "";
  const std::string line = Colored(word, OutcomeColor(result.outcome)) + " " + Name(result.test) +
                           " (" + FormatDuration(result.duration) + ")" + where;
  if (failure) {
    std::fprintf(out_, "%s %s\n", Colored("FAIL", kRed).c_str(), line.c_str());
    // GoogleTest prints a failure's message into the output; show the message itself only
    // when the output is empty.
    std::string text = result.output;
    if (const auto* failed = std::get_if<outcome::Failed>(&result.outcome)) {
      if (text.empty()) text = failed->message;
    }
    if (!text.empty()) {
      std::fputs(text.c_str(), out_);
      if (text.back() != '\n') std::fputc('\n', out_);
    }
    std::fprintf(out_, "  in %s\n", binaries_[tests_[result.test].binary].label.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  DrawProgress();
}

void ConsoleReporter::OnRerun(const TestResult& attempt) {
  if (attempt.worker >= 0) running_.erase(attempt.worker);
  PrintLine(Colored("RERUN", kYellow) + " " + Name(attempt.test) + " (attempt " +
            std::to_string(attempt.attempts) + " " + DescribeOutcome(attempt.outcome) + ")");
}

void ConsoleReporter::OnTick() { DrawProgress(); }

void ConsoleReporter::PrintSummary(const std::vector<TestResult>& results, std::size_t not_run,
                                   Duration wall, int durations) {
  ClearProgress();
  Duration sum{};
  for (const TestResult& result : results) sum += result.duration;
  if (durations > 0) {
    std::vector<const TestResult*> slowest;
    slowest.reserve(results.size());
    for (const TestResult& result : results) slowest.push_back(&result);
    std::stable_sort(slowest.begin(), slowest.end(), [](const TestResult* a, const TestResult* b) {
      return a->duration > b->duration;
    });
    if (slowest.size() > static_cast<std::size_t>(durations)) {
      slowest.resize(static_cast<std::size_t>(durations));
    }
    std::fprintf(out_, "slowest %zu tests:\n", slowest.size());
    for (const TestResult* result : slowest) {
      std::fprintf(out_, "  %10s  %s\n", FormatDuration(result->duration).c_str(),
                   Name(result->test).c_str());
    }
  }
  std::vector<const TestResult*> failed;
  for (const TestResult& result : results) {
    if (IsFailure(result.outcome)) failed.push_back(&result);
  }
  if (!failed.empty()) {
    std::fprintf(out_, "failures:\n");
    for (const TestResult* result : failed) {
      std::fprintf(out_, "  %s %s (%s)\n", Colored(DescribeOutcome(result->outcome), kRed).c_str(),
                   Name(result->test).c_str(), binaries_[tests_[result->test].binary].label.c_str());
    }
  }
  const Duration saved = sum - wall;
  std::fprintf(out_, "wall time %s, sum of test times %s", FormatDuration(wall).c_str(),
               FormatDuration(sum).c_str());
  if (saved > Duration::zero() && sum > Duration::zero()) {
    std::fprintf(out_, ", %s saved (%.0f %%)", FormatDuration(saved).c_str(),
                 100.0 * ToSeconds(saved) / ToSeconds(sum));
  }
  std::fputc('\n', out_);
  std::fprintf(out_, "%s\n", ClosingLine(CountResults(results), not_run).c_str());
  std::fflush(out_);
}

}  // namespace xdist::run
