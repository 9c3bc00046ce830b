#include "session.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "gtest_report.h"
#include "read_file.h"

namespace xdist::run {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

// How often the reporter gets a tick while tests run (progress line, ETA).
constexpr Duration kTickInterval = std::chrono::milliseconds(250);
// How often a test waiting for a lock held by another invocation asks again: nothing in
// this run tells when that holder ends.
constexpr Duration kMachineLockRetry = std::chrono::milliseconds(50);
// Output kept for a test that passed or was skipped: enough for the JUnit file, small enough
// that a suite of chatty tests does not fill the runner's memory.
constexpr std::size_t kKeptPassingOutput = std::size_t{16} * 1024;

std::optional<std::string> ReadAndRemove(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  if (text) std::remove(path.c_str());
  return text;
}

Duration MeasuredDuration(Duration reported, std::optional<Duration> streamed) {
  // GoogleTest cuts its times down to whole milliseconds. The stream's time is finer when the
  // runner read the test's start and end lines at different times; if it lies within
  // GoogleTest's millisecond it is the better figure, otherwise the middle of that
  // millisecond is (so that a history of 4.9 ms tests does not predict 4 ms).
  constexpr Duration kMillisecond = std::chrono::milliseconds(1);
  const Duration rounded = std::chrono::round<std::chrono::microseconds>(reported);
  if (rounded % kMillisecond != Duration::zero()) return reported;  // not a cut-down time
  if (streamed && *streamed >= rounded && *streamed < rounded + kMillisecond) return *streamed;
  return rounded + kMillisecond / 2;
}

Outcome FromStream(StreamStatus status, const std::string& output) {
  switch (status) {
    case StreamStatus::kPassed: return outcome::Passed{};
    case StreamStatus::kFailed: return outcome::Failed{output};
    case StreamStatus::kSkipped: return outcome::Skipped{output, false};
  }
  return outcome::Failed{output};
}

}  // namespace

Session::Session(Launcher& launcher, const Clock& clock, Reporter& reporter,
                 const std::vector<Binary>& binaries, const std::vector<TestCase>& tests,
                 std::vector<WorkItem> items, const Prediction& prediction,
                 SessionConfig config)
    : launcher_(launcher),
      clock_(clock),
      reporter_(reporter),
      binaries_(binaries),
      tests_(tests),
      config_(std::move(config)),
      scheduler_(tests, [&] {
        std::vector<WorkItem> runnable;
        for (const WorkItem& item : items) {
          if (tests[item.test].disabled) {
            disabled_.push_back(item);
          } else {
            runnable.push_back(item);
          }
        }
        return runnable;
      }(), prediction, config_.scheduler),
      total_items_(items.size()) {
  const auto slots = static_cast<std::size_t>(std::max(1, config_.scheduler.workers));
  config_.slot_env.resize(slots);
  config_.slot_setup.resize(slots, nullptr);
  config_.slot_network_setup.resize(slots, nullptr);
}

std::vector<std::string> Session::CommandLine(const Batch& batch,
                                              const std::string& report) const {
  const TestCase& first = tests_[batch.items.front().test];
  std::string filter = "--gtest_filter=";
  for (std::size_t i = 0; i < batch.items.size(); ++i) {
    if (i > 0) filter += ':';
    filter += tests_[batch.items[i].test].FullName();
  }
  std::vector<std::string> argv = {binaries_[first.binary].path, filter,
                                   "--gtest_output=json:" + report,
                                   config_.color ? "--gtest_color=yes" : "--gtest_color=no"};
  // Disabled tests never reach a batch; the flag lets a user's -k name one on purpose.
  argv.insert(argv.end(), config_.extra_args.begin(), config_.extra_args.end());
  return argv;
}

void Session::StartBatch(Batch batch) {
  const int slot = batch.slot;
  Running running;
  running.report_path =
      config_.report_dir + "/batch-" + std::to_string(next_report_++) + ".json";
  std::vector<std::string> names;
  names.reserve(batch.items.size());
  for (const WorkItem& item : batch.items) names.push_back(tests_[item.test].FullName());
  running.parser = std::make_unique<GTestStreamParser>(std::move(names));
  running.started = clock_.Now();
  running.deadline_base = running.started;
  running.test_started.assign(batch.items.size(), running.started);
  running.ended.assign(batch.items.size(), std::nullopt);
  running.durations.assign(batch.items.size(), Duration::zero());
  const bool network = std::any_of(batch.items.begin(), batch.items.end(),
                                   [&](const WorkItem& item) {
                                     return tests_[item.test].needs_network;
                                   });
  const auto index = static_cast<std::size_t>(slot);
  ProcessSpec spec{CommandLine(batch, running.report_path), config_.slot_env[index],
                   network ? config_.slot_network_setup[index] : config_.slot_setup[index]};
  running.batch = std::move(batch);
  running.id = launcher_.Start(spec);
  slot_of_[running.id] = slot;
  running_[slot] = std::move(running);
}

void Session::OnOutput(Running& running, const std::string& output) {
  const TimePoint now = clock_.Now();
  for (const StreamEvent& event : running.parser->Feed(output)) {
    switch (event.kind) {
      case StreamEvent::Kind::kStarted:
        running.test_started[event.index] = now;
        running.deadline_base = now;
        reporter_.OnTestStarted(running.batch.items[event.index].test, running.batch.slot);
        break;
      case StreamEvent::Kind::kEnded:
        running.ended[event.index] = event.status;
        running.durations[event.index] = now - running.test_started[event.index];
        running.deadline_base = now;
        break;
    }
  }
}

void Session::Finish(int slot, const WorkItem& item, Outcome outcome, Duration duration,
                     std::string output) {
  TestResult result{item.test, item.repetition, std::move(outcome), duration,
                    std::move(output), slot, item.attempt + 1, false};
  const auto key = std::make_pair(item.test, item.repetition);
  if (IsFailure(result.outcome) && item.attempt < config_.reruns && !stopping_) {
    ++failed_attempts_[key];
    reporter_.OnRerun(result);
    scheduler_.Add({item.test, item.repetition, item.attempt + 1});
    return;
  }
  result.flaky = !IsFailure(result.outcome) && failed_attempts_.count(key) > 0 &&
                 std::holds_alternative<outcome::Passed>(result.outcome);
  if (!IsFailure(result.outcome) && result.output.size() > kKeptPassingOutput) {
    result.output.erase(0, result.output.size() - kKeptPassingOutput);
  }
  ++finished_items_;
  scheduler_.Observe(ToSeconds(result.duration));
  reporter_.OnTestFinished(result);
  if (IsFailure(result.outcome)) {
    ++failures_;
    if (config_.maxfail > 0 && failures_ >= config_.maxfail && !stopping_) {
      stopping_ = true;
      summary_.stopped_at_maxfail = true;
      scheduler_.Stop();
    }
  }
  summary_.results.push_back(std::move(result));
}

void Session::OnExit(int slot, const ExitStatus& status) {
  Running running = std::move(running_[slot]);
  running_.erase(slot);
  slot_of_.erase(running.id);
  OnOutput(running, "");
  for (const StreamEvent& event : running.parser->Finish()) {
    if (event.kind == StreamEvent::Kind::kEnded) running.ended[event.index] = event.status;
  }
  const std::vector<WorkItem>& items = running.batch.items;
  const GTestStreamParser& parser = *running.parser;
  const std::optional<std::string> report_text = ReadAndRemove(running.report_path);

  // A normal exit with a report: the report is authoritative (tests may print lines that
  // look like GoogleTest's; the report cannot be faked that way).
  const bool normal_exit = std::holds_alternative<exit_status::Exited>(status) &&
                           !running.timed_out && !running.interrupted;
  if (normal_exit && report_text) {
    const auto report = ParseRunReport(*report_text, binaries_[tests_[items[0].test].binary].label);
    if (report) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        const TestCase& test = tests_[items[i].test];
        const auto it = report->find(test.FullName());
        std::string output = parser.Output(i);
        if (it == report->end() || it->second.result == ReportedTest::Result::kNotRun) {
          Finish(slot, items[i],
                 outcome::Failed{"GoogleTest did not run this test although the filter named it"},
                 Duration::zero(), std::move(output));
          continue;
        }
        const Duration duration =
            MeasuredDuration(FromSeconds(it->second.seconds),
                             running.ended[i] ? std::optional<Duration>(running.durations[i])
                                              : std::nullopt);
        Outcome outcome = outcome::Passed{};
        switch (it->second.result) {
          case ReportedTest::Result::kPassed: outcome = outcome::Passed{}; break;
          case ReportedTest::Result::kFailed:
            outcome = outcome::Failed{it->second.failure_message};
            break;
          case ReportedTest::Result::kSkipped: outcome = outcome::Skipped{output, false}; break;
          case ReportedTest::Result::kNotRun: break;
        }
        Finish(slot, items[i], std::move(outcome), duration, std::move(output));
      }
      scheduler_.Done(running.batch);
      return;
    }
  }

  // Otherwise the stream decides. Find the test to blame.
  if (const auto* failed = std::get_if<exit_status::StartFailed>(&status)) {
    for (const WorkItem& item : items) {
      Finish(slot, item, outcome::FailedToStart{failed->error}, Duration::zero(), "");
    }
    scheduler_.Done(running.batch);
    return;
  }
  std::size_t culprit = 0;
  if (running.timed_out) {
    culprit = running.timed_out_index;
  } else if (parser.LastStarted() < 0) {
    culprit = 0;
  } else if (!parser.LastEnded() || parser.NextExpected() >= items.size()) {
    // Still running, or the batch's last test ended and the process died on its way out.
    culprit = static_cast<std::size_t>(parser.LastStarted());
  } else {
    // Between tests: the next test's set-up (e.g. SetUpTestSuite) was running.
    culprit = parser.NextExpected();
  }
  culprit = std::min(culprit, items.size() - 1);
  for (std::size_t i = 0; i < culprit; ++i) {
    const std::string& output = parser.Output(i);
    Finish(slot, items[i], FromStream(running.ended[i].value_or(StreamStatus::kFailed), output),
           running.durations[i], output);
  }
  Outcome blamed = outcome::Interrupted{};
  if (running.interrupted) {
    blamed = outcome::Interrupted{};
  } else if (running.timed_out) {
    blamed = outcome::TimedOut{ToSeconds(config_.timeout.value_or(Duration::zero()))};
  } else if (const auto* signaled = std::get_if<exit_status::Signaled>(&status)) {
    blamed = outcome::Crashed{signaled->signal};
  } else if (const auto* exited = std::get_if<exit_status::Exited>(&status)) {
    blamed = outcome::ExitedMidTest{exited->code};
  }
  std::string output = parser.Output(culprit);
  if (!parser.StrayOutput().empty()) {
    if (!output.empty() && output.back() != '\n') output += '\n';
    output += parser.StrayOutput();
  }
  const TimePoint now = clock_.Now();
  const bool started = static_cast<int>(culprit) <= parser.LastStarted();
  Finish(slot, items[culprit], std::move(blamed),
         now - (started ? running.test_started[culprit] : running.deadline_base),
         std::move(output));
  if (!running.interrupted) {
    scheduler_.Requeue(slot, std::vector<WorkItem>(items.begin() + static_cast<long>(culprit) + 1,
                                                   items.end()));
  }
  scheduler_.Done(running.batch);
}

void Session::CheckTimeouts() {
  if (!config_.timeout) return;
  const TimePoint now = clock_.Now();
  for (auto& [slot, running] : running_) {
    if (running.timed_out || running.interrupted) continue;
    if (now - running.deadline_base < *config_.timeout) continue;
    const GTestStreamParser& parser = *running.parser;
    running.timed_out = true;
    running.timed_out_index = parser.LastStarted() >= 0 && !parser.LastEnded()
                                  ? static_cast<std::size_t>(parser.LastStarted())
                                  : std::min(parser.NextExpected(), running.batch.items.size() - 1);
    launcher_.Terminate(running.id);
  }
}

std::optional<Duration> Session::NextWakeUp() const {
  Duration wake = kTickInterval;
  if (config_.timeout) {
    const TimePoint now = clock_.Now();
    for (const auto& [slot, running] : running_) {
      if (running.timed_out || running.interrupted) continue;
      wake = std::min(wake, std::max(Duration::zero(),
                                     running.deadline_base + *config_.timeout - now));
    }
  }
  return wake;
}

SessionSummary Session::Run() {
  const TimePoint start = clock_.Now();
  for (const WorkItem& item : disabled_) {
    ++finished_items_;
    TestResult result{item.test, item.repetition, outcome::Skipped{"disabled", true},
                      Duration::zero(), "", -1, 0, false};
    reporter_.OnTestFinished(result);
    summary_.results.push_back(std::move(result));
  }
  TimePoint last_tick = start;
  for (;;) {
    if (!stopping_) {
      for (int slot = 0; slot < config_.scheduler.workers; ++slot) {
        if (running_.count(slot)) continue;
        if (std::optional<Batch> batch = scheduler_.Next(slot)) StartBatch(std::move(*batch));
      }
    }
    const bool machine_lock_wait = scheduler_.TakeMachineLockWait() && !stopping_;
    if (running_.empty() && !machine_lock_wait) break;
    std::optional<Duration> wake = NextWakeUp();
    if (machine_lock_wait) wake = std::min(wake.value_or(kMachineLockRetry), kMachineLockRetry);
    for (ProcessEvent& event : launcher_.Wait(wake)) {
      const auto it = slot_of_.find(event.id);
      if (it == slot_of_.end()) continue;
      const int slot = it->second;
      if (!event.output.empty()) OnOutput(running_[slot], event.output);
      if (event.exit) OnExit(slot, *event.exit);
    }
    if (launcher_.Interrupted() && !summary_.interrupted) {
      summary_.interrupted = true;
      stopping_ = true;
      scheduler_.Stop();
      for (auto& [slot, running] : running_) {
        running.interrupted = true;
        launcher_.Terminate(running.id);
      }
    }
    CheckTimeouts();
    const TimePoint now = clock_.Now();
    if (now - last_tick >= kTickInterval) {
      last_tick = now;
      reporter_.OnTick();
    }
  }
  summary_.not_run = total_items_ - std::min(total_items_, finished_items_);
  summary_.wall = clock_.Now() - start;
  return std::move(summary_);
}

}  // namespace xdist::run
