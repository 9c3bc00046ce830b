// How many CPUs this process may use, for -n auto.
#ifndef XDIST_RUNNER_CPU_COUNT_H
#define XDIST_RUNNER_CPU_COUNT_H

#include <optional>
#include <string_view>

namespace xdist::run {

/// The CPU limit in a cgroup v2 `cpu.max` file's text ("max 100000" or "150000 100000"):
/// quota / period rounded up, nullopt for no limit or unreadable text.
std::optional<int> CpuMaxLimit(std::string_view cpu_max);

/// CPUs this process may run on (sched_getaffinity), capped by the cgroup v2 quota of its
/// cgroup and its ancestors; at least 1.
int AvailableCpus();

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CPU_COUNT_H
