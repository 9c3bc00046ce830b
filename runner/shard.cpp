#include "shard.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace xdist::run {

Expected<ShardSpec> ParseShard(std::string_view text) {
  const std::size_t slash = text.find('/');
  int k = 0;
  int n = 0;
  const auto parse = [](std::string_view part, int& value) {
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    return error == std::errc() && end == part.data() + part.size();
  };
  if (slash == std::string_view::npos || !parse(text.substr(0, slash), k) ||
      !parse(text.substr(slash + 1), n) || n < 1 || k < 1 || k > n) {
    return Error{"--shard expects K/N with 1 <= K <= N, got '" + std::string(text) + "'"};
  }
  return ShardSpec{k - 1, n};
}

std::uint64_t StableHash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::vector<bool> SelectShard(const std::vector<TestCase>& tests,
                              const std::vector<std::string>& keys,
                              const std::vector<double>& predicted, bool timed, ShardSpec shard) {
  struct Unit {
    std::string key;
    double seconds = 0;
    std::vector<std::size_t> tests;
  };
  std::map<std::string, Unit> units;
  for (std::size_t test = 0; test < tests.size(); ++test) {
    const std::string key =
        tests[test].group.empty() ? keys[test] : "group:" + tests[test].group;
    Unit& unit = units[key];
    unit.key = key;
    unit.seconds += predicted[test];
    unit.tests.push_back(test);
  }
  std::vector<const Unit*> order;
  order.reserve(units.size());
  for (const auto& [key, unit] : units) order.push_back(&unit);
  std::vector<bool> selected(tests.size(), false);
  if (!timed) {
    for (const Unit* unit : order) {
      if (static_cast<int>(StableHash(unit->key) % static_cast<std::uint64_t>(shard.total)) ==
          shard.index) {
        for (const std::size_t test : unit->tests) selected[test] = true;
      }
    }
    return selected;
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Unit* a, const Unit* b) { return a->seconds > b->seconds; });
  std::vector<double> load(static_cast<std::size_t>(shard.total), 0);
  for (const Unit* unit : order) {
    const auto target = static_cast<std::size_t>(
        std::min_element(load.begin(), load.end()) - load.begin());
    load[target] += unit->seconds;
    if (static_cast<int>(target) == shard.index) {
      for (const std::size_t test : unit->tests) selected[test] = true;
    }
  }
  return selected;
}

}  // namespace xdist::run
