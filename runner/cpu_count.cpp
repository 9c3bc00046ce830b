#include "cpu_count.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

namespace xdist::run {

std::optional<int> CpuMaxLimit(std::string_view cpu_max) {
  const std::size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota_text = cpu_max.substr(0, space);
  std::string_view period_text = cpu_max.substr(space + 1);
  while (!period_text.empty() && (period_text.back() == '\n' || period_text.back() == ' ')) {
    period_text.remove_suffix(1);
  }
  long quota = 0;
  long period = 0;
  if (std::from_chars(quota_text.data(), quota_text.data() + quota_text.size(), quota).ec !=
          std::errc() ||
      std::from_chars(period_text.data(), period_text.data() + period_text.size(), period).ec !=
          std::errc() ||
      quota <= 0 || period <= 0) {
    return std::nullopt;  // "max" (no limit) or something we do not understand
  }
  return static_cast<int>(std::max(1L, (quota + period - 1) / period));
}

int AvailableCpus() {
  int cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));

  // cgroup v2: "0::/path" in /proc/self/cgroup; every level up to the root may set a quota.
  std::ifstream cgroup_file("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroup_file, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    std::string path = line.substr(3);
    for (;;) {
      std::ifstream cpu_max("/sys/fs/cgroup" + (path == "/" ? std::string() : path) + "/cpu.max");
      std::string text;
      if (cpu_max && std::getline(cpu_max, text)) {
        if (const std::optional<int> limit = CpuMaxLimit(text)) cpus = std::min(cpus, *limit);
      }
      if (path.empty() || path == "/") break;
      const std::size_t slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  return std::max(1, cpus);
}

}  // namespace xdist::run
