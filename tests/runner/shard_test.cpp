#include "shard.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace xdist::run {
namespace {

std::vector<TestCase> MakeTests(int count) {
  std::vector<TestCase> tests;
  for (int i = 0; i < count; ++i) {
    TestCase test;
    test.order = tests.size();
    test.suite = "S";
    test.name = "T" + std::to_string(i);
    tests.push_back(test);
  }
  return tests;
}

std::vector<std::string> Keys(const std::vector<TestCase>& tests) {
  std::vector<std::string> keys;
  for (const TestCase& test : tests) keys.push_back("bin::" + test.FullName());
  return keys;
}

TEST(ParseShard, AcceptsKOfNAndRejectsTheRest) {
  const auto shard = ParseShard("2/3");
  ASSERT_TRUE(shard);
  EXPECT_EQ(shard->index, 1);
  EXPECT_EQ(shard->total, 3);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "1/3x", ""}) {
    EXPECT_FALSE(ParseShard(bad)) << bad;
  }
}

TEST(StableHash, IsFnv1a) {
  EXPECT_EQ(StableHash(""), 14695981039346656037ULL);
  EXPECT_EQ(StableHash("a"), 0xaf63dc4c8601ec8cULL);
}

void ExpectPartition(const std::vector<TestCase>& tests, const std::vector<double>& predicted,
                     bool timed, int total) {
  std::vector<int> owners(tests.size(), 0);
  for (int index = 0; index < total; ++index) {
    const auto selected = SelectShard(tests, Keys(tests), predicted, timed, {index, total});
    for (std::size_t i = 0; i < tests.size(); ++i) owners[i] += selected[i] ? 1 : 0;
  }
  for (std::size_t i = 0; i < tests.size(); ++i) EXPECT_EQ(owners[i], 1) << tests[i].FullName();
}

TEST(SelectShard, EveryTestInExactlyOneShardHashedOrTimed) {
  const auto tests = MakeTests(100);
  std::vector<double> predicted;
  for (int i = 0; i < 100; ++i) predicted.push_back(0.01 * (i % 7 + 1));
  for (int total : {1, 2, 3, 7}) {
    ExpectPartition(tests, predicted, false, total);
    ExpectPartition(tests, predicted, true, total);
  }
}

TEST(SelectShard, TimedShardsAreBalanced) {
  const auto tests = MakeTests(40);
  std::vector<double> predicted(40, 0.1);
  predicted[0] = 3;
  predicted[1] = 3;
  const auto first = SelectShard(tests, Keys(tests), predicted, true, {0, 2});
  double a = 0;
  double b = 0;
  for (std::size_t i = 0; i < tests.size(); ++i) (first[i] ? a : b) += predicted[i];
  EXPECT_NEAR(a, b, 0.11);
  EXPECT_NE(first[0], first[1]) << "the two long tests go to different shards";
}

TEST(SelectShard, IsDeterministicAndKeepsGroupsTogether) {
  auto tests = MakeTests(30);
  for (int i = 0; i < 30; i += 5) tests[static_cast<std::size_t>(i)].group = "g";
  const std::vector<double> predicted(30, 1);
  for (const bool timed : {false, true}) {
    const auto a = SelectShard(tests, Keys(tests), predicted, timed, {1, 3});
    EXPECT_EQ(a, SelectShard(tests, Keys(tests), predicted, timed, {1, 3}));
    std::vector<bool> group;
    for (int i = 0; i < 30; i += 5) group.push_back(a[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(std::all_of(group.begin(), group.end(), [&](bool v) { return v == group[0]; }));
  }
}

}  // namespace
}  // namespace xdist::run
