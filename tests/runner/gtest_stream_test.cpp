#include "gtest_stream.h"

#include <gtest/gtest.h>

namespace xdist::run {
namespace {

using Kind = StreamEvent::Kind;

std::vector<StreamEvent> FeedAll(GTestStreamParser& parser, const std::string& text) {
  std::vector<StreamEvent> events = parser.Feed(text);
  for (const StreamEvent& event : parser.Finish()) events.push_back(event);
  return events;
}

TEST(GTestStreamParser, ReportsStartsAndEndsOfTheBatch) {
  GTestStreamParser parser({"A.x", "A.y", "B.z"});
  const auto events = FeedAll(parser,
                              "Running main() from gtest_main.cc\n"
                              "[ RUN      ] A.x\nhello\n[       OK ] A.x (0 ms)\n"
                              "[ RUN      ] A.y\n[  FAILED  ] A.y (3 ms)\n"
                              "[ RUN      ] B.z\n[  SKIPPED ] B.z (0 ms)\n");
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[1].kind, Kind::kEnded);
  EXPECT_EQ(events[1].status, StreamStatus::kPassed);
  EXPECT_EQ(events[3].status, StreamStatus::kFailed);
  EXPECT_EQ(events[5].index, 2u);
  EXPECT_EQ(events[5].status, StreamStatus::kSkipped);
  EXPECT_EQ(parser.Output(0), "hello\n");
}

TEST(GTestStreamParser, IgnoresRunLinesThatAreNotTheNextExpectedTest) {
  GTestStreamParser parser({"A.x", "A.y"});
  const auto events = FeedAll(parser,
                              "[ RUN      ] A.x\n[ RUN      ] A.x\n[ RUN      ] Other.t\n"
                              "[ RUN      ] A.xy\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(parser.LastStarted(), 0);
  EXPECT_NE(parser.Output(0).find("[ RUN      ] Other.t"), std::string::npos);
}

TEST(GTestStreamParser, EndLinesOfOtherTestsAreOutput) {
  GTestStreamParser parser({"A.x", "A.y"});
  const auto events = FeedAll(parser, "[ RUN      ] A.x\n[       OK ] A.y (1 ms)\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(parser.LastEnded());
  EXPECT_EQ(parser.Output(0), "[       OK ] A.y (1 ms)\n");
}

TEST(GTestStreamParser, ALaterEndLineOfTheSameTestReplacesAFakeOne) {
  GTestStreamParser parser({"A.x"});
  const auto events = FeedAll(parser,
                              "[ RUN      ] A.x\n[       OK ] A.x (0 ms)\nreal failure\n"
                              "[  FAILED  ] A.x (2 ms)\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.back().status, StreamStatus::kFailed);
  EXPECT_EQ(parser.Output(0), "real failure\n");
}

TEST(GTestStreamParser, TheClosingSummaryListIsNotAnEndLine) {
  GTestStreamParser parser({"A.x"});
  const auto events = FeedAll(parser,
                              "[ RUN      ] A.x\n[  FAILED  ] A.x (2 ms)\n"
                              "[  FAILED  ] 1 test, listed below:\n[  FAILED  ] A.x\n");
  EXPECT_EQ(events.size(), 2u);
}

TEST(GTestStreamParser, EndLineAfterOutputWithoutNewline) {
  GTestStreamParser parser({"A.x"});
  const auto events = FeedAll(parser, "[ RUN      ] A.x\npartial[       OK ] A.x (0 ms)\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, Kind::kEnded);
  EXPECT_EQ(parser.Output(0), "partial");
}

TEST(GTestStreamParser, LastLineWithoutNewlineIsParsedAtFinish) {
  GTestStreamParser parser({"A.x"});
  EXPECT_EQ(parser.Feed("[ RUN      ] A.x\n[       OK ] A.x (0 ms)").size(), 1u);
  const auto events = parser.Finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kEnded);
}

TEST(GTestStreamParser, InputSplitAnywhereGivesTheSameEvents) {
  const std::string text =
      "[ RUN      ] A.x\nout\n[       OK ] A.x (0 ms)\n[ RUN      ] A.y\n[  FAILED  ] A.y (1 ms)\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    GTestStreamParser parser({"A.x", "A.y"});
    auto events = parser.Feed(text.substr(0, cut));
    for (const auto& event : parser.Feed(text.substr(cut))) events.push_back(event);
    ASSERT_EQ(events.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(events[3].status, StreamStatus::kFailed);
  }
}

TEST(GTestStreamParser, ParameterizedNamesAndColour) {
  GTestStreamParser parser({"P/T.x/0"});
  const auto events = FeedAll(
      parser,
      "\x1b[0;32m[ RUN      ] \x1b[mP/T.x/0\n"
      "\x1b[0;31m[  FAILED  ] \x1b[mP/T.x/0, where GetParam() = 1 (0 ms)\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].status, StreamStatus::kFailed);
}

TEST(GTestStreamParser, FloodWithoutNewlinesStaysBounded) {
  GTestStreamParser parser({"A.x"});
  parser.Feed("[ RUN      ] A.x\n");
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) parser.Feed(chunk);
  const auto events = parser.Feed("[       OK ] A.x (0 ms)\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_LE(parser.Output(0).size(), GTestStreamParser::kMaxOutput * 3 / 2);
}

TEST(GTestStreamParser, StrayOutputIsWhatFollowsTheLastEnd) {
  GTestStreamParser parser({"A.x", "A.y"});
  FeedAll(parser, "[ RUN      ] A.x\n[       OK ] A.x (0 ms)\nset-up of the next suite\n");
  EXPECT_EQ(parser.StrayOutput(), "set-up of the next suite\n");
  EXPECT_EQ(parser.NextExpected(), 1u);
}

TEST(AppendTail, KeepsTheEnd) {
  std::string out;
  AppendTail(out, "abcdef", 4);
  EXPECT_EQ(out, "cdef");
  out = "12";
  AppendTail(out, "345", 10);
  EXPECT_EQ(out, "12345");
}

}  // namespace
}  // namespace xdist::run
