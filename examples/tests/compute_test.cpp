// Slow, CPU-bound tests that are safe in parallel, and one that truly is not.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

namespace {

std::vector<int> Primes(int limit) {
  std::vector<bool> composite(static_cast<size_t>(limit) + 1, false);
  std::vector<int> primes;
  for (int i = 2; i <= limit; ++i) {
    if (composite[static_cast<size_t>(i)]) continue;
    primes.push_back(i);
    for (int64_t j = int64_t{i} * i; j <= limit; j += i) composite[static_cast<size_t>(j)] = true;
  }
  return primes;
}

std::vector<uint32_t> RandomValues(size_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<uint32_t> values(count);
  for (auto& value : values) value = engine();
  return values;
}

}  // namespace

TEST(Compute, PrimesBelowFiftyMillion) {
  EXPECT_EQ(Primes(50'000'000).size(), 3'001'134u);
}

TEST(Compute, PrimesBelowTwentyMillion) { EXPECT_EQ(Primes(20'000'000).size(), 1'270'607u); }

TEST(Compute, SortsTenMillionValues) {
  auto values = RandomValues(10'000'000, 1);
  std::sort(values.begin(), values.end());
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
}

TEST(Compute, SortsFiveMillionValuesDescending) {
  auto values = RandomValues(5'000'000, 2);
  std::sort(values.begin(), values.end(), std::greater<>());
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end(), std::greater<>()));
}

TEST(Compute, SumsOfSquares) {
  std::vector<uint64_t> values(30'000'000);
  std::iota(values.begin(), values.end(), 0);
  uint64_t sum = 0;
  for (const uint64_t v : values) sum += v % 1000 * (v % 1000);
  EXPECT_EQ(sum, 9'985'005'000'000ull);
}

TEST(Compute, SmallPrimes) { EXPECT_EQ(Primes(100).size(), 25u); }

// A latency budget: with other tests competing for the cores it measures them, not the
// sieve. It needs the machine to itself, so it is marked by hand.
XDIST_NO_PARALLEL("measures wall time against a latency budget");
TEST(Latency, SieveOfTenMillionWithinBudget) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Primes(10'000'000).size(), 664'579u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}
