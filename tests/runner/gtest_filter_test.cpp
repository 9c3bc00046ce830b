#include "gtest_filter.h"

#include <gtest/gtest.h>

namespace xdist::run {
namespace {

TEST(MatchesGlob, StarAndQuestionMark) {
  EXPECT_TRUE(MatchesGlob("*", ""));
  EXPECT_TRUE(MatchesGlob("*", "A.b"));
  EXPECT_TRUE(MatchesGlob("A.*", "A.b"));
  EXPECT_FALSE(MatchesGlob("A.*", "AB.b"));
  EXPECT_TRUE(MatchesGlob("?.b", "A.b"));
  EXPECT_FALSE(MatchesGlob("?.b", "AA.b"));
  EXPECT_TRUE(MatchesGlob("*Slow*", "Server.SlowStart"));
  EXPECT_TRUE(MatchesGlob("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(MatchesGlob("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(MatchesGlob("P/S.x/*", "P/S.x/0"));
  EXPECT_FALSE(MatchesGlob("A.b", "A.bc")) << "a pattern matches the whole name";
  EXPECT_TRUE(MatchesGlob("", ""));
  EXPECT_FALSE(MatchesGlob("", "A.b"));
}

TEST(GTestFilter, PositiveAndNegativePatterns) {
  const GTestFilter filter("Server.*:Client.Connects-Server.Slow*:*Flaky");
  EXPECT_TRUE(filter.Matches("Server.Starts"));
  EXPECT_TRUE(filter.Matches("Client.Connects"));
  EXPECT_FALSE(filter.Matches("Client.Sends"));
  EXPECT_FALSE(filter.Matches("Server.SlowStart"));
  EXPECT_FALSE(filter.Matches("Server.IsFlaky"));
}

TEST(GTestFilter, OnlyNegativePatternsMeanEverythingElse) {
  const GTestFilter filter("-A.*:B.c");
  EXPECT_TRUE(filter.Matches("C.d"));
  EXPECT_TRUE(filter.Matches("B.d"));
  EXPECT_FALSE(filter.Matches("A.x"));
  EXPECT_FALSE(filter.Matches("B.c"));
}

TEST(GTestFilter, EverythingAfterTheFirstDashIsNegative) {
  const GTestFilter filter("A.*-A.b-c:A.d");
  EXPECT_TRUE(filter.Matches("A.e"));
  EXPECT_FALSE(filter.Matches("A.b-c"));
  EXPECT_FALSE(filter.Matches("A.d"));
}

}  // namespace
}  // namespace xdist::run
