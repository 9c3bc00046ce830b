// Per-worker isolation for xdist-run (`--isolate net,tmp,cwd|all|auto`): every worker
// slot gets its own network namespace (loopback only), its own /tmp, /var/tmp and
// /dev/shm, and a copy-on-write view of the working directory. See docs/isolation.md.
#ifndef XDIST_RUNNER_SANDBOX_H
#define XDIST_RUNNER_SANDBOX_H

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "child_setup.h"
#include "expected.h"

namespace xdist::run {

/// Which parts of a worker's environment are private to it.
struct IsolationLevels {
  bool net = false;  ///< own network namespace, only loopback up
  bool tmp = false;  ///< own /tmp, /var/tmp and /dev/shm
  bool cwd = false;  ///< copy-on-write overlay over the working directory

  bool Any() const { return net || tmp || cwd; }
  friend bool operator==(const IsolationLevels&, const IsolationLevels&) = default;
};

/// "net,tmp,cwd" (only the enabled levels, in that order) or "none".
std::string DescribeIsolation(const IsolationLevels& levels);

/// The argument of `--isolate`.
struct IsolationRequest {
  IsolationLevels levels;  ///< explicit levels; all three for `auto`
  bool automatic = false;  ///< `auto`: use what Probe() finds, warn about the rest
};

/// Parses `net`, `tmp`, `cwd`, a comma-separated list of them, `all` or `auto`.
/// Errors name the offending word and list the accepted ones.
Expected<IsolationRequest> ParseIsolation(std::string_view text);

/// What this machine lets the current user do. For every level that is missing,
/// `*_unavailable` says which operation failed and why; it is empty otherwise.
struct ProbeResult {
  IsolationLevels available;
  std::string net_unavailable;
  std::string tmp_unavailable;
  std::string cwd_unavailable;
};

/// Tries, in a short-lived child process, every kernel feature the levels need
/// (user namespace when not root, network and mount namespaces, bringing up
/// loopback, bind mounts, tmpfs, overlayfs). Takes a few milliseconds.
ProbeResult Probe();

/// The levels a run will use, and what to warn about.
struct ResolvedIsolation {
  IsolationLevels levels;
  std::vector<std::string> warnings;  ///< only for `auto`: one line per level left out
};

/// Checks a request against what the machine supports: for explicit levels, any
/// unavailable one is an error naming it and why (the runner then exits 2); `auto`
/// keeps what is available and warns about the rest.
Expected<ResolvedIsolation> ResolveIsolation(const IsolationRequest& request,
                                                  const ProbeResult& probe);

/// What one worker slot's sandbox is built from.
struct SandboxOptions {
  IsolationLevels levels;
  int slot = 0;  ///< worker index; names the private directory (`sandbox-gw<slot>`)
  /// The run's private directory, shared by the runner and its tests (reports,
  /// TEST_TMPDIR). It stays the real directory inside the sandbox; the worker's
  /// private directory is created in it. Must exist.
  std::filesystem::path run_dir;
  /// The working directory tests run in: overlaid under `cwd`, and kept visible
  /// under `tmp` when it lies in /tmp.
  std::filesystem::path cwd;
  /// Paths tests must still see under `tmp` (test binaries, the build tree, data).
  /// For each one inside /tmp, /var/tmp or /dev/shm, its top-level entry there
  /// (`/tmp/ci-checkout` for `/tmp/ci-checkout/build/foo_test`) is bound back into
  /// the private directory at the same path. Paths that do not exist are ignored.
  std::vector<std::filesystem::path> visible_paths;
  /// Keep the private /tmp and the overlay's writes on disk after the run (in the
  /// private directory) instead of on a tmpfs that vanishes with the sandbox.
  bool keep = false;
};

/// `options.levels` without the levels this layout rules out (the working directory is `/`
/// or `/tmp` itself, ...), with a warning for each: what `--isolate auto` runs with.
IsolationLevels LeaveOutImpossibleLevels(const SandboxOptions& options,
                                         std::vector<std::string>& warnings);

/// The namespaces of one worker slot. Create() forks a short-lived holder process
/// that unshares the namespaces (and, when not root, a user namespace mapping the
/// user's own uid and gid), sets up loopback and the mounts, and exits once the
/// runner holds the namespaces open by file descriptor. Test processes then enter
/// them in ChildSetup::EnterInChild(): two or three setns() calls, no process
/// creation. Mounts exist only in the worker's mount namespace, so they vanish
/// with its last process and descriptor, also when the runner is killed.
class WorkerSandbox {
 public:
  /// Builds the sandbox. Errors name the level, the operation and the reason.
  /// Must be called from a thread that lives as long as the run: the holder is
  /// killed (PR_SET_PDEATHSIG) when the thread that forked it ends.
  static Expected<std::unique_ptr<WorkerSandbox>> Create(const SandboxOptions& options);

  WorkerSandbox(const WorkerSandbox&) = delete;
  WorkerSandbox& operator=(const WorkerSandbox&) = delete;
  /// Closes the namespaces and removes the private directory unless `keep` was set.
  ~WorkerSandbox();

  /// What a test process of this slot runs between its creation and exec. With
  /// `needs_network` (XDIST_NEEDS_NETWORK), the process stays in the host's network
  /// namespace but still gets the private /tmp and working directory. The setup
  /// also makes the test process die with the thread that created it
  /// (PR_SET_PDEATHSIG), so a killed runner leaves no process in the namespaces.
  const ChildSetup& Setup(bool needs_network) const;

  const IsolationLevels& levels() const { return levels_; }
  /// `<run_dir>/sandbox-gw<slot>`: with `keep`, holds `tmp/`, `var-tmp/`, `shm/`
  /// (the private directories) and `upper/` (what tests wrote to the working directory).
  const std::filesystem::path& private_dir() const { return private_dir_; }

 private:
  class Entry;
  WorkerSandbox(IsolationLevels levels, std::filesystem::path private_dir, bool keep);

  IsolationLevels levels_;
  std::filesystem::path private_dir_;
  bool keep_;
  int user_fd_ = -1;
  int mount_fd_ = -1;
  int net_fd_ = -1;
  std::unique_ptr<Entry> isolated_;
  std::unique_ptr<Entry> on_host_network_;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SANDBOX_H
