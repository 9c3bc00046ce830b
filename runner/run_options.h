// Everything the command line says, after parsing.
#ifndef XDIST_RUNNER_RUN_OPTIONS_H
#define XDIST_RUNNER_RUN_OPTIONS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "console_reporter.h"
#include "sandbox.h"
#include "scheduler.h"
#include "shard.h"

namespace xdist::run {

enum class ColorMode : std::uint8_t { kAuto, kAlways, kNever };

struct RunOptions {
  std::vector<std::string> binaries;
  std::vector<std::string> extra_args;  ///< after `--`
  std::optional<int> workers;           ///< -n N; nullopt for auto
  std::optional<int> max_processes;     ///< caps auto
  DistMode dist = DistMode::kLoad;
  bool collect_only = false;
  std::string export_ctest;  ///< with collect_only: write the CTest properties to this file
  std::string ctest_prefix;  ///< gtest_discover_tests' TEST_PREFIX, for export_ctest
  std::string ctest_suffix;  ///< gtest_discover_tests' TEST_SUFFIX, for export_ctest
  std::string filter;
  std::optional<double> timeout_seconds;
  int maxfail = 0;
  int reruns = 0;
  int count = 1;
  bool shuffle = false;
  std::optional<std::uint64_t> seed;
  std::string junitxml;
  int durations = 0;
  Verbosity verbosity = Verbosity::kNormal;
  ColorMode color = ColorMode::kAuto;
  bool keep_tmp = false;
  std::optional<IsolationRequest> isolation;  ///< --isolate; nullopt without it
  std::string cache_dir = ".xdist-cache";
  std::optional<ShardSpec> shard;
};

/// How a run ended; main() maps it to the exit code.
enum class RunStatus : std::uint8_t {
  kAllPassed,       ///< 0
  kFailures,        ///< 1
  kUsageError,      ///< 2: bad options, or a binary could not be listed
  kNoTests,         ///< 5
  kInterrupted,     ///< 130
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_RUN_OPTIONS_H
