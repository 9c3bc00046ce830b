#include "plan.h"

#include <algorithm>
#include <map>
#include <string>

namespace xdist::run {

Plan SimulatePlan(const std::vector<TestCase>& tests, const std::vector<WorkItem>& items,
                  const Prediction& prediction, const SchedulerConfig& config) {
  const std::vector<double>& predicted = prediction.seconds;
  Plan plan;
  const int workers = std::max(1, config.workers);
  plan.worker_seconds.assign(static_cast<std::size_t>(workers), 0);
  std::map<std::string, double> units;
  for (const WorkItem& item : items) {
    const TestCase& test = tests[item.test];
    if (test.disabled) continue;
    const double seconds = predicted[item.test];
    plan.total += seconds;
    plan.longest = std::max(plan.longest, seconds);
    std::string unit;
    if (!test.group.empty()) {
      unit = "group:" + test.group;
    } else if (config.mode == DistMode::kLoadFile) {
      unit = std::to_string(test.binary) + ":" + test.file;
    } else if (config.mode == DistMode::kLoadScope) {
      unit = std::to_string(test.binary) + ":" + test.suite;
    }
    if (!unit.empty()) units[unit] += seconds;
  }
  plan.lower_bound = std::max(plan.longest, plan.total / workers);
  if (config.mode == DistMode::kLoadFile || config.mode == DistMode::kLoadScope ||
      config.mode == DistMode::kLoadGroup) {
    double biggest = plan.longest;
    for (const auto& [unit, seconds] : units) biggest = std::max(biggest, seconds);
    plan.unit_lower_bound = std::max(biggest, plan.total / workers);
  }

  std::vector<WorkItem> runnable;
  for (const WorkItem& item : items) {
    if (!tests[item.test].disabled) runnable.push_back(item);
  }
  Scheduler scheduler(tests, runnable, prediction, config);
  std::vector<std::optional<Batch>> running(static_cast<std::size_t>(workers));
  std::vector<double> free_at(static_cast<std::size_t>(workers), 0);
  double now = 0;
  for (;;) {
    for (int slot = 0; slot < workers; ++slot) {
      auto& current = running[static_cast<std::size_t>(slot)];
      if (current) continue;
      if (std::optional<Batch> batch = scheduler.Next(slot)) {
        free_at[static_cast<std::size_t>(slot)] = now + batch->predicted_seconds;
        plan.worker_seconds[static_cast<std::size_t>(slot)] += batch->predicted_seconds;
        plan.batches.push_back({*batch, now});
        current = std::move(batch);
      }
    }
    // Advance to the next batch end.
    int next = -1;
    for (int slot = 0; slot < workers; ++slot) {
      if (!running[static_cast<std::size_t>(slot)]) continue;
      if (next < 0 || free_at[static_cast<std::size_t>(slot)] <
                          free_at[static_cast<std::size_t>(next)]) {
        next = slot;
      }
    }
    if (next < 0) break;
    now = free_at[static_cast<std::size_t>(next)];
    std::optional<Batch>& ended = running[static_cast<std::size_t>(next)];
    if (ended) scheduler.Done(*ended);
    ended.reset();
    plan.makespan = std::max(plan.makespan, now);
  }
  return plan;
}

}  // namespace xdist::run
