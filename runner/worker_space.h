// Per-run and per-worker private directories and the environment of the test processes.
#ifndef XDIST_RUNNER_WORKER_SPACE_H
#define XDIST_RUNNER_WORKER_SPACE_H

#include <string>
#include <vector>

#include "expected.h"

namespace xdist::run {

/// The run's directory `<base>/xdist-<run uid>/` with `gw0`, `gw1`, ... (one per worker slot,
/// exported as TEST_TMPDIR and TMPDIR) and `internal/` for the runner's own files.
class WorkerSpace {
 public:
  /// Creates the directories. `base` is $TMPDIR or /tmp; `run_uid` must be unique per run.
  static Expected<WorkerSpace> Create(const std::string& base, const std::string& run_uid,
                                      int workers);

  const std::string& Root() const { return root_; }
  std::string InternalDir() const { return root_ + "/internal"; }
  std::string WorkerDir(int slot) const;
  static std::string WorkerName(int slot) { return "gw" + std::to_string(slot); }

  /// The environment of worker `slot`'s processes: `base_env` without the variables the runner
  /// owns (GTEST_SHARD_INDEX, GTEST_TOTAL_SHARDS, XDIST_MARKER_FILE, TEST_TMPDIR, TMPDIR,
  /// XDIST_WORKER*), plus TEST_TMPDIR and TMPDIR = the worker's directory, XDIST_WORKER=gwN,
  /// XDIST_WORKER_COUNT and XDIST_TESTRUN_UID.
  std::vector<std::string> WorkerEnv(const std::vector<std::string>& base_env, int slot,
                                     int workers, const std::string& run_uid) const;

  /// Removes everything under the root. Returns false if something could not be removed.
  bool Remove() const;

 private:
  std::string root_;
};

/// `base_env` without the variables the runner sets or must not pass down.
std::vector<std::string> CleanEnv(const std::vector<std::string>& base_env);

/// A run id unique on this machine: time, pid and randomness, as hex.
std::string MakeRunUid();

}  // namespace xdist::run

#endif  // XDIST_RUNNER_WORKER_SPACE_H
