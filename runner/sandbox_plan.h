// The holder's recipe: which namespaces to create and which mounts to make, as a
// list of plain steps computed up front. Computing it is pure logic (unit-tested
// without namespaces); executing it (sandbox_holder.h) is a loop of system calls
// that is safe in a child forked from a multi-threaded runner.
#ifndef XDIST_RUNNER_SANDBOX_PLAN_H
#define XDIST_RUNNER_SANDBOX_PLAN_H

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sandbox.h"

namespace xdist::run {

/// One system-call-sized step of the holder.
struct HolderStep {
  enum class Kind : std::uint8_t {
    kUnshare,     ///< unshare(`flags`): one new namespace
    kWriteFile,   ///< write `data` to the existing file `target` (uid_map, ...)
    kLoopbackUp,  ///< set IFF_UP on `lo`
    kMakePrivate, ///< mount(NULL, "/", NULL, MS_REC|MS_PRIVATE): nothing propagates out
    kOpenPath,    ///< open `target` O_PATH into descriptor slot `slot` (before masking it)
    kMountTmpfs,  ///< mount a fresh tmpfs on `target`
    kMakeDir,     ///< mkdir `target` with `mode` (an existing directory is fine), then chmod
    kMakeFile,    ///< create an empty file `target` (a mount point for a file)
    kBindSlot,    ///< bind what descriptor slot `slot` opened (recursively) on `target`
    kOverlay,     ///< mount overlayfs on `target` with options `data`
  };
  Kind kind;
  std::string target;
  std::string data;
  int slot = -1;
  mode_t mode = 0;
  int flags = 0;  ///< kUnshare: the CLONE_NEW* flag
  /// The level(s) this step serves ("net", "tmp,cwd", ...), for errors.
  std::string level;
};

/// Everything BuildHolderPlan() needs, already resolved to canonical paths.
struct PlanInput {
  IsolationLevels levels;
  uid_t uid = 0;  ///< effective uid; non-zero means a user namespace is needed
  gid_t gid = 0;
  std::filesystem::path private_dir;  ///< `<run_dir>/sandbox-gw<slot>`, exists
  std::filesystem::path run_dir;
  std::filesystem::path cwd;
  std::vector<std::filesystem::path> visible_paths;  ///< existing ones only
  /// Which visible paths are regular files (same order as visible_paths); a file is
  /// bound back as a file, a directory's top-level entry as a directory.
  std::vector<bool> visible_is_file;
  /// The directories `tmp` makes private, canonical and existing (normally /tmp,
  /// /var/tmp, /dev/shm), each with the name of its replacement in private_dir.
  std::vector<std::pair<std::filesystem::path, std::string>> tmp_targets;
  bool keep = false;
};

struct HolderPlan {
  std::vector<HolderStep> steps;
  int slot_count = 0;     ///< descriptor slots kOpenPath fills
};

/// The most descriptors a plan may open (kOpenPath), so the holder needs no allocation.
inline constexpr int kMaxHolderSlots = 64;

/// Why this layout rules out `cwd` (the working directory is `/` or lies in the run
/// directory), or "" when it does not.
std::string CwdLayoutProblem(const PlanInput& input);
/// Why this layout rules out `tmp` (the working directory, the run directory or a visible
/// path is one of the masked directories itself), or "" when it does not.
std::string TmpLayoutProblem(const PlanInput& input);

/// Computes the plan, or an error when the layout cannot be isolated as asked (one of
/// the problems above).
Expected<HolderPlan> BuildHolderPlan(const PlanInput& input);

/// What a step does, for error messages ("mounting overlayfs on /src (...)").
std::string DescribeStep(const HolderStep& step);

/// Escapes a path for overlayfs' mount options, where ',', ':' and '\' are special.
std::string EscapeOverlayPath(const std::string& path);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SANDBOX_PLAN_H
