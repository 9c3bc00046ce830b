// The predicted distribution of a run, for --collect-only: the scheduler played against the
// predicted durations, without processes.
#ifndef XDIST_RUNNER_PLAN_H
#define XDIST_RUNNER_PLAN_H

#include <vector>

#include "scheduler.h"
#include "test_case.h"

namespace xdist::run {

struct PlannedBatch {
  Batch batch;
  double start = 0;  ///< predicted seconds after the run starts
};

struct Plan {
  std::vector<PlannedBatch> batches;   ///< in start order
  std::vector<double> worker_seconds;  ///< predicted busy time per worker
  double makespan = 0;                 ///< predicted wall time
  double total = 0;                    ///< sum of predicted test times
  double longest = 0;                  ///< longest predicted test
  double lower_bound = 0;              ///< max(longest, total / workers)
  /// For loadfile/loadscope/loadgroup: max(biggest unit, total / workers); else 0.
  double unit_lower_bound = 0;
};

/// Runs a Scheduler with `config` on `items` as if every test took its predicted time.
Plan SimulatePlan(const std::vector<TestCase>& tests, const std::vector<WorkItem>& items,
                  const Prediction& prediction, const SchedulerConfig& config);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_PLAN_H
