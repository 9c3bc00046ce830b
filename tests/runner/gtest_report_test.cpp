#include "gtest_report.h"

#include <gtest/gtest.h>

namespace xdist::run {
namespace {

constexpr const char* kReport = R"({
  "tests": 4, "testsuites": [
    {"name": "A", "testsuite": [
      {"name": "Pass", "file": "t.cc", "line": 2, "status": "RUN", "result": "COMPLETED", "time": "0.126s"},
      {"name": "Fail", "file": "t.cc", "line": 3, "status": "RUN", "result": "COMPLETED", "time": "0s",
       "failures": [{"failure": "t.cc:3\nfirst", "type": ""}, {"failure": "second", "type": ""}]},
      {"name": "Skip", "status": "RUN", "result": "SKIPPED", "time": "0s"},
      {"name": "DISABLED_Off", "status": "NOTRUN", "result": "SUPPRESSED", "time": "0s"}
    ]}]})";

TEST(ParseRunReport, ReadsEveryResultKind) {
  const auto report = ParseRunReport(kReport, "t");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->at("A.Pass").result, ReportedTest::Result::kPassed);
  EXPECT_DOUBLE_EQ(report->at("A.Pass").seconds, 0.126);
  EXPECT_EQ(report->at("A.Fail").result, ReportedTest::Result::kFailed);
  EXPECT_EQ(report->at("A.Fail").failure_message, "t.cc:3\nfirst\n\nsecond");
  EXPECT_EQ(report->at("A.Skip").result, ReportedTest::Result::kSkipped);
  EXPECT_EQ(report->at("A.DISABLED_Off").result, ReportedTest::Result::kNotRun);
}

TEST(ParseRunReport, RejectsBrokenAndForeignJsonNamingTheSource) {
  const auto broken = ParseRunReport("{\"testsuites\": [", "bin/x");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("bin/x"), std::string::npos);
  EXPECT_FALSE(ParseRunReport("{\"other\": 1}", "bin/x"));
  EXPECT_FALSE(ParseRunReport("[]", "bin/x"));
}

TEST(ParseRunReport, AFailureWithoutTextIsStillAFailure) {
  const auto report = ParseRunReport(
      R"({"testsuites": [{"name": "A", "testsuite": [
          {"name": "F", "result": "COMPLETED", "time": "0s", "failures": [{"type": ""}]}]}]})",
      "t");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->at("A.F").result, ReportedTest::Result::kFailed);
}

TEST(ParseRunReport, SuiteNameMayFollowItsTestsAndUnknownFieldsAreSkipped) {
  const auto report = ParseRunReport(
      R"({"testsuites": [{"testsuite": [
          {"name": "T", "extra": {"name": "not this", "list": [1, {"x": null}]},
           "result": "COMPLETED", "time": "1.5s"}], "name": "Late"}], "name": "AllTests"})",
      "t");
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->count("Late.T"), 1u);
  EXPECT_EQ(report->at("Late.T").result, ReportedTest::Result::kPassed);
  EXPECT_DOUBLE_EQ(report->at("Late.T").seconds, 1.5);
}

TEST(ParseRunReport, RejectsReportsOfTheWrongShape) {
  EXPECT_FALSE(ParseRunReport(R"({"testsuites": {"name": "A"}})", "t"));
  EXPECT_FALSE(ParseRunReport(R"({"testsuites": [1]})", "t"));
  EXPECT_FALSE(ParseRunReport("3", "t"));
  EXPECT_FALSE(ParseRunReport(R"({"testsuites": []} trailing)", "t"));
}

TEST(ParseListing, ReadsFileAndLineInOrderWithEscapedSlashes) {
  const auto listing = ParseListing(
      R"({"testsuites": [{"name": "P/T", "testsuite": [
          {"name": "x/0", "file": "src\/t.cc", "line": 7},
          {"name": "x/1", "file": "src\/t.cc", "line": 7}]}]})",
      "t");
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->size(), 2u);
  EXPECT_EQ((*listing)[0].suite, "P/T");
  EXPECT_EQ((*listing)[1].name, "x/1");
  EXPECT_EQ((*listing)[0].file, "src/t.cc");
  EXPECT_EQ((*listing)[0].line, 7);
}

}  // namespace
}  // namespace xdist::run
