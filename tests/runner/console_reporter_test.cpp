#include "console_reporter.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "cpu_count.h"

namespace xdist::run {
namespace {

TEST(ClosingLine, AlwaysPassedAndFailedThenWhatIsNotZero) {
  EXPECT_EQ(ClosingLine(Counts{}, 0), "0 passed, 0 failed");
  Counts counts;
  counts.passed = 5;
  counts.failed = 1;
  counts.skipped = 2;
  counts.crashed = 1;
  counts.timed_out = 3;
  counts.flaky = 1;
  EXPECT_EQ(ClosingLine(counts, 4),
            "5 passed, 1 failed, 2 skipped, 1 crashed, 3 timed out, 1 flaky, 4 not run");
}

TEST(CountResults, SortsOutcomesIntoTheirColumns) {
  std::vector<TestResult> results(6);
  results[0].outcome = outcome::Passed{};
  results[0].flaky = true;
  results[1].outcome = outcome::ExitedMidTest{0};
  results[2].outcome = outcome::Crashed{6};
  results[3].outcome = outcome::TimedOut{1};
  results[4].outcome = outcome::Skipped{"", true};
  results[5].outcome = outcome::FailedToStart{"exec"};
  const Counts counts = CountResults(results);
  EXPECT_EQ(counts.passed, 1);
  EXPECT_EQ(counts.flaky, 1);
  EXPECT_EQ(counts.failed, 2);
  EXPECT_EQ(counts.crashed, 1);
  EXPECT_EQ(counts.timed_out, 1);
  EXPECT_EQ(counts.skipped, 1);
}

TEST(ConsoleReporter, LogModePrintsOneLinePerTestAndFailuresWithOutput) {
  std::vector<Binary> binaries = {{"/b", "b"}};
  TestCase test;
  test.suite = "S";
  test.name = "t";
  std::vector<TestCase> tests = {test, test};
  tests[1].name = "u";
  SteadyClock clock;
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  {
    ConsoleReporter reporter(out, false, false, Verbosity::kNormal, binaries, tests, 2, clock);
    reporter.OnTestFinished({0, 0, outcome::Passed{}, std::chrono::milliseconds(2), "", 0, 1, false});
    reporter.OnTestFinished({1, 0, outcome::Crashed{11}, Duration::zero(), "last words\n", 1, 1, false});
  }
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("passed S.t (2.0 ms) [gw0]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL crashed with SIGSEGV S.u (0.0 ms) [gw1]\nlast words\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no colour, no terminal codes";
}

TEST(CpuMaxLimit, ReadsQuotaOverPeriodRoundedUp) {
  EXPECT_EQ(CpuMaxLimit("max 100000\n"), std::nullopt);
  EXPECT_EQ(CpuMaxLimit("200000 100000\n"), 2);
  EXPECT_EQ(CpuMaxLimit("150000 100000"), 2);
  EXPECT_EQ(CpuMaxLimit("50000 100000"), 1);
  EXPECT_EQ(CpuMaxLimit("garbage"), std::nullopt);
  EXPECT_GE(AvailableCpus(), 1);
}

}  // namespace
}  // namespace xdist::run
