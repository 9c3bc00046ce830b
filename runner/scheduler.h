// Pure scheduling: which tests run next, together, on which worker slot. No processes, no clock.
#ifndef XDIST_RUNNER_SCHEDULER_H
#define XDIST_RUNNER_SCHEDULER_H

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "lock_broker.h"
#include "test_case.h"

namespace xdist::run {

/// One run of one test: `repetition` for --count, `attempt` for --reruns (0 = first run).
struct WorkItem {
  std::size_t test = 0;
  int repetition = 0;
  int attempt = 0;
  bool operator==(const WorkItem&) const = default;
};

/// pytest-xdist's --dist modes.
enum class DistMode : std::uint8_t { kLoad, kLoadFile, kLoadScope, kLoadGroup, kWorkSteal, kNo };

/// Parses "load", "loadfile", ... .
Expected<DistMode> ParseDistMode(std::string_view text);
std::string_view DistModeName(DistMode mode);

/// What the run knows in advance about each test, from the duration history.
struct Prediction {
  std::vector<double> seconds;      ///< per test; a default where unknown
  std::vector<bool> known;          ///< a duration from history
  std::vector<bool> failed_before;  ///< failed in its last recorded run
};

struct SchedulerConfig {
  int workers = 1;
  DistMode mode = DistMode::kLoad;
  /// One test per process, so that no test starts after --maxfail is reached.
  bool single_test_batches = false;
  /// One process per binary (--dist no, -n 0), as far as the command line allows.
  bool whole_binary_batches = false;
  /// Guided self-scheduling: a batch gets about remaining work / (factor × workers). Smaller
  /// factors mean fewer processes, larger ones more room to even out wrong predictions. On
  /// the reference suites (1,600 tests in 40 binaries), 1.5 plans 47-50 processes where 3
  /// planned 70-86, with the same predicted makespan.
  double guided_factor = 1.5;
  /// No batch is planned smaller than this much predicted work (seconds), unless the
  /// binary has no more tests: a GoogleTest process takes about 2 ms to start and end, which
  /// must stay small against the batch.
  double min_batch_seconds = 0.02;
  /// Tests of unknown duration go into small batches: nothing tells where the long ones are, so
  /// small batches keep the workers level on a first run. A batch holds at most this many of
  /// them, or more once the run has measured some (see Observe()): as many as are expected to
  /// take unknown_batch_seconds, so that a suite of tiny tests does not pay a process per few tests.
  std::size_t max_unknown_per_batch = 8;
  double unknown_batch_seconds = 0.05;
  /// Keeps a --gtest_filter argument under the kernel's limit for one argument (128 KiB).
  std::size_t max_filter_bytes = std::size_t{100} * 1024;
  /// Units (groups, files, suites) are taken in the given order instead of longest first.
  bool keep_unit_order = false;
  /// Resource locks of other invocations on the machine (not owned; nullptr: locks hold
  /// within this invocation only). A locked test starts only once this broker grants all its
  /// locks too; until then other work goes first.
  LockBroker* machine_locks = nullptr;
};

/// Tests that one process runs, in the binary's run order.
struct Batch {
  int slot = 0;
  std::vector<WorkItem> items;
  bool alone = false;  ///< a no_parallel test: nothing else runs meanwhile
  bool machine_locks = false;  ///< its tests' locks are held from the LockBroker
  double predicted_seconds = 0;
};

/// Hands out batches to free worker slots, honouring the dist mode and the markers:
/// no_parallel tests run one at a time with nothing else running, each in its own process
/// (all of them before other tests start, since they need the whole machine anyway);
/// exclusive and shared resource locks are held while a batch runs; a group's tests all run
/// on the slot that took the group's first test (for loadfile/loadscope, every file/suite is
/// such a unit). Units are taken longest first; single tests go out in guided batches of
/// one binary each, taken from the given priority order.
class Scheduler {
 public:
  /// `items`: the work, in priority order. `prediction`: per test, indexed by test.
  Scheduler(const std::vector<TestCase>& tests, const std::vector<WorkItem>& items,
            const Prediction& prediction, SchedulerConfig config);

  /// The next batch for the free `slot`, or nullopt when nothing may start there now.
  std::optional<Batch> Next(int slot);
  /// The batch's process has ended: releases its locks.
  void Done(const Batch& batch);
  /// Tests of an ended batch that did not run: they go out again first (on the same slot
  /// when they belong to a unit).
  void Requeue(int slot, const std::vector<WorkItem>& items);
  /// More work, ahead of everything else (a rerun).
  void Add(const WorkItem& item);
  /// A test ran for `seconds` (used to size batches of tests of unknown duration).
  void Observe(double seconds);
  /// Drops everything not handed out yet (maxfail reached, interrupt).
  void Stop();
  /// Whether a Next() since the last call held a test back because the LockBroker refused
  /// one of its locks (a holder in another invocation); resets the answer. Such a test may
  /// start later without any batch of this run ending, so the caller asks again soon.
  bool TakeMachineLockWait();

  bool HasPending() const;
  int RunningBatches() const { return running_; }

 private:
  using ItemList = std::list<WorkItem>;

  bool CanLock(const TestCase& test) const;
  /// Takes the test's locks from the LockBroker, all or none.
  bool AcquireMachineLocks(const TestCase& test);
  void ReleaseMachineLocks(const TestCase& test);
  void Lock(const TestCase& test);
  void Unlock(const TestCase& test);
  bool IsUnitMember(const TestCase& test) const;
  std::string UnitKey(const TestCase& test) const;
  double Predicted(const WorkItem& item) const { return predicted_[item.test]; }
  /// Takes a batch out of `list`, sized for `remaining` predicted work; nullopt when no
  /// item of the list may start now.
  std::optional<Batch> TakeBatch(int slot, ItemList& list, double remaining);
  void StealFor(int slot);
  void PinUnitTo(int slot);
  double Sum(const ItemList& list) const;

  const std::vector<TestCase>& tests_;
  std::vector<double> predicted_;
  std::vector<bool> known_;
  SchedulerConfig config_;

  ItemList alone_;                     ///< no_parallel items
  ItemList pool_;                      ///< single items any slot may take
  std::list<ItemList> units_;          ///< multi-test units not yet pinned, longest first
  std::vector<ItemList> slot_queue_;   ///< work pinned to a slot
  std::map<std::string, int> unit_slot_;  ///< unit key -> slot it is pinned to
  double remaining_ = 0;               ///< predicted seconds of everything pending

  struct LockState {
    int shared = 0;
    bool exclusive = false;
  };
  std::map<std::string, LockState> locks_;
  int running_ = 0;
  double observed_seconds_ = 0;
  std::size_t observed_ = 0;
  bool alone_running_ = false;
  bool stopped_ = false;
  bool machine_lock_wait_ = false;
};

/// The run's work in priority order: every test (disabled ones too; the session reports
/// them as skipped), `count` times;
/// tests that failed before or are unknown first, then longest first (LPT); the listing
/// order for --dist no. With a shuffle seed, a reproducible random order instead.
std::vector<WorkItem> OrderWork(const std::vector<TestCase>& tests, const Prediction& prediction,
                                int count, DistMode mode, std::optional<std::uint64_t> seed);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SCHEDULER_H
