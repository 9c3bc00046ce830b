// Runs the scheduled batches through a Launcher and turns the processes' output into results.
#ifndef XDIST_RUNNER_SESSION_H
#define XDIST_RUNNER_SESSION_H

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_setup.h"
#include "clock.h"
#include "gtest_stream.h"
#include "launcher.h"
#include "reporter.h"
#include "scheduler.h"
#include "test_case.h"
#include "test_result.h"

namespace xdist::run {

/// How to run the batches.
struct SessionConfig {
  SchedulerConfig scheduler;
  std::vector<std::string> extra_args;   ///< after `--`, passed to every test process
  std::optional<Duration> timeout;       ///< per test
  int reruns = 0;
  int maxfail = 0;                       ///< 0: no limit
  bool color = false;                    ///< --gtest_color=yes instead of no
  std::string report_dir;                ///< where the batches' JSON reports are written
  /// The complete environment of each worker slot's processes ("NAME=value").
  std::vector<std::vector<std::string>> slot_env;
  /// Per slot: run in the child between its creation and exec (nullptr: nothing).
  std::vector<const ChildSetup*> slot_setup;
  /// Per slot, for batches of tests marked needs_network (nullptr: nothing).
  std::vector<const ChildSetup*> slot_network_setup;
};

/// What a run produced.
struct SessionSummary {
  std::vector<TestResult> results;  ///< in the order they finished
  bool interrupted = false;
  bool stopped_at_maxfail = false;
  std::size_t not_run = 0;          ///< work items never started (maxfail, interrupt)
  Duration wall{};
};

/// Drives one run: asks the Scheduler for batches, starts each as one process running
/// `BINARY --gtest_filter=A.b:C.d --gtest_output=json:FILE`, follows the output stream
/// live (start of each test, per-test timeout), and decides results when the process
/// ends: from the JSON report when the process exited normally, otherwise from the
/// stream, pinning the crash, hang or exit on the test that was running and sending the
/// batch's unrun rest out again in a new process. Every item is reported exactly once.
class Session {
 public:
  Session(Launcher& launcher, const Clock& clock, Reporter& reporter,
          const std::vector<Binary>& binaries, const std::vector<TestCase>& tests,
          std::vector<WorkItem> items, const Prediction& prediction, SessionConfig config);

  SessionSummary Run();

 private:
  struct Running {
    ProcessId id = 0;
    Batch batch;
    std::unique_ptr<GTestStreamParser> parser;
    std::string report_path;
    TimePoint started{};
    TimePoint deadline_base{};               ///< start of the current test, for --timeout
    std::vector<TimePoint> test_started;
    std::vector<std::optional<StreamStatus>> ended;
    std::vector<Duration> durations;
    bool timed_out = false;
    std::size_t timed_out_index = 0;
    bool interrupted = false;
  };

  void StartBatch(Batch batch);
  void OnOutput(Running& running, const std::string& output);
  void OnExit(int slot, const ExitStatus& status);
  void CheckTimeouts();
  void Finish(int slot, const WorkItem& item, Outcome outcome, Duration duration,
              std::string output);
  std::optional<Duration> NextWakeUp() const;
  std::vector<std::string> CommandLine(const Batch& batch, const std::string& report) const;

  Launcher& launcher_;
  const Clock& clock_;
  Reporter& reporter_;
  const std::vector<Binary>& binaries_;
  const std::vector<TestCase>& tests_;
  SessionConfig config_;
  std::vector<WorkItem> disabled_;  ///< filled while scheduler_ is constructed
  Scheduler scheduler_;
  std::size_t total_items_ = 0;

  std::map<int, Running> running_;  ///< by slot
  std::map<ProcessId, int> slot_of_;
  SessionSummary summary_;
  int failures_ = 0;
  std::size_t finished_items_ = 0;
  std::size_t next_report_ = 0;
  bool stopping_ = false;
  std::map<std::pair<std::size_t, int>, int> failed_attempts_;  ///< (test, repetition)
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SESSION_H
