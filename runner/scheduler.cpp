#include "scheduler.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <utility>

namespace xdist::run {

Expected<DistMode> ParseDistMode(std::string_view text) {
  for (const DistMode mode : {DistMode::kLoad, DistMode::kLoadFile, DistMode::kLoadScope,
                              DistMode::kLoadGroup, DistMode::kWorkSteal, DistMode::kNo}) {
    if (DistModeName(mode) == text) return mode;
  }
  return Error{"unknown --dist mode '" + std::string(text) +
               "' (expected load, loadfile, loadscope, loadgroup, worksteal or no)"};
}

std::string_view DistModeName(DistMode mode) {
  switch (mode) {
    case DistMode::kLoad: return "load";
    case DistMode::kLoadFile: return "loadfile";
    case DistMode::kLoadScope: return "loadscope";
    case DistMode::kLoadGroup: return "loadgroup";
    case DistMode::kWorkSteal: return "worksteal";
    case DistMode::kNo: return "no";
  }
  return "load";
}

Scheduler::Scheduler(const std::vector<TestCase>& tests, const std::vector<WorkItem>& items,
                     const Prediction& prediction, SchedulerConfig config)
    : tests_(tests),
      predicted_(prediction.seconds),
      known_(prediction.known),
      config_(config),
      slot_queue_(static_cast<std::size_t>(std::max(1, config.workers))) {
  config_.workers = std::max(1, config_.workers);
  std::map<std::string, std::size_t> unit_index;
  std::vector<ItemList> units;
  for (const WorkItem& item : items) {
    const TestCase& test = tests_[item.test];
    remaining_ += Predicted(item);
    if (test.no_parallel) {
      alone_.push_back(item);
    } else if (IsUnitMember(test)) {
      const auto [it, inserted] = unit_index.emplace(UnitKey(test), units.size());
      if (inserted) units.emplace_back();
      units[it->second].push_back(item);
    } else {
      pool_.push_back(item);
    }
  }
  // Longest unit first; equal units keep the priority order of their first item.
  std::vector<std::size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  if (!config_.keep_unit_order) {
    std::vector<double> sums;
    sums.reserve(units.size());
    for (const ItemList& unit : units) sums.push_back(Sum(unit));
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return sums[a] > sums[b]; });
  }
  for (const std::size_t index : order) units_.push_back(std::move(units[index]));

  if (config_.mode == DistMode::kWorkSteal) {
    // Work stealing starts from an even (longest-first greedy) split of everything.
    std::vector<double> load(slot_queue_.size(), 0);
    const auto least_loaded = [&] {
      return static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    };
    for (ItemList& unit : units_) {
      const std::size_t slot = least_loaded();
      load[slot] += Sum(unit);
      unit_slot_[UnitKey(tests_[unit.front().test])] = static_cast<int>(slot);
      slot_queue_[slot].splice(slot_queue_[slot].end(), unit);
    }
    units_.clear();
    std::vector<WorkItem> singles(pool_.begin(), pool_.end());
    pool_.clear();
    std::stable_sort(singles.begin(), singles.end(), [&](const WorkItem& a, const WorkItem& b) {
      return Predicted(a) > Predicted(b);
    });
    for (const WorkItem& item : singles) {
      const std::size_t slot = least_loaded();
      load[slot] += Predicted(item);
      slot_queue_[slot].push_back(item);
    }
  }
}

bool Scheduler::IsUnitMember(const TestCase& test) const {
  if (!test.group.empty()) return true;
  return config_.mode == DistMode::kLoadFile || config_.mode == DistMode::kLoadScope;
}

std::string Scheduler::UnitKey(const TestCase& test) const {
  if (!test.group.empty()) return "group:" + test.group;
  const std::string binary = std::to_string(test.binary);
  if (config_.mode == DistMode::kLoadFile) return "file:" + binary + ":" + test.file;
  return "scope:" + binary + ":" + test.suite;
}

double Scheduler::Sum(const ItemList& list) const {
  double sum = 0;
  for (const WorkItem& item : list) sum += Predicted(item);
  return sum;
}

bool Scheduler::CanLock(const TestCase& test) const {
  for (const ResourceLock& lock : test.locks) {
    const auto it = locks_.find(lock.key);
    if (it == locks_.end()) continue;
    if (it->second.exclusive) return false;
    if (!lock.shared && it->second.shared > 0) return false;
  }
  return true;
}

void Scheduler::Lock(const TestCase& test) {
  for (const ResourceLock& lock : test.locks) {
    LockState& state = locks_[lock.key];
    if (lock.shared) {
      ++state.shared;
    } else {
      state.exclusive = true;
    }
  }
}

void Scheduler::Unlock(const TestCase& test) {
  for (const ResourceLock& lock : test.locks) {
    const auto it = locks_.find(lock.key);
    if (it == locks_.end()) continue;
    if (lock.shared) {
      --it->second.shared;
    } else {
      it->second.exclusive = false;
    }
    if (it->second.shared == 0 && !it->second.exclusive) locks_.erase(it);
  }
}

bool Scheduler::AcquireMachineLocks(const TestCase& test) {
  if (config_.machine_locks == nullptr) return true;
  for (std::size_t i = 0; i < test.locks.size(); ++i) {
    if (!config_.machine_locks->TryAcquire(test.locks[i].key, test.locks[i].shared)) {
      for (std::size_t taken = 0; taken < i; ++taken) {
        config_.machine_locks->Release(test.locks[taken].key);
      }
      machine_lock_wait_ = true;
      return false;
    }
  }
  return true;
}

void Scheduler::ReleaseMachineLocks(const TestCase& test) {
  if (config_.machine_locks == nullptr) return;
  for (const ResourceLock& lock : test.locks) config_.machine_locks->Release(lock.key);
}

bool Scheduler::TakeMachineLockWait() {
  return std::exchange(machine_lock_wait_, false);
}

std::optional<Batch> Scheduler::TakeBatch(int slot, ItemList& list, double remaining) {
  // A group's tests run in their order: once one of them cannot start (or cannot join this
  // batch), the group's later tests wait for it.
  std::set<std::string> held_back;
  const auto held = [&](const TestCase& test) {
    return !test.group.empty() && held_back.count(test.group) > 0;
  };
  const auto hold_back = [&](const TestCase& test) {
    if (!test.group.empty()) held_back.insert(test.group);
  };
  auto head = list.begin();
  for (; head != list.end(); ++head) {
    const TestCase& test = tests_[head->test];
    if (held(test)) continue;
    // Only a batch's first test may hold locks (a locked test runs alone), so taking them
    // from the broker here decides the whole batch.
    if (CanLock(test) && AcquireMachineLocks(test)) break;
    hold_back(test);
  }
  if (head == list.end()) return std::nullopt;

  Batch batch;
  batch.slot = slot;
  const TestCase& first = tests_[head->test];
  batch.machine_locks = config_.machine_locks != nullptr && !first.locks.empty();
  // A test holding a lock gets a fresh process of its own: state it leaves behind (the
  // environment, the working directory, a global) dies with the process.
  const bool single = config_.single_test_batches || !first.locks.empty();
  const double target =
      config_.whole_binary_batches
          ? std::numeric_limits<double>::infinity()
          : std::max(config_.min_batch_seconds,
                     remaining / (config_.guided_factor * config_.workers));
  std::set<std::size_t> in_batch;
  std::size_t filter_bytes = 0;
  std::size_t unknown = 0;
  std::size_t unknown_limit = config_.max_unknown_per_batch;
  // Enough measurements to trust the mean: size unknown batches by expected time.
  if (observed_ >= config_.max_unknown_per_batch) {
    const double mean = std::max(1e-6, observed_seconds_ / static_cast<double>(observed_));
    unknown_limit = std::max(unknown_limit,
                             static_cast<std::size_t>(config_.unknown_batch_seconds / mean));
  }
  const auto is_unknown = [&](const WorkItem& item) {
    return item.test >= known_.size() || !known_[item.test];
  };
  for (auto it = head; it != list.end();) {
    const TestCase& test = tests_[it->test];
    const bool fits = it == head ||
                      (!single && !held(test) && test.binary == first.binary &&
                       test.locks.empty() &&
                       test.needs_network == first.needs_network && !in_batch.count(it->test) &&
                       (!is_unknown(*it) || config_.whole_binary_batches ||
                        unknown < unknown_limit) &&
                       filter_bytes + test.FullName().size() + 1 <= config_.max_filter_bytes);
    if (!fits) {
      hold_back(test);
      ++it;
      continue;
    }
    filter_bytes += test.FullName().size() + 1;
    if (is_unknown(*it)) ++unknown;
    in_batch.insert(it->test);
    batch.items.push_back(*it);
    batch.predicted_seconds += Predicted(*it);
    it = list.erase(it);
    if (single || batch.predicted_seconds >= target) break;
  }
  for (const WorkItem& item : batch.items) Lock(tests_[item.test]);
  std::sort(batch.items.begin(), batch.items.end(), [&](const WorkItem& a, const WorkItem& b) {
    return tests_[a.test].order < tests_[b.test].order;
  });
  remaining_ -= batch.predicted_seconds;
  ++running_;
  return batch;
}

void Scheduler::PinUnitTo(int slot) {
  ItemList& unit = units_.front();
  unit_slot_[UnitKey(tests_[unit.front().test])] = slot;
  ItemList& queue = slot_queue_[static_cast<std::size_t>(slot)];
  queue.splice(queue.end(), unit);
  units_.pop_front();
}

void Scheduler::StealFor(int slot) {
  // Take the back half (by predicted work) of the fullest queue; unit members stay put.
  std::size_t victim = slot_queue_.size();
  double most = 0;
  for (std::size_t other = 0; other < slot_queue_.size(); ++other) {
    if (static_cast<int>(other) == slot) continue;
    double stealable = 0;
    for (const WorkItem& item : slot_queue_[other]) {
      if (!IsUnitMember(tests_[item.test])) stealable += Predicted(item);
    }
    if (stealable > most) {
      most = stealable;
      victim = other;
    }
  }
  if (victim == slot_queue_.size()) return;
  ItemList& from = slot_queue_[victim];
  ItemList& to = slot_queue_[static_cast<std::size_t>(slot)];
  double taken = 0;
  for (auto it = from.end(); it != from.begin() && taken < most / 2;) {
    --it;
    if (IsUnitMember(tests_[it->test])) continue;
    taken += Predicted(*it);
    to.push_front(*it);
    it = from.erase(it);
  }
}

std::optional<Batch> Scheduler::Next(int slot) {
  if (stopped_ || alone_running_ || slot < 0 ||
      static_cast<std::size_t>(slot) >= slot_queue_.size()) {
    return std::nullopt;
  }
  if (!alone_.empty()) {
    if (running_ > 0) return std::nullopt;  // drain, then run it with the machine to itself
    const TestCase& test = tests_[alone_.front().test];
    if (!AcquireMachineLocks(test)) return std::nullopt;
    Batch batch{slot, {alone_.front()}, true, config_.machine_locks != nullptr && !test.locks.empty(),
                Predicted(alone_.front())};
    alone_.pop_front();
    remaining_ -= batch.predicted_seconds;
    alone_running_ = true;
    ++running_;
    return batch;
  }
  ItemList& own = slot_queue_[static_cast<std::size_t>(slot)];
  if (own.empty() && config_.mode == DistMode::kWorkSteal) StealFor(slot);
  if (!own.empty()) {
    const double base = config_.mode == DistMode::kWorkSteal ? Sum(own) * config_.workers
                                                             : remaining_;
    return TakeBatch(slot, own, base);
  }
  if (!units_.empty()) {
    const bool unit_first =
        pool_.empty() || Sum(units_.front()) >= Predicted(pool_.front());
    if (unit_first) {
      PinUnitTo(slot);
      return TakeBatch(slot, own, remaining_);
    }
  }
  if (!pool_.empty()) return TakeBatch(slot, pool_, remaining_);
  return std::nullopt;
}

void Scheduler::Done(const Batch& batch) {
  for (const WorkItem& item : batch.items) {
    Unlock(tests_[item.test]);
    if (batch.machine_locks) ReleaseMachineLocks(tests_[item.test]);
  }
  if (batch.alone) alone_running_ = false;
  --running_;
}

void Scheduler::Requeue(int slot, const std::vector<WorkItem>& items) {
  if (stopped_) return;
  ItemList& own = slot_queue_[static_cast<std::size_t>(slot)];
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    const TestCase& test = tests_[it->test];
    remaining_ += Predicted(*it);
    if (test.no_parallel) {
      alone_.push_front(*it);
    } else if (IsUnitMember(test) || config_.mode == DistMode::kWorkSteal) {
      own.push_front(*it);
    } else {
      pool_.push_front(*it);
    }
  }
}

void Scheduler::Add(const WorkItem& item) {
  if (stopped_) return;
  const TestCase& test = tests_[item.test];
  remaining_ += Predicted(item);
  if (test.no_parallel) {
    alone_.push_front(item);
    return;
  }
  if (IsUnitMember(test)) {
    const auto it = unit_slot_.find(UnitKey(test));
    if (it != unit_slot_.end()) {
      slot_queue_[static_cast<std::size_t>(it->second)].push_front(item);
      return;
    }
    for (ItemList& unit : units_) {
      if (UnitKey(tests_[unit.front().test]) == UnitKey(test)) {
        unit.push_front(item);
        return;
      }
    }
  }
  if (config_.mode == DistMode::kWorkSteal) {
    slot_queue_.front().push_front(item);
  } else {
    pool_.push_front(item);
  }
}

void Scheduler::Observe(double seconds) {
  observed_seconds_ += seconds;
  ++observed_;
}

void Scheduler::Stop() {
  stopped_ = true;
  alone_.clear();
  pool_.clear();
  units_.clear();
  for (ItemList& queue : slot_queue_) queue.clear();
  remaining_ = 0;
}

bool Scheduler::HasPending() const {
  if (!alone_.empty() || !pool_.empty() || !units_.empty()) return true;
  return std::any_of(slot_queue_.begin(), slot_queue_.end(),
                     [](const ItemList& queue) { return !queue.empty(); });
}

namespace {

// A shuffle that gives the same order for the same seed on every platform (std::shuffle
// and the standard distributions are implementation-defined).
void StableShuffle(std::vector<WorkItem>& items, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(random() % i);
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

std::vector<WorkItem> OrderWork(const std::vector<TestCase>& tests, const Prediction& prediction,
                                int count, DistMode mode, std::optional<std::uint64_t> seed) {
  std::vector<std::size_t> order(tests.size());
  std::iota(order.begin(), order.end(), 0);
  if (mode != DistMode::kNo && !seed) {
    const auto rank = [&](std::size_t test) {
      return prediction.failed_before[test] || !prediction.known[test] ? 0 : 1;
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return prediction.seconds[a] > prediction.seconds[b];
    });
  }
  std::vector<WorkItem> items;
  items.reserve(order.size() * static_cast<std::size_t>(std::max(1, count)));
  for (int repetition = 0; repetition < std::max(1, count); ++repetition) {
    for (const std::size_t test : order) items.push_back({test, repetition, 0});
  }
  if (seed) StableShuffle(items, *seed);
  return items;
}

}  // namespace xdist::run
