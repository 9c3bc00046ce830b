#include "session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "fake_launcher.h"
#include "fake_lock_broker.h"

namespace xdist::run {
namespace {

using ::xdist::run::testing::Behaviour;
using ::xdist::run::testing::FakeClock;
using ::xdist::run::testing::FakeLauncher;
using ::xdist::run::testing::FakeProcess;

class RecordingReporter final : public Reporter {
 public:
  void OnTestStarted(std::size_t, int) override {}
  void OnTestFinished(const TestResult& result) override { finished.push_back(result); }
  void OnRerun(const TestResult& attempt) override { reruns.push_back(attempt); }
  void OnTick() override {}
  std::vector<TestResult> finished;
  std::vector<TestResult> reruns;
};

TestCase MakeTest(std::size_t binary, std::size_t order, const std::string& suite,
                  const std::string& name, const std::string& file = "a.cpp") {
  TestCase test;
  test.binary = binary;
  test.order = order;
  test.suite = suite;
  test.name = name;
  test.file = file;
  test.line = static_cast<int>(order) + 1;
  return test;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    report_dir_ = ::testing::TempDir() + "session_test_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(report_dir_);
  }
  void TearDown() override { std::filesystem::remove_all(report_dir_); }

  /// Adds `count` passing tests "Suite.T<i>" of binary 0.
  void AddTests(const std::string& suite, int count, const std::string& file = "a.cpp",
                std::size_t binary = 0) {
    for (int i = 0; i < count; ++i) {
      tests_.push_back(MakeTest(binary, tests_.size(), suite, "T" + std::to_string(i), file));
    }
  }

  SessionSummary Run(int workers, DistMode mode = DistMode::kLoad,
                     const std::function<void(SessionConfig&)>& adjust = nullptr, int count = 1) {
    SessionConfig config;
    config.scheduler.workers = workers;
    config.scheduler.mode = mode;
    config.scheduler.whole_binary_batches = mode == DistMode::kNo;
    config.report_dir = report_dir_;
    for (int slot = 0; slot < workers; ++slot) {
      config.slot_env.push_back({"XDIST_WORKER=gw" + std::to_string(slot)});
    }
    if (adjust) adjust(config);
    std::vector<double> predicted(tests_.size(), 1.0);
    Prediction prediction{predicted, std::vector<bool>(tests_.size(), true),
                          std::vector<bool>(tests_.size(), false)};
    std::vector<WorkItem> items = OrderWork(tests_, prediction, count, mode, std::nullopt);
    Session session(launcher_, clock_, reporter_, binaries_, tests_, items, prediction, config);
    return session.Run();
  }

  std::size_t Index(const std::string& full_name) const {
    for (std::size_t i = 0; i < tests_.size(); ++i) {
      if (tests_[i].FullName() == full_name) return i;
    }
    ADD_FAILURE() << "no test " << full_name;
    return 0;
  }

  const TestResult& ResultOf(const SessionSummary& summary, const std::string& name) {
    for (const TestResult& result : summary.results) {
      if (tests_[result.test].FullName() == name) return result;
    }
    ADD_FAILURE() << "no result for " << name;
    static const TestResult kNone;
    return kNone;
  }

  /// The processes that ran `name`.
  std::vector<const FakeProcess*> ProcessesOf(const std::string& name) const {
    std::vector<const FakeProcess*> out;
    for (const FakeProcess& process : launcher_.Processes()) {
      if (std::count(process.tests.begin(), process.tests.end(), name)) out.push_back(&process);
    }
    return out;
  }

  static bool Overlap(const FakeProcess& a, const FakeProcess& b) {
    return a.start < b.end && b.start < a.end;
  }

  /// Every test reported exactly `times` times, as repetitions 0..times-1.
  void ExpectEachReported(const SessionSummary& summary, int times = 1) {
    std::map<std::size_t, std::set<int>> seen;
    for (const TestResult& result : summary.results) {
      EXPECT_TRUE(seen[result.test].insert(result.repetition).second)
          << tests_[result.test].FullName() << " reported twice";
    }
    for (std::size_t test = 0; test < tests_.size(); ++test) {
      EXPECT_EQ(seen[test].size(), static_cast<std::size_t>(times)) << tests_[test].FullName();
    }
  }

  std::string report_dir_;
  std::vector<Binary> binaries_ = {{"/bin/a", "a"}, {"/bin/b", "b"}};
  std::vector<TestCase> tests_;
  FakeClock clock_;
  FakeLauncher launcher_{clock_};
  RecordingReporter reporter_;
};

TEST_F(SessionTest, EveryTestIsReportedOnceAndBothWorkersWork) {
  AddTests("S", 20);
  const SessionSummary summary = Run(2);
  ExpectEachReported(summary);
  std::set<std::string> workers;
  for (const FakeProcess& process : launcher_.Processes()) workers.insert(process.Env("XDIST_WORKER"));
  EXPECT_EQ(workers, (std::set<std::string>{"gw0", "gw1"}));
  EXPECT_LT(launcher_.Processes().size(), 20u) << "tests are batched";
  EXPECT_EQ(reporter_.finished.size(), 20u);
}

TEST_F(SessionTest, CrashIsPinnedOnTheRunningTestAndTheRestRunsInANewProcess) {
  AddTests("S", 3);
  launcher_.Script("S.T1", {{Behaviour::Kind::kCrash, 1}});
  const SessionSummary summary = Run(1, DistMode::kNo);
  ExpectEachReported(summary);
  EXPECT_TRUE(std::holds_alternative<outcome::Passed>(ResultOf(summary, "S.T0").outcome));
  const auto* crashed = std::get_if<outcome::Crashed>(&ResultOf(summary, "S.T1").outcome);
  ASSERT_NE(crashed, nullptr);
  EXPECT_EQ(crashed->signal, SIGSEGV);
  EXPECT_TRUE(std::holds_alternative<outcome::Passed>(ResultOf(summary, "S.T2").outcome));
  ASSERT_EQ(launcher_.Processes().size(), 2u);
  EXPECT_EQ(launcher_.Processes()[1].tests, std::vector<std::string>{"S.T2"});
}

TEST_F(SessionTest, FakeEndLineBeforeACrashStillBlamesTheRunningTest) {
  AddTests("S", 2);
  launcher_.Script("S.T1", {{Behaviour::Kind::kFakeOkThenCrash, 1}});
  const SessionSummary summary = Run(1, DistMode::kNo);
  ExpectEachReported(summary);
  EXPECT_TRUE(std::holds_alternative<outcome::Crashed>(ResultOf(summary, "S.T1").outcome));
}

TEST_F(SessionTest, ExitWithStatusZeroMidTestIsNotAPass) {
  AddTests("S", 3);
  launcher_.Script("S.T0", {{Behaviour::Kind::kExitZero, 1}});
  const SessionSummary summary = Run(1, DistMode::kNo);
  ExpectEachReported(summary);
  const auto* exited = std::get_if<outcome::ExitedMidTest>(&ResultOf(summary, "S.T0").outcome);
  ASSERT_NE(exited, nullptr);
  EXPECT_EQ(exited->status, 0);
  EXPECT_TRUE(std::holds_alternative<outcome::Passed>(ResultOf(summary, "S.T2").outcome));
}

TEST_F(SessionTest, HangIsKilledAtTheTimeoutAndReportedAsTimedOut) {
  AddTests("S", 3);
  launcher_.Script("S.T1", {{Behaviour::Kind::kHang, 0}});
  const SessionSummary summary = Run(1, DistMode::kNo, [](SessionConfig& config) {
    config.timeout = std::chrono::seconds(5);
  });
  ExpectEachReported(summary);
  const auto* timed_out = std::get_if<outcome::TimedOut>(&ResultOf(summary, "S.T1").outcome);
  ASSERT_NE(timed_out, nullptr);
  EXPECT_EQ(timed_out->limit_seconds, 5);
  EXPECT_EQ(ResultOf(summary, "S.T1").duration, std::chrono::seconds(5));
  EXPECT_TRUE(std::holds_alternative<outcome::Passed>(ResultOf(summary, "S.T2").outcome));
}

TEST_F(SessionTest, DurationIsTheStreamsWhereItRefinesGoogleTestsMillisecond) {
  AddTests("S", 1);
  launcher_.Script("S.T0", {{Behaviour::Kind::kPass, 0.0047, 0.004}});
  const SessionSummary summary = Run(1);
  EXPECT_EQ(ResultOf(summary, "S.T0").duration, std::chrono::microseconds(4700));
}

TEST_F(SessionTest, DurationIsTheMiddleOfGoogleTestsMillisecondWhereTheStreamCannotTell) {
  AddTests("S", 2);
  // The start and end lines arrive together, as when the runner reads them in one go.
  launcher_.Script("S.T0", {{Behaviour::Kind::kPass, 0, 0.004}});
  launcher_.Script("S.T1", {{Behaviour::Kind::kPass, 0, 0}});
  const SessionSummary summary = Run(1);
  EXPECT_EQ(ResultOf(summary, "S.T0").duration, std::chrono::microseconds(4500));
  EXPECT_EQ(ResultOf(summary, "S.T1").duration, Duration::zero());
}

TEST_F(SessionTest, DurationFinerThanMillisecondsIsTakenAsReported) {
  AddTests("S", 1);
  launcher_.Script("S.T0", {{Behaviour::Kind::kPass, 0, 0.0042}});
  const SessionSummary summary = Run(1);
  EXPECT_EQ(ResultOf(summary, "S.T0").duration, std::chrono::microseconds(4200));
}

TEST_F(SessionTest, FailedAndSkippedComeFromTheReport) {
  AddTests("S", 2);
  launcher_.Script("S.T0", {{Behaviour::Kind::kFail, 1}});
  launcher_.Script("S.T1", {{Behaviour::Kind::kSkip, 1}});
  const SessionSummary summary = Run(1);
  const auto* failed = std::get_if<outcome::Failed>(&ResultOf(summary, "S.T0").outcome);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->message, "boom");
  EXPECT_TRUE(std::holds_alternative<outcome::Skipped>(ResultOf(summary, "S.T1").outcome));
}

TEST_F(SessionTest, DisabledTestsAreSkippedAndNeverStarted) {
  AddTests("S", 2);
  tests_[1].disabled = true;
  const SessionSummary summary = Run(2);
  ExpectEachReported(summary);
  const auto* skipped = std::get_if<outcome::Skipped>(&ResultOf(summary, "S.T1").outcome);
  ASSERT_NE(skipped, nullptr);
  EXPECT_TRUE(skipped->disabled);
  EXPECT_TRUE(ProcessesOf("S.T1").empty());
}

TEST_F(SessionTest, NoParallelTestRunsAloneInItsOwnProcess) {
  AddTests("S", 8);
  tests_[5].no_parallel = true;
  const SessionSummary summary = Run(3);
  ExpectEachReported(summary);
  const auto alone = ProcessesOf("S.T5");
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0]->tests.size(), 1u);
  for (const FakeProcess& other : launcher_.Processes()) {
    if (&other != alone[0]) {
      EXPECT_FALSE(Overlap(*alone[0], other));
    }
  }
}

TEST_F(SessionTest, ExclusiveLocksNeverOverlapAndSharedOnesMay) {
  AddTests("S", 6);
  for (int i = 0; i < 3; ++i) tests_[static_cast<std::size_t>(i)].locks = {{"port:8080", false}};
  for (int i = 3; i < 5; ++i) tests_[static_cast<std::size_t>(i)].locks = {{"port:8080", true}};
  const SessionSummary summary = Run(3);
  ExpectEachReported(summary);
  const auto holder = [&](const FakeProcess& process) {
    for (const std::string& name : process.tests) {
      const TestCase& test = tests_[Index(name)];
      if (!test.locks.empty()) return test.locks[0].shared ? 1 : 2;
    }
    return 0;
  };
  bool shared_overlapped = false;
  const auto& processes = launcher_.Processes();
  for (std::size_t a = 0; a < processes.size(); ++a) {
    for (std::size_t b = a + 1; b < processes.size(); ++b) {
      const int x = holder(processes[a]);
      const int y = holder(processes[b]);
      if (x == 0 || y == 0 || !Overlap(processes[a], processes[b])) continue;
      EXPECT_FALSE(x == 2 || y == 2) << "an exclusive holder overlapped another holder";
      if (x == 1 && y == 1) shared_overlapped = true;
    }
  }
  EXPECT_TRUE(shared_overlapped);
}

TEST_F(SessionTest, GroupRunsOnOneWorker) {
  AddTests("S", 12);
  for (int i = 0; i < 12; i += 3) tests_[static_cast<std::size_t>(i)].group = "db";
  Run(3);
  std::set<std::string> workers;
  for (int i = 0; i < 12; i += 3) {
    for (const FakeProcess* process : ProcessesOf("S.T" + std::to_string(i))) {
      workers.insert(process->Env("XDIST_WORKER"));
    }
  }
  EXPECT_EQ(workers.size(), 1u);
}

TEST_F(SessionTest, LoadFileKeepsEachFileOnOneWorker) {
  AddTests("A", 4, "a.cpp");
  AddTests("B", 4, "b.cpp");
  AddTests("C", 4, "c.cpp");
  const SessionSummary summary = Run(2, DistMode::kLoadFile);
  ExpectEachReported(summary);
  std::map<std::string, std::set<std::string>> workers_of_file;
  for (const FakeProcess& process : launcher_.Processes()) {
    for (const std::string& name : process.tests) {
      workers_of_file[tests_[Index(name)].file].insert(process.Env("XDIST_WORKER"));
    }
  }
  for (const auto& [file, workers] : workers_of_file) EXPECT_EQ(workers.size(), 1u) << file;
}

TEST_F(SessionTest, LoadScopeKeepsEachSuiteOnOneWorker) {
  AddTests("A", 4);
  AddTests("B", 4);
  AddTests("C", 4);
  const SessionSummary summary = Run(2, DistMode::kLoadScope);
  ExpectEachReported(summary);
  std::map<std::string, std::set<std::string>> workers_of_suite;
  for (const FakeProcess& process : launcher_.Processes()) {
    for (const std::string& name : process.tests) {
      workers_of_suite[tests_[Index(name)].suite].insert(process.Env("XDIST_WORKER"));
    }
  }
  EXPECT_EQ(workers_of_suite.size(), 3u);
  for (const auto& [suite, workers] : workers_of_suite) EXPECT_EQ(workers.size(), 1u) << suite;
}

TEST_F(SessionTest, LoadGroupKeepsGroupsTogetherAndSpreadsTheRest) {
  AddTests("S", 10);
  tests_[0].group = "g";
  tests_[9].group = "g";
  const SessionSummary summary = Run(2, DistMode::kLoadGroup);
  ExpectEachReported(summary);
  EXPECT_EQ(ProcessesOf("S.T0")[0]->Env("XDIST_WORKER"), ProcessesOf("S.T9")[0]->Env("XDIST_WORKER"));
  std::set<std::string> workers;
  for (const FakeProcess& process : launcher_.Processes()) workers.insert(process.Env("XDIST_WORKER"));
  EXPECT_EQ(workers.size(), 2u);
}

TEST_F(SessionTest, WorkStealUsesEveryWorkerAndReportsEverything) {
  AddTests("S", 16);
  // gw0's share is slow: gw1 finishes early and steals.
  for (int i = 0; i < 16; ++i) {
    launcher_.Script("S.T" + std::to_string(i), {{Behaviour::Kind::kPass, i % 2 == 0 ? 4.0 : 1.0}});
  }
  const SessionSummary summary = Run(2, DistMode::kWorkSteal);
  ExpectEachReported(summary);
  std::set<std::string> workers;
  for (const FakeProcess& process : launcher_.Processes()) workers.insert(process.Env("XDIST_WORKER"));
  EXPECT_EQ(workers.size(), 2u);
}

TEST_F(SessionTest, DistNoRunsEachBinaryInOneProcessOnOneWorker) {
  AddTests("A", 5, "a.cpp", 0);
  AddTests("B", 5, "b.cpp", 1);
  const SessionSummary summary = Run(1, DistMode::kNo);
  ExpectEachReported(summary);
  ASSERT_EQ(launcher_.Processes().size(), 2u);
  EXPECT_EQ(launcher_.Processes()[0].tests.size(), 5u);
  EXPECT_EQ(launcher_.Processes()[0].argv[0], "/bin/a");
  EXPECT_EQ(launcher_.Processes()[1].argv[0], "/bin/b");
}

TEST_F(SessionTest, MaxfailIsExactNoTestStartsAfterIt) {
  AddTests("S", 10);
  launcher_.Script("S.T0", {{Behaviour::Kind::kFail, 1}});
  launcher_.Script("S.T1", {{Behaviour::Kind::kFail, 3}});
  const SessionSummary summary = Run(2, DistMode::kLoad, [](SessionConfig& config) {
    config.maxfail = 1;
    config.scheduler.single_test_batches = true;
  });
  EXPECT_TRUE(summary.stopped_at_maxfail);
  TimePoint first_failure = TimePoint::max();
  for (const FakeProcess& process : launcher_.Processes()) {
    if (process.tests == std::vector<std::string>{"S.T0"}) first_failure = process.end;
  }
  for (const FakeProcess& process : launcher_.Processes()) {
    for (const TimePoint start : process.test_start) EXPECT_LT(start, first_failure);
  }
  // The test already running when the limit was reached still finishes and is reported.
  EXPECT_TRUE(std::holds_alternative<outcome::Failed>(ResultOf(summary, "S.T1").outcome));
  EXPECT_EQ(summary.results.size() + summary.not_run, 10u);
  EXPECT_GT(summary.not_run, 0u);
}

TEST_F(SessionTest, RerunPassingAfterAFailureIsFlaky) {
  AddTests("S", 3);
  launcher_.Script("S.T1", {{Behaviour::Kind::kFail, 1}, {Behaviour::Kind::kPass, 1}});
  launcher_.Script("S.T2", {{Behaviour::Kind::kCrash, 1}});
  const SessionSummary summary = Run(1, DistMode::kLoad, [](SessionConfig& config) {
    config.reruns = 2;
  });
  ExpectEachReported(summary);
  const TestResult& flaky = ResultOf(summary, "S.T1");
  EXPECT_TRUE(std::holds_alternative<outcome::Passed>(flaky.outcome));
  EXPECT_TRUE(flaky.flaky);
  EXPECT_EQ(flaky.attempts, 2);
  const TestResult& broken = ResultOf(summary, "S.T2");
  EXPECT_TRUE(std::holds_alternative<outcome::Crashed>(broken.outcome));
  EXPECT_FALSE(broken.flaky);
  EXPECT_EQ(broken.attempts, 3);
  EXPECT_EQ(reporter_.reruns.size(), 3u);
}

TEST_F(SessionTest, CountRepeatsEveryTest) {
  AddTests("S", 4);
  const SessionSummary summary = Run(2, DistMode::kLoad, nullptr, 3);
  ExpectEachReported(summary, 3);
  for (const FakeProcess& process : launcher_.Processes()) {
    const std::set<std::string> unique(process.tests.begin(), process.tests.end());
    EXPECT_EQ(unique.size(), process.tests.size()) << "a test twice in one filter";
  }
}

TEST_F(SessionTest, InterruptReportsRunningTestsAndStartsNothingNew) {
  AddTests("S", 10);
  launcher_.InterruptAt(TimePoint(std::chrono::milliseconds(1500)));
  const SessionSummary summary = Run(2, DistMode::kLoad, [](SessionConfig& config) {
    config.scheduler.single_test_batches = true;
  });
  EXPECT_TRUE(summary.interrupted);
  int interrupted = 0;
  for (const TestResult& result : summary.results) {
    if (std::holds_alternative<outcome::Interrupted>(result.outcome)) ++interrupted;
  }
  EXPECT_EQ(interrupted, 2);
  EXPECT_EQ(summary.results.size() + summary.not_run, 10u);
  for (const FakeProcess& process : launcher_.Processes()) {
    EXPECT_LT(process.start, TimePoint(std::chrono::milliseconds(1500)));
  }
}

TEST_F(SessionTest, PerSlotChildSetupIsPassedAndNetworkTestsGetTheirOwn) {
  class NoSetup final : public ChildSetup {
   public:
    int EnterInChild() const noexcept override { return 0; }
  };
  const NoSetup isolated;
  const NoSetup network;
  AddTests("S", 2);
  tests_[1].needs_network = true;
  Run(1, DistMode::kLoad, [&](SessionConfig& config) {
    config.slot_setup = {&isolated};
    config.slot_network_setup = {&network};
  });
  EXPECT_EQ(ProcessesOf("S.T0")[0]->child_setup, &isolated);
  EXPECT_EQ(ProcessesOf("S.T1")[0]->child_setup, &network);
}

TEST_F(SessionTest, ATestWaitsForALockOfAnotherInvocationWhileOthersRun) {
  AddTests("Free", 3);
  tests_.push_back(MakeTest(0, tests_.size(), "Locked", "Port"));
  tests_.back().locks = {{"port:47321", false}};
  testing::FakeLockBroker broker(clock_);
  const TimePoint foreign_end = clock_.Now() + std::chrono::milliseconds(2500);
  broker.HoldElsewhere("port:47321", false, foreign_end);
  const SessionSummary summary = Run(2, DistMode::kLoad, [&](SessionConfig& config) {
    config.scheduler.machine_locks = &broker;
  });
  ASSERT_EQ(summary.results.size(), 4u);
  for (const TestResult& result : summary.results) {
    EXPECT_TRUE(std::holds_alternative<outcome::Passed>(result.outcome))
        << tests_[result.test].FullName();
  }
  const auto locked = ProcessesOf("Locked.Port");
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_GE(locked[0]->start, foreign_end) << "started while another invocation held the lock";
  EXPECT_EQ(ProcessesOf("Free.T0").front()->start, TimePoint{}) << "other work went first";
  EXPECT_TRUE(broker.HoldsNothing());
  // Retries are periodic, not a busy loop: for 2.5 s, one attempt per free slot every 50 ms.
  EXPECT_LE(broker.Attempts(), 2 * (2500 / 50 + 2));
}

}  // namespace
}  // namespace xdist::run
