#include "scheduler.h"

#include <gtest/gtest.h>

#include <set>

#include "fake_launcher.h"
#include "fake_lock_broker.h"
#include "plan.h"

namespace xdist::run {
namespace {

std::vector<TestCase> MakeTests(int count, std::size_t binaries = 1) {
  std::vector<TestCase> tests;
  for (int i = 0; i < count; ++i) {
    TestCase test;
    test.binary = static_cast<std::size_t>(i) % binaries;
    test.order = tests.size();
    test.suite = "S" + std::to_string(test.binary);
    test.name = "T" + std::to_string(i);
    test.file = "f.cpp";
    tests.push_back(test);
  }
  return tests;
}

/// A prediction where every duration is known.
Prediction Known(std::vector<double> seconds) {
  const std::size_t count = seconds.size();
  return {std::move(seconds), std::vector<bool>(count, true), std::vector<bool>(count, false)};
}

std::vector<WorkItem> Items(std::size_t count) {
  std::vector<WorkItem> items;
  for (std::size_t i = 0; i < count; ++i) items.push_back({i, 0, 0});
  return items;
}

TEST(Scheduler, BatchesHoldOneBinaryInRunOrderAndShrink) {
  const auto tests = MakeTests(200, 2);
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(200), Known(std::vector<double>(200, 0.01)), config);
  std::vector<std::size_t> sizes;
  std::set<std::size_t> seen;
  while (auto batch = scheduler.Next(0)) {
    sizes.push_back(batch->items.size());
    for (std::size_t i = 0; i < batch->items.size(); ++i) {
      const TestCase& test = tests[batch->items[i].test];
      EXPECT_EQ(test.binary, tests[batch->items[0].test].binary);
      if (i > 0) {
        EXPECT_LT(tests[batch->items[i - 1].test].order, test.order);
      }
      EXPECT_TRUE(seen.insert(batch->items[i].test).second);
    }
    scheduler.Done(*batch);
  }
  EXPECT_EQ(seen.size(), 200u);
  ASSERT_GT(sizes.size(), 3u);
  EXPECT_GT(sizes.front(), sizes.back());
  EXPECT_FALSE(scheduler.HasPending());
}

TEST(Scheduler, TestsOfUnknownDurationGoInSmallBatches) {
  const auto tests = MakeTests(100);
  Prediction prediction = Known(std::vector<double>(100, 0.01));
  for (std::size_t i = 0; i < 50; ++i) prediction.known[i] = false;
  SchedulerConfig config;
  config.workers = 2;
  config.max_unknown_per_batch = 4;
  Scheduler scheduler(tests, Items(100), prediction, config);
  std::size_t unknown_batches = 0;
  while (auto batch = scheduler.Next(0)) {
    std::size_t unknown = 0;
    for (const WorkItem& item : batch->items) unknown += prediction.known[item.test] ? 0 : 1;
    EXPECT_LE(unknown, 4u);
    if (unknown > 0) ++unknown_batches;
    scheduler.Done(*batch);
  }
  EXPECT_GE(unknown_batches, 13u);
}

TEST(Scheduler, MeasuredTinyTestsOfUnknownDurationGetBigBatches) {
  const auto tests = MakeTests(1000);
  Prediction prediction = Known(std::vector<double>(1000, 0.01));
  prediction.known.assign(1000, false);
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(1000), prediction, config);
  const auto first = scheduler.Next(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->items.size(), config.max_unknown_per_batch);
  for (std::size_t i = 0; i < first->items.size(); ++i) scheduler.Observe(1e-5);
  scheduler.Done(*first);
  const auto second = scheduler.Next(0);
  ASSERT_TRUE(second);
  EXPECT_GT(second->items.size(), 100u) << "5000 tests of 10 µs fit in 50 ms";
}

TEST(Scheduler, MinimumBatchWorkKeepsTinyTestsTogether) {
  const auto tests = MakeTests(1600);
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(1600), Known(std::vector<double>(1600, 20e-6)), config);
  int batches = 0;
  while (auto batch = scheduler.Next(0)) {
    ++batches;
    scheduler.Done(*batch);
  }
  // 1600 × 20 µs = 32 ms of work in batches of at least 5 ms: a handful of processes.
  EXPECT_LE(batches, 8);
}

TEST(Scheduler, LongestTestGoesFirst) {
  const auto tests = MakeTests(10);
  std::vector<double> predicted(10, 0.1);
  predicted[7] = 5;
  Prediction prediction{predicted, std::vector<bool>(10, true), std::vector<bool>(10, false)};
  const auto items = OrderWork(tests, prediction, 1, DistMode::kLoad, std::nullopt);
  EXPECT_EQ(items.front().test, 7u);
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, items, Known(predicted), config);
  const auto batch = scheduler.Next(0);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->items.size(), 1u) << "5 s is more than a batch's share";
  EXPECT_EQ(batch->items[0].test, 7u);
}

TEST(OrderWork, FailedAndUnknownFirstThenLongest) {
  const auto tests = MakeTests(4);
  Prediction prediction{{1, 3, 2, 0.5}, {true, true, true, false}, {false, false, true, false}};
  const auto items = OrderWork(tests, prediction, 1, DistMode::kLoad, std::nullopt);
  std::vector<std::size_t> order;
  for (const WorkItem& item : items) order.push_back(item.test);
  EXPECT_EQ(order, (std::vector<std::size_t>{2, 3, 1, 0}));
}

TEST(OrderWork, ShuffleIsReproducibleForASeed) {
  const auto tests = MakeTests(50);
  Prediction prediction{std::vector<double>(50, 1), std::vector<bool>(50, true),
                        std::vector<bool>(50, false)};
  const auto a = OrderWork(tests, prediction, 2, DistMode::kLoad, 42);
  const auto b = OrderWork(tests, prediction, 2, DistMode::kLoad, 42);
  const auto c = OrderWork(tests, prediction, 2, DistMode::kLoad, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 100u);
}

TEST(Scheduler, NoParallelWaitsForTheMachineAndBlocksOthers) {
  auto tests = MakeTests(4);
  tests[2].no_parallel = true;
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(4), Known(std::vector<double>(4, 1)), config);
  const auto alone = scheduler.Next(0);
  ASSERT_TRUE(alone);
  EXPECT_TRUE(alone->alone);
  EXPECT_FALSE(scheduler.Next(1)) << "nothing runs beside a no_parallel test";
  scheduler.Done(*alone);
  EXPECT_TRUE(scheduler.Next(1));
}

TEST(Scheduler, ExclusiveLockBlocksAndSharedLocksCoexist) {
  auto tests = MakeTests(3);
  tests[0].locks = {{"k", true}};
  tests[1].locks = {{"k", true}};
  tests[2].locks = {{"k", false}};
  SchedulerConfig config;
  config.workers = 3;
  Scheduler scheduler(tests, Items(3), Known(std::vector<double>(3, 1)), config);
  const auto first = scheduler.Next(0);
  const auto second = scheduler.Next(1);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(scheduler.Next(2)) << "the exclusive holder must wait for the shared ones";
  scheduler.Done(*first);
  EXPECT_FALSE(scheduler.Next(2));
  scheduler.Done(*second);
  const auto exclusive = scheduler.Next(2);
  ASSERT_TRUE(exclusive);
  EXPECT_EQ(exclusive->items[0].test, 2u);
}

// Drains the scheduler on `workers` slots, finishing every batch at once; returns the batches.
std::vector<Batch> Drain(Scheduler& scheduler, int workers) {
  std::vector<Batch> batches;
  for (bool progress = true; progress;) {
    progress = false;
    std::vector<Batch> started;
    for (int slot = 0; slot < workers; ++slot) {
      if (auto batch = scheduler.Next(slot)) started.push_back(std::move(*batch));
    }
    for (const Batch& batch : started) {
      scheduler.Done(batch);
      batches.push_back(batch);
      progress = true;
    }
  }
  return batches;
}

// A lock written for an in-process hazard (env, cwd, a global) only helps if the state the
// test leaves behind dies with its process: a locked test never shares one.
TEST(Scheduler, ATestHoldingALockRunsInAProcessOfItsOwn) {
  for (const bool whole_binary : {false, true}) {
    auto tests = MakeTests(12);
    tests[1].locks = {{"env:APP_LOG_LEVEL", false}};
    tests[4].locks = {{"cwd", true}};
    tests[5].locks = {{"cwd", true}};
    tests[9].locks = {{"global:shop::g_config", true}, {"port:1", false}};
    SchedulerConfig config;
    config.workers = 2;
    config.whole_binary_batches = whole_binary;
    Scheduler scheduler(tests, Items(12), Known(std::vector<double>(12, 0.001)), config);
    std::size_t ran = 0;
    std::size_t shared_batches = 0;
    for (const Batch& batch : Drain(scheduler, 2)) {
      ran += batch.items.size();
      if (batch.items.size() > 1) ++shared_batches;
      for (const WorkItem& item : batch.items) {
        if (!tests[item.test].locks.empty()) {
          EXPECT_EQ(batch.items.size(), 1u)
              << tests[item.test].FullName() << " shares a process (whole_binary=" << whole_binary
              << ")";
        }
      }
    }
    EXPECT_EQ(ran, 12u);
    EXPECT_GT(shared_batches, 0u) << "unlocked tests still share processes";
  }
}

TEST(Scheduler, LockedMembersOfAGroupRunAloneOnTheGroupsSlotInOrder) {
  auto tests = MakeTests(6);
  for (auto& test : tests) test.group = "g";
  tests[2].locks = {{"k", true}};
  tests[3].locks = {{"k", true}};
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(6), Known(std::vector<double>(6, 0.001)), config);
  std::vector<std::size_t> order;
  std::set<int> slots;
  for (const Batch& batch : Drain(scheduler, 2)) {
    slots.insert(batch.slot);
    for (const WorkItem& item : batch.items) {
      order.push_back(item.test);
      if (item.test == 2 || item.test == 3) {
        EXPECT_EQ(batch.items.size(), 1u);
      }
    }
  }
  EXPECT_EQ(slots.size(), 1u) << "a group stays on one slot";
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Scheduler, ALockHeldByAnotherInvocationDelaysOnlyItsHolder) {
  auto tests = MakeTests(4);
  tests[0].locks = {{"port:47321", false}};
  testing::FakeClock clock;
  testing::FakeLockBroker broker(clock);
  broker.HoldElsewhere("port:47321", false, TimePoint{} + std::chrono::seconds(1));
  SchedulerConfig config;
  config.workers = 2;
  config.machine_locks = &broker;
  Scheduler scheduler(tests, Items(4), Known(std::vector<double>(4, 1)), config);

  const auto first = scheduler.Next(0);
  ASSERT_TRUE(first);
  for (const WorkItem& item : first->items) EXPECT_NE(item.test, 0u);
  EXPECT_TRUE(scheduler.TakeMachineLockWait());
  EXPECT_FALSE(scheduler.TakeMachineLockWait()) << "the answer resets";
  EXPECT_EQ(broker.Held("port:47321"), 0);

  clock.Advance(std::chrono::seconds(1));  // the other invocation's holder ended
  const auto second = scheduler.Next(1);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].test, 0u);
  EXPECT_TRUE(second->machine_locks);
  EXPECT_EQ(broker.Held("port:47321"), 1);
  scheduler.Done(*second);
  scheduler.Done(*first);
  EXPECT_TRUE(broker.HoldsNothing()) << "locks go back when the batch ends";
  std::size_t ran = first->items.size() + second->items.size();
  for (const Batch& batch : Drain(scheduler, 2)) ran += batch.items.size();
  EXPECT_EQ(ran, 4u);
}

TEST(Scheduler, MachineLocksAreTakenAllOrNone) {
  auto tests = MakeTests(1);
  tests[0].locks = {{"a", false}, {"b", true}, {"c", false}};
  testing::FakeClock clock;
  testing::FakeLockBroker broker(clock);
  broker.HoldElsewhere("c", true, TimePoint::max());
  SchedulerConfig config;
  config.machine_locks = &broker;
  Scheduler scheduler(tests, Items(1), Known({1}), config);
  EXPECT_FALSE(scheduler.Next(0));
  EXPECT_TRUE(broker.HoldsNothing()) << "a refused lock gives back the ones already taken";
  EXPECT_TRUE(scheduler.HasPending());
}

TEST(Scheduler, SharedHoldersOfTwoInvocationsOverlap) {
  auto tests = MakeTests(2);
  tests[0].locks = {{"db", true}};
  tests[1].locks = {{"db", true}};
  testing::FakeClock clock;
  testing::FakeLockBroker broker(clock);
  broker.HoldElsewhere("db", true, TimePoint::max());
  SchedulerConfig config;
  config.workers = 2;
  config.machine_locks = &broker;
  Scheduler scheduler(tests, Items(2), Known({1, 1}), config);
  const auto first = scheduler.Next(0);
  const auto second = scheduler.Next(1);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(broker.Held("db"), 2);
  EXPECT_FALSE(scheduler.TakeMachineLockWait());
}

TEST(Scheduler, NoParallelTestWaitsForItsMachineLock) {
  auto tests = MakeTests(2);
  tests[0].no_parallel = true;
  tests[0].locks = {{"k", false}};
  testing::FakeClock clock;
  testing::FakeLockBroker broker(clock);
  broker.HoldElsewhere("k", false, TimePoint{} + std::chrono::seconds(1));
  SchedulerConfig config;
  config.machine_locks = &broker;
  Scheduler scheduler(tests, Items(2), Known({1, 1}), config);
  EXPECT_FALSE(scheduler.Next(0));
  EXPECT_TRUE(scheduler.TakeMachineLockWait());
  clock.Advance(std::chrono::seconds(1));
  const auto alone = scheduler.Next(0);
  ASSERT_TRUE(alone);
  EXPECT_TRUE(alone->alone);
  EXPECT_EQ(broker.Held("k"), 1);
  scheduler.Done(*alone);
  EXPECT_TRUE(broker.HoldsNothing());
}

TEST(Scheduler, SingleTestBatchesForMaxfail) {
  const auto tests = MakeTests(10);
  SchedulerConfig config;
  config.single_test_batches = true;
  Scheduler scheduler(tests, Items(10), Known(std::vector<double>(10, 1)), config);
  int batches = 0;
  while (auto batch = scheduler.Next(0)) {
    EXPECT_EQ(batch->items.size(), 1u);
    scheduler.Done(*batch);
    ++batches;
  }
  EXPECT_EQ(batches, 10);
}

TEST(Scheduler, WholeBinaryBatchesForDistNo) {
  const auto tests = MakeTests(10, 2);
  SchedulerConfig config;
  config.mode = DistMode::kNo;
  config.whole_binary_batches = true;
  Scheduler scheduler(tests, Items(10), Known(std::vector<double>(10, 1)), config);
  const auto first = scheduler.Next(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->items.size(), 5u);
}

TEST(Scheduler, FilterLengthLimitSplitsBatches) {
  const auto tests = MakeTests(100);
  SchedulerConfig config;
  config.whole_binary_batches = true;
  config.max_filter_bytes = 50;
  Scheduler scheduler(tests, Items(100), Known(std::vector<double>(100, 1)), config);
  const auto batch = scheduler.Next(0);
  ASSERT_TRUE(batch);
  std::size_t bytes = 0;
  for (const WorkItem& item : batch->items) bytes += tests[item.test].FullName().size() + 1;
  EXPECT_LE(bytes, 50u);
  EXPECT_GT(batch->items.size(), 1u);
}

TEST(Scheduler, RequeuedItemsGoFirstAndStopDropsEverything) {
  const auto tests = MakeTests(20);
  SchedulerConfig config;
  config.workers = 2;
  Scheduler scheduler(tests, Items(20), Known(std::vector<double>(20, 1)), config);
  const auto batch = scheduler.Next(0);
  ASSERT_TRUE(batch && batch->items.size() > 1);
  scheduler.Done(*batch);
  const std::vector<WorkItem> rest(batch->items.begin() + 1, batch->items.end());
  scheduler.Requeue(0, rest);
  const auto again = scheduler.Next(1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->items.front(), rest.front());
  scheduler.Done(*again);
  scheduler.Stop();
  EXPECT_FALSE(scheduler.HasPending());
  EXPECT_FALSE(scheduler.Next(0));
}

TEST(Scheduler, WorkStealTakesFromTheFullestQueue) {
  const auto tests = MakeTests(8);
  SchedulerConfig config;
  config.workers = 2;
  config.mode = DistMode::kWorkSteal;
  Scheduler scheduler(tests, Items(8), Known(std::vector<double>(8, 1)), config);
  // Drain slot 1's own share, then it must steal from slot 0.
  std::size_t taken_by_one = 0;
  while (auto batch = scheduler.Next(1)) {
    taken_by_one += batch->items.size();
    scheduler.Done(*batch);
  }
  EXPECT_EQ(taken_by_one, 8u) << "slot 1 stole all of slot 0's queue, half at a time";
}

TEST(SimulatePlan, MakespanAndBounds) {
  const auto tests = MakeTests(4);
  SchedulerConfig config;
  config.workers = 2;
  const std::vector<double> predicted = {3, 1, 1, 1};
  Prediction prediction{predicted, std::vector<bool>(4, true), std::vector<bool>(4, false)};
  const Plan plan = SimulatePlan(tests, OrderWork(tests, prediction, 1, DistMode::kLoad, std::nullopt),
                                 prediction, config);
  EXPECT_DOUBLE_EQ(plan.total, 6);
  EXPECT_DOUBLE_EQ(plan.lower_bound, 3);
  EXPECT_DOUBLE_EQ(plan.makespan, 3);
  config.mode = DistMode::kLoadFile;
  const Plan by_file = SimulatePlan(tests, Items(4), prediction, config);
  EXPECT_DOUBLE_EQ(by_file.unit_lower_bound, 6) << "one file holds everything";
  EXPECT_DOUBLE_EQ(by_file.makespan, 6);
}

TEST(ParseDistMode, KnowsEveryModeAndRejectsOthers) {
  for (const char* name : {"load", "loadfile", "loadscope", "loadgroup", "worksteal", "no"}) {
    const auto mode = ParseDistMode(name);
    ASSERT_TRUE(mode) << name;
    EXPECT_EQ(DistModeName(*mode), name);
  }
  EXPECT_FALSE(ParseDistMode("each"));
}

}  // namespace
}  // namespace xdist::run
