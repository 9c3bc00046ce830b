#include "driver.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "clock.h"
#include "console_reporter.h"
#include "cpu_count.h"
#include "ctest_export.h"
#include "discovery.h"
#include "file_lock_broker.h"
#include "history.h"
#include "junit_writer.h"
#include "plan.h"
#include "posix_launcher.h"
#include "sandbox.h"
#include "scheduler.h"
#include "session.h"
#include "shard.h"
#include "worker_space.h"

namespace xdist::run {

namespace {

// A test's cost when nothing is known about it: only its relative size matters for
// scheduling, so any constant works; 10 ms is a typical unit test.
constexpr double kUnknownSeconds = 0.01;
// Even an empty test costs the process some microseconds; a floor keeps predicted batches of
// zero-time tests from being split into a process each.
constexpr double kMinTestSeconds = 20e-6;

std::optional<std::string> GetEnv(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<int> ParseInt(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string UtcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

bool UseColor(ColorMode mode, const RunContext& context) {
  switch (mode) {
    case ColorMode::kAlways: return true;
    case ColorMode::kNever: return false;
    case ColorMode::kAuto: break;
  }
  if (const auto force = GetEnv(context.env, "CLICOLOR_FORCE"); force && *force != "0") {
    return true;
  }
  if (const auto no_color = GetEnv(context.env, "NO_COLOR"); no_color && !no_color->empty()) {
    return false;
  }
  return context.out_is_terminal;
}

void PrintCollected(std::FILE* out, const std::vector<Binary>& binaries,
                    const std::vector<TestCase>& tests, const Prediction& prediction,
                    const std::vector<WorkItem>& items, const SchedulerConfig& config) {
  std::size_t disabled = 0;
  std::size_t current_binary = binaries.size();
  for (std::size_t index = 0; index < tests.size(); ++index) {
    const TestCase& test = tests[index];
    if (test.binary != current_binary) {
      current_binary = test.binary;
      std::fprintf(out, "%s\n", binaries[test.binary].label.c_str());
    }
    std::string line = "  " + test.FullName() + "  " + test.file + ":" + std::to_string(test.line);
    if (test.disabled) {
      line += "  [disabled]";
      ++disabled;
    }
    for (const std::string& marker : test.markers) line += "  [" + marker + "]";
    if (prediction.known[index]) line += "  ~" + FormatDuration(FromSeconds(prediction.seconds[index]));
    std::fprintf(out, "%s\n", line.c_str());
  }
  std::fprintf(out, "collected %zu tests from %zu binaries (%zu disabled)\n", tests.size(),
               binaries.size(), disabled);

  const Plan plan = SimulatePlan(tests, items, prediction, config);
  std::fprintf(out, "plan: %d worker(s), --dist %s, %zu processes\n", config.workers,
               std::string(DistModeName(config.mode)).c_str(), plan.batches.size());
  for (int worker = 0; worker < config.workers; ++worker) {
    std::size_t batches = 0;
    std::size_t count = 0;
    for (const PlannedBatch& planned : plan.batches) {
      if (planned.batch.slot != worker) continue;
      ++batches;
      count += planned.batch.items.size();
    }
    std::fprintf(out, "  gw%d: %zu tests in %zu processes, predicted %s\n", worker, count,
                 batches, FormatDuration(FromSeconds(plan.worker_seconds[static_cast<std::size_t>(worker)])).c_str());
    for (const PlannedBatch& planned : plan.batches) {
      if (planned.batch.slot != worker) continue;
      const Batch& batch = planned.batch;
      std::string names;
      for (std::size_t i = 0; i < batch.items.size() && i < 3; ++i) {
        names += (i > 0 ? " " : "") + tests[batch.items[i].test].FullName();
      }
      if (batch.items.size() > 3) names += " ...";
      std::fprintf(out, "    at %-10s %4zu tests, %-10s %s%s\n",
                   FormatDuration(FromSeconds(planned.start)).c_str(), batch.items.size(),
                   FormatDuration(FromSeconds(batch.predicted_seconds)).c_str(),
                   batch.alone ? "[alone] " : "", names.c_str());
    }
  }
  const bool known = std::any_of(prediction.known.begin(), prediction.known.end(),
                                 [](bool value) { return value; });
  std::fprintf(out, "predicted makespan %s%s; lower bound LB(%d) = max(longest %s, sum %s / %d) = %s",
               FormatDuration(FromSeconds(plan.makespan)).c_str(),
               known ? "" : " (no duration history: every test counted alike)", config.workers,
               FormatDuration(FromSeconds(plan.longest)).c_str(),
               FormatDuration(FromSeconds(plan.total)).c_str(), config.workers,
               FormatDuration(FromSeconds(plan.lower_bound)).c_str());
  if (plan.lower_bound > 0) std::fprintf(out, " (%.2f x LB)", plan.makespan / plan.lower_bound);
  std::fputc('\n', out);
  if (plan.unit_lower_bound > plan.lower_bound) {
    std::fprintf(out,
                 "--dist %s keeps units together: its own bound is the biggest unit, %s "
                 "(%.2f x LB)\n",
                 std::string(DistModeName(config.mode)).c_str(),
                 FormatDuration(FromSeconds(plan.unit_lower_bound)).c_str(),
                 plan.unit_lower_bound / plan.lower_bound);
  }
}

}  // namespace

RunStatus RunTests(const RunOptions& options, const RunContext& context) {
  std::FILE* err = context.err;
  const auto fail = [&](const std::string& message) {
    std::fprintf(err, "xdist-run: error: %s\n", message.c_str());
    return RunStatus::kUsageError;
  };

  // Workers.
  const bool serial = options.workers && *options.workers == 0;
  int workers = options.workers ? *options.workers : AvailableCpus();
  if (!options.workers && options.max_processes) workers = std::min(workers, *options.max_processes);
  if (serial || options.dist == DistMode::kNo) workers = 1;
  workers = std::max(1, workers);

  // Sharding: --shard, else what Bazel or a CI set.
  std::optional<ShardSpec> shard = options.shard;
  if (!shard) {
    const auto total = GetEnv(context.env, "GTEST_TOTAL_SHARDS");
    const auto index = GetEnv(context.env, "GTEST_SHARD_INDEX");
    if (total && index) {
      const auto n = ParseInt(*total);
      const auto k = ParseInt(*index);
      if (!n || !k || *n < 1 || *k < 0 || *k >= *n) {
        return fail("GTEST_TOTAL_SHARDS=" + *total + " / GTEST_SHARD_INDEX=" + *index +
                    " do not name a shard");
      }
      shard = ShardSpec{*k, *n};
    }
  }

  // A binary named twice (a glob and an explicit name) runs once, as pytest collects a
  // file named twice once.
  std::vector<Binary> binaries;
  for (const std::string& path : options.binaries) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(path, error);
    Binary binary{error ? path : absolute.lexically_normal().string(), path};
    const bool seen = std::any_of(binaries.begin(), binaries.end(), [&](const Binary& other) {
      return other.path == binary.path;
    });
    if (!seen) binaries.push_back(std::move(binary));
  }

  // --isolate: what the machine allows decides before anything runs (docs/isolation.md).
  IsolationLevels isolation;
  if (options.isolation) {
    const Expected<ResolvedIsolation> resolved = ResolveIsolation(*options.isolation, Probe());
    if (!resolved) return fail(resolved.error().message);
    for (const std::string& warning : resolved->warnings) {
      std::fprintf(err, "xdist-run: warning: %s\n", warning.c_str());
    }
    isolation = resolved->levels;
  }
  const auto print_isolation = [&] {
    if (options.isolation) {
      std::fprintf(context.out, "isolation: %s\n", DescribeIsolation(isolation).c_str());
    }
  };

  // The JUnit report's place is checked before anything runs (a CI job that finds no report
  // after a long run learns nothing), and its directory is created, as pytest does.
  if (!options.junitxml.empty() && !options.collect_only) {
    const std::filesystem::path parent = std::filesystem::path(options.junitxml).parent_path();
    std::error_code ignored;
    if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
    // Opened for appending, and removed again if it was not there: an early error must not
    // leave an empty report behind.
    const bool existed = std::filesystem::exists(options.junitxml, ignored);
    if (!std::ofstream(options.junitxml, std::ios::binary | std::ios::app)) {
      return fail("cannot write the JUnit report " + options.junitxml + ": " +
                  std::strerror(errno));
    }
    if (!existed) std::filesystem::remove(options.junitxml, ignored);
  }

  const std::string run_uid = MakeRunUid();
  const std::string temp_base = GetEnv(context.env, "TMPDIR").value_or("/tmp");
  Expected<WorkerSpace> space = WorkerSpace::Create(
      temp_base.empty() ? "/tmp" : temp_base, run_uid, workers);
  if (!space) return fail(space.error().message);

  // The sandboxes' layout: with `auto`, a level this layout rules out is left out too.
  SandboxOptions sandbox_options;
  if (isolation.Any()) {
    std::error_code cwd_error;
    sandbox_options.levels = isolation;
    sandbox_options.run_dir = space->Root();
    sandbox_options.cwd = std::filesystem::current_path(cwd_error);
    for (const Binary& binary : binaries) sandbox_options.visible_paths.emplace_back(binary.path);
    sandbox_options.keep = options.keep_tmp;
    if (options.isolation->automatic) {
      std::vector<std::string> layout_warnings;
      isolation = LeaveOutImpossibleLevels(sandbox_options, layout_warnings);
      sandbox_options.levels = isolation;
      for (const std::string& warning : layout_warnings) {
        std::fprintf(err, "xdist-run: warning: %s\n", warning.c_str());
      }
    }
  }

  SteadyClock clock;
  const TimePoint run_start = clock.Now();
  PosixLauncher launcher;

  // Discovery.
  std::vector<std::string> warnings;
  DiscoveryConfig discovery;
  discovery.work_dir = space->InternalDir();
  discovery.env = CleanEnv(context.env);
  discovery.env.push_back("TMPDIR=" + space->InternalDir());
  discovery.extra_args = options.extra_args;
  discovery.filter = options.filter;
  discovery.cache_dir = options.cache_dir;
  // Listing is mostly dynamic loading and waiting: more listings than CPUs at once pay off.
  discovery.max_parallel = static_cast<std::size_t>(std::max({8, 2 * AvailableCpus(), workers}));
  Expected<std::vector<TestCase>> discovered =
      DiscoverTests(launcher, binaries, discovery, warnings);
  for (const std::string& warning : warnings) std::fprintf(err, "xdist-run: warning: %s\n", warning.c_str());
  warnings.clear();
  if (!discovered) {
    space->Remove();
    if (launcher.Interrupted()) {
      std::fprintf(err, "xdist-run: interrupted\n");
      return RunStatus::kInterrupted;
    }
    return fail(discovered.error().message);
  }

  // History and predictions.
  const DurationHistory history = DurationHistory::Load(options.cache_dir, warnings);
  for (const std::string& warning : warnings) std::fprintf(err, "xdist-run: warning: %s\n", warning.c_str());
  std::vector<TestCase> all = std::move(*discovered);
  std::vector<std::string> keys;
  Prediction prediction;
  double known_sum = 0;
  int known_count = 0;
  for (const TestCase& test : all) {
    keys.push_back(DurationHistory::Key(binaries[test.binary].path, test.FullName()));
    const std::optional<HistoryEntry> entry = history.Find(keys.back());
    prediction.known.push_back(entry.has_value());
    prediction.failed_before.push_back(entry && entry->failed);
    prediction.seconds.push_back(entry ? std::max(kMinTestSeconds, entry->seconds) : 0);
    if (entry) {
      known_sum += prediction.seconds.back();
      ++known_count;
    }
  }
  const double unknown = known_count > 0 ? known_sum / known_count : kUnknownSeconds;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!prediction.known[i]) prediction.seconds[i] = unknown;
  }

  // Shard selection keeps the binaries' order and each binary's registration order.
  std::vector<TestCase> tests;
  Prediction selected_prediction;
  {
    const std::vector<bool> keep =
        shard ? SelectShard(all, keys, prediction.seconds, known_count > 0, *shard)
              : std::vector<bool>(all.size(), true);
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!keep[i]) continue;
      tests.push_back(all[i]);
      selected_prediction.seconds.push_back(prediction.seconds[i]);
      selected_prediction.known.push_back(prediction.known[i]);
      selected_prediction.failed_before.push_back(prediction.failed_before[i]);
    }
    if (shard) {
      std::fprintf(context.out, "shard %d/%d: %zu of %zu tests (%s)\n", shard->index + 1,
                   shard->total, tests.size(), all.size(),
                   known_count > 0 ? "balanced by duration history" : "hash split");
    }
  }
  std::vector<std::string> selected_keys;
  selected_keys.reserve(tests.size());
  for (const TestCase& test : tests) {
    selected_keys.push_back(DurationHistory::Key(binaries[test.binary].path, test.FullName()));
  }

  std::optional<std::uint64_t> seed = options.seed;
  if (options.shuffle && !seed) {
    seed = StableHash(run_uid);
  }
  const std::optional<std::uint64_t> shuffle_seed =
      options.shuffle ? seed : std::optional<std::uint64_t>();
  const std::vector<WorkItem> items =
      OrderWork(tests, selected_prediction, options.count, options.dist, shuffle_seed);

  SchedulerConfig scheduler;
  scheduler.workers = workers;
  scheduler.mode = serial ? DistMode::kNo : options.dist;
  scheduler.single_test_batches = options.maxfail > 0;
  scheduler.whole_binary_batches = scheduler.mode == DistMode::kNo;
  scheduler.keep_unit_order = options.shuffle;

  if (options.collect_only) {
    if (!options.export_ctest.empty()) {
      std::vector<std::string> sources;
      for (const Binary& binary : binaries) sources.push_back(binary.label);
      std::ofstream out(options.export_ctest, std::ios::binary | std::ios::trunc);
      out << WriteCTestProperties(tests, sources, {options.ctest_prefix, options.ctest_suffix});
      out.close();
      if (!out) {
        space->Remove();
        return fail("cannot write " + options.export_ctest);
      }
    }
    PrintCollected(context.out, binaries, tests, selected_prediction, items, scheduler);
    print_isolation();
    space->Remove();
    return tests.empty() ? RunStatus::kNoTests : RunStatus::kAllPassed;
  }
  if (tests.empty()) {
    space->Remove();
    std::fprintf(context.out, "no tests collected\n");
    return RunStatus::kNoTests;
  }
  if (shuffle_seed) {
    std::fprintf(context.out, "shuffled with --seed %llu\n",
                 static_cast<unsigned long long>(*shuffle_seed));
  }
  if ((scheduler.mode == DistMode::kLoadFile || scheduler.mode == DistMode::kLoadScope) &&
      known_count > 0) {
    const Plan plan = SimulatePlan(tests, items, selected_prediction, scheduler);
    if (plan.unit_lower_bound > plan.lower_bound * 1.05) {
      std::fprintf(context.out,
                   "note: --dist %s keeps each %s on one worker; the biggest takes %s, so the "
                   "run cannot take less (LB(%d) is %s)\n",
                   std::string(DistModeName(scheduler.mode)).c_str(),
                   scheduler.mode == DistMode::kLoadFile ? "file" : "suite",
                   FormatDuration(FromSeconds(plan.unit_lower_bound)).c_str(), workers,
                   FormatDuration(FromSeconds(plan.lower_bound)).c_str());
    }
  }

  // Resource locks hold machine-wide, against other xdist-run invocations too.
  std::unique_ptr<FileLockBroker> machine_locks;
  if (std::any_of(tests.begin(), tests.end(),
                  [](const TestCase& test) { return !test.locks.empty(); })) {
    const std::string lock_dir =
        FileLockBroker::DefaultDir(GetEnv(context.env, "XDIST_LOCK_DIR").value_or("").c_str());
    Expected<std::unique_ptr<FileLockBroker>> opened = FileLockBroker::Open(lock_dir);
    if (opened) {
      machine_locks = std::move(*opened);
      scheduler.machine_locks = machine_locks.get();
    } else {
      std::fprintf(err, "xdist-run: warning: %s; resource locks hold within this run only\n",
                   opened.error().message.c_str());
    }
  }

  SessionConfig session_config;
  session_config.scheduler = scheduler;
  session_config.extra_args = options.extra_args;
  if (options.timeout_seconds) session_config.timeout = FromSeconds(*options.timeout_seconds);
  session_config.reruns = options.reruns;
  session_config.maxfail = options.maxfail;
  session_config.color = options.color == ColorMode::kAlways;
  session_config.report_dir = space->InternalDir();
  for (int slot = 0; slot < workers; ++slot) {
    session_config.slot_env.push_back(space->WorkerEnv(context.env, slot, workers, run_uid));
  }
  // One sandbox per worker slot, entered by each of its test processes.
  std::vector<std::unique_ptr<WorkerSandbox>> sandboxes;
  if (isolation.Any()) {
    for (int slot = 0; slot < workers; ++slot) {
      sandbox_options.slot = slot;
      Expected<std::unique_ptr<WorkerSandbox>> sandbox = WorkerSandbox::Create(sandbox_options);
      if (!sandbox) {
        sandboxes.clear();
        space->Remove();
        return fail(sandbox.error().message);
      }
      session_config.slot_setup.push_back(&(*sandbox)->Setup(false));
      session_config.slot_network_setup.push_back(&(*sandbox)->Setup(true));
      sandboxes.push_back(std::move(*sandbox));
    }
  }

  const bool color = UseColor(options.color, context);
  const bool smart = context.out_is_terminal &&
                     GetEnv(context.env, "TERM").value_or("dumb") != "dumb";
  ConsoleReporter reporter(context.out, smart, color, options.verbosity, binaries, tests,
                           items.size(), clock);
  const std::string timestamp = UtcTimestamp();
  Session session(launcher, clock, reporter, binaries, tests, items, selected_prediction,
                  session_config);
  const SessionSummary summary = session.Run();
  print_isolation();
  // The wall time the user waited, listing included.
  reporter.PrintSummary(summary.results, summary.not_run, clock.Now() - run_start,
                        options.durations);

  // History: what ran to an end, passed, failed or skipped itself (a flaky pass counts as a
  // failure, so it goes first next time).
  DurationHistory update;
  for (const TestResult& result : summary.results) {
    const auto* skipped = std::get_if<outcome::Skipped>(&result.outcome);
    if (std::holds_alternative<outcome::Interrupted>(result.outcome) ||
        std::holds_alternative<outcome::FailedToStart>(result.outcome) ||
        (skipped != nullptr && skipped->disabled)) {
      continue;
    }
    update.Record(selected_keys[result.test],
                  {ToSeconds(result.duration), IsFailure(result.outcome) || result.flaky});
  }
  if (!update.Empty()) {
    const Expected<bool> saved = update.MergeInto(options.cache_dir);
    if (!saved) std::fprintf(err, "xdist-run: warning: %s\n", saved.error().message.c_str());
  }

  bool report_lost = false;
  if (!options.junitxml.empty()) {
    JUnitReport report{&binaries, &tests, &summary.results, timestamp, HostName(),
                       ToSeconds(summary.wall)};
    std::ofstream out(options.junitxml, std::ios::binary | std::ios::trunc);
    out << WriteJUnit(report);
    out.close();
    if (!out) {
      std::fprintf(err, "xdist-run: error: cannot write %s\n", options.junitxml.c_str());
      report_lost = true;
    }
  }

  const Counts counts = CountResults(summary.results);
  const bool failures = counts.failed + counts.crashed + counts.timed_out > 0;
  if (summary.stopped_at_maxfail) {
    std::fprintf(context.out, "stopped after %d failure(s) (--maxfail)\n", options.maxfail);
  }
  if (failures || summary.interrupted || options.keep_tmp) {
    std::fprintf(context.out, "worker directories kept in %s\n", space->Root().c_str());
  } else {
    space->Remove();
  }
  if (summary.interrupted) return RunStatus::kInterrupted;
  if (report_lost) return RunStatus::kUsageError;
  if (failures) return RunStatus::kFailures;
  return RunStatus::kAllPassed;
}

}  // namespace xdist::run
