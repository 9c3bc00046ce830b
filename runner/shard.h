// Splitting a suite across CI machines (--shard K/N, GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS).
#ifndef XDIST_RUNNER_SHARD_H
#define XDIST_RUNNER_SHARD_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "test_case.h"

namespace xdist::run {

/// Shard `index` (0-based) of `total`.
struct ShardSpec {
  int index = 0;
  int total = 1;
};

/// Parses "K/N" with 1 <= K <= N (K is 1-based, as in CI matrices).
Expected<ShardSpec> ParseShard(std::string_view text);

/// FNV-1a, 64 bit: a hash that is the same on every machine and compiler.
std::uint64_t StableHash(std::string_view text);

/// Which tests belong to `shard`: tests with the same XDIST_GROUP stay together. With
/// `timed` (a duration history is known), units are dealt longest first to the shard with
/// the least predicted work (ties: lower shard, then key order), so shards take about equal
/// time; otherwise a unit goes to StableHash(key) % total. `keys` are the tests' history keys.
/// Deterministic for the same inputs; every test is in exactly one shard.
std::vector<bool> SelectShard(const std::vector<TestCase>& tests,
                              const std::vector<std::string>& keys,
                              const std::vector<double>& predicted, bool timed, ShardSpec shard);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SHARD_H
