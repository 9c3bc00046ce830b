// xdist-run: parses the command line, runs the tests, maps the outcome to an exit code.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "driver.h"
#include "run_options.h"
#include "scheduler.h"
#include "shard.h"

extern char** environ;

namespace {

using xdist::run::RunStatus;

int ExitCode(RunStatus status) {
  switch (status) {
    case RunStatus::kAllPassed: return 0;
    case RunStatus::kFailures: return 1;
    case RunStatus::kUsageError: return 2;
    case RunStatus::kNoTests: return 5;
    case RunStatus::kInterrupted: return 130;
  }
  return 2;
}

int Main(int argc, char** argv) {
  using namespace xdist::run;
  // Everything after the first `--` goes to the test binaries untouched.
  std::vector<std::string> args;
  RunOptions options;
  bool after_separator = false;
  for (int i = 1; i < argc; ++i) {
    if (!after_separator && std::strcmp(argv[i], "--") == 0) {
      after_separator = true;
    } else if (after_separator) {
      options.extra_args.emplace_back(argv[i]);
    } else {
      args.emplace_back(argv[i]);
    }
  }

  CLI::App app{"xdist-run: runs GoogleTest binaries in parallel, honouring xdist markers.\n"
               "usage: xdist-run [options] BINARY... [-- ARGS passed to every test binary]",
               "xdist-run"};
  app.set_version_flag("--version", "xdist-run 0.1.0");
  std::string workers = "auto";
  std::string dist = "load";
  std::string color = "auto";
  std::string shard;
  int exitfirst = 0;
  std::uint64_t seed = 0;
  bool verbose = false;
  bool quiet = false;
  double timeout = 0;
  int max_processes = 0;
  app.add_option("binaries", options.binaries, "GoogleTest binaries to run")->required();
  app.add_option("-n,--numprocesses", workers,
                 "worker count: auto (CPUs this process may use), N, or 0 (each binary once, "
                 "serially, no distribution)")
      ->default_str("auto");
  app.add_option("--maxprocesses", max_processes, "cap for -n auto");
  app.add_option("--dist", dist, "load|loadfile|loadscope|loadgroup|worksteal|no")
      ->default_str("load");
  app.add_flag("--collect-only", options.collect_only,
               "list tests, markers and the planned distribution; run nothing");
  app.add_option("--export-ctest", options.export_ctest,
                 "with --collect-only: write the markers as CTest properties (a CMake script) "
                 "to FILE");
  app.add_option("--ctest-prefix", options.ctest_prefix,
                 "with --export-ctest: the TEST_PREFIX given to gtest_discover_tests");
  app.add_option("--ctest-suffix", options.ctest_suffix,
                 "with --export-ctest: the TEST_SUFFIX given to gtest_discover_tests");
  app.add_option("-k,--filter", options.filter, "GoogleTest filter (--gtest_filter syntax)");
  app.add_option("--timeout", timeout, "per-test timeout in seconds (0: none)");
  app.add_flag("-x,--exitfirst", exitfirst, "stop after the first failure (--maxfail 1)");
  app.add_option("--maxfail", options.maxfail, "start no new test after N failures");
  app.add_option("--reruns", options.reruns, "re-run a failed test up to N times (pass = flaky)");
  app.add_option("--count", options.count, "run each test N times");
  app.add_flag("--shuffle", options.shuffle, "random order (seed printed; see --seed)");
  CLI::Option* seed_option = app.add_option("--seed", seed, "seed for --shuffle");
  app.add_option("--junitxml", options.junitxml, "write a JUnit XML report to FILE");
  app.add_option("--durations", options.durations, "print the N slowest tests");
  app.add_flag("-v,--verbose", verbose, "a line for every test, also on a terminal");
  app.add_flag("-q,--quiet", quiet, "only failures and the summary");
  app.add_option("--color", color, "auto|always|never (auto follows NO_COLOR, CLICOLOR_FORCE)")
      ->default_str("auto");
  app.add_flag("--keep-tmp", options.keep_tmp, "keep the worker directories after a green run");
  app.add_option("--cache-dir", options.cache_dir, "duration history directory")
      ->default_str(".xdist-cache");
  std::string isolate;
  app.add_option("--isolate", isolate,
                 "net,tmp,cwd|all|auto: a private network, /tmp and working directory per "
                 "worker (docs/isolation.md)");
  app.add_option("--shard", shard, "run part K of N (1-based), balanced by duration history");

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  const auto usage = [](const std::string& message) {
    std::fprintf(stderr, "xdist-run: error: %s\n", message.c_str());
    return 2;
  };
  if (workers != "auto") {
    try {
      std::size_t used = 0;
      const int value = std::stoi(workers, &used);
      if (used != workers.size() || value < 0) throw std::invalid_argument(workers);
      options.workers = value;
    } catch (const std::exception&) {
      return usage("-n expects auto or a number >= 0, got '" + workers + "'");
    }
  }
  if (!options.export_ctest.empty() && !options.collect_only) {
    return usage("--export-ctest needs --collect-only");
  }
  if ((!options.ctest_prefix.empty() || !options.ctest_suffix.empty()) &&
      options.export_ctest.empty()) {
    return usage("--ctest-prefix and --ctest-suffix need --export-ctest");
  }
  if (max_processes < 0) return usage("--maxprocesses must be >= 1");
  if (max_processes > 0) options.max_processes = max_processes;
  const Expected<DistMode> mode = ParseDistMode(dist);
  if (!mode) return usage(mode.error().message);
  options.dist = *mode;
  if (color == "always") {
    options.color = ColorMode::kAlways;
  } else if (color == "never") {
    options.color = ColorMode::kNever;
  } else if (color != "auto") {
    return usage("--color expects auto, always or never, got '" + color + "'");
  }
  if (timeout < 0) return usage("--timeout must be >= 0");
  if (timeout > 0) options.timeout_seconds = timeout;
  if (exitfirst > 0 && options.maxfail == 0) options.maxfail = 1;
  if (options.maxfail < 0 || options.reruns < 0 || options.durations < 0) {
    return usage("--maxfail, --reruns and --durations must be >= 0");
  }
  if (options.count < 1) return usage("--count must be >= 1");
  if (*seed_option) options.seed = seed;
  if (quiet && verbose) return usage("-q and -v exclude each other");
  if (quiet) options.verbosity = Verbosity::kQuiet;
  if (verbose) options.verbosity = Verbosity::kVerbose;
  if (!isolate.empty()) {
    const Expected<IsolationRequest> request = ParseIsolation(isolate);
    if (!request) return usage(request.error().message);
    options.isolation = *request;
  }
  if (!shard.empty()) {
    const Expected<ShardSpec> spec = ParseShard(shard);
    if (!spec) return usage(spec.error().message);
    options.shard = *spec;
  }

  // A closed stdout (| head) must not kill the runner before it has reaped its children.
  std::signal(SIGPIPE, SIG_IGN);
  RunContext context;
  for (char** entry = environ; *entry != nullptr; ++entry) context.env.emplace_back(*entry);
  context.out_is_terminal = ::isatty(STDOUT_FILENO) != 0;
  return ExitCode(RunTests(options, context));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    // Library code reports expected failures as values; this is for the unexpected ones
    // (out of memory, a file system error) so they end with a message, not an abort.
    std::fprintf(stderr, "xdist-run: error: %s\n", error.what());
    return 2;
  }
}
