// The child-process side of worker isolation: the holder that creates a worker's
// namespaces and mounts, the probe that tests what the kernel allows, and entering
// the namespaces in a test process. Everything here runs between fork() (the holder) or
// clone() (a test process, sharing the runner's memory) and exec() or _exit() in a child
// of a possibly multi-threaded runner, so it only makes system calls: no allocation, no
// locks, no stdio.
#ifndef XDIST_RUNNER_SANDBOX_HOLDER_H
#define XDIST_RUNNER_SANDBOX_HOLDER_H

#include <sys/types.h>

#include <cstdint>

#include "sandbox_plan.h"

namespace xdist::run {

/// What the holder sends back once: all steps done, or the first one that failed.
struct HolderReport {
  static constexpr int kNoFailure = -1;
  int failed_step = kNoFailure;  ///< index into HolderPlan::steps, or kNoFailure
  int error = 0;                 ///< errno of the failure
};

/// The holder, in the freshly forked child. Dies with the thread that forked it
/// (PR_SET_PDEATHSIG), runs the plan's steps, writes one
/// HolderReport to `report_fd`, then waits for EOF on `release_fd` (the parent has
/// opened /proc/<pid>/ns/* by then) and exits. Never returns.
[[noreturn]] void RunHolder(const HolderPlan& plan, pid_t parent, int report_fd,
                            int release_fd) noexcept;

/// What the probe found: errno of the first failing operation per area, 0 if fine.
struct ProbeReport {
  enum Operation : std::uint8_t {
    kNone,
    kUserNamespace,   ///< unshare(CLONE_NEWUSER) or writing its id maps
    kNetNamespace,    ///< unshare(CLONE_NEWNET)
    kLoopback,        ///< bringing up lo
    kMountNamespace,  ///< unshare(CLONE_NEWNS)
    kPrivateMounts,   ///< MS_REC|MS_PRIVATE on /
    kTmpfs,           ///< mounting a tmpfs
    kBindMount,       ///< a recursive bind mount
    kOverlay,         ///< mounting overlayfs
  };
  int net_error = 0;
  Operation net_operation = kNone;
  int mount_error = 0;
  Operation mount_operation = kNone;
  int overlay_error = 0;
};

/// The probe, in the freshly forked child: tries everything the levels need inside
/// throw-away namespaces, writes one ProbeReport to `report_fd` and exits.
/// `uid_map` and `gid_map` are the maps to write when not root ("1000 1000 1\n").
[[noreturn]] void RunProbe(int report_fd, const char* uid_map, const char* gid_map) noexcept;

/// Enters namespaces by descriptor (-1 = leave that one alone), in the order user,
/// mount, network, then changes back into the working directory by path so that
/// it resolves in the new mount namespace. Returns 0 or errno.
int EnterNamespaces(int user_fd, int mount_fd, int net_fd) noexcept;

}  // namespace xdist::run

#endif  // XDIST_RUNNER_SANDBOX_HOLDER_H
