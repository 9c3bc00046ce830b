#include "sandbox_plan.h"

#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace xdist::run {
namespace {

namespace fs = std::filesystem;

// True when `path` lies strictly below `dir` (both canonical).
bool IsStrictlyInside(const fs::path& path, const fs::path& dir) {
  auto [dir_end, path_it] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return dir_end == dir.end() && path_it != path.end();
}

bool IsInsideOrEqual(const fs::path& path, const fs::path& dir) {
  return path == dir || IsStrictlyInside(path, dir);
}

// `dir/<first component of path below dir>`.
fs::path TopLevelEntry(const fs::path& path, const fs::path& dir) {
  auto it = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d) ++it;
  return dir / *it;
}

// A path the holder binds back: the original, opened before anything is masked.
struct BindBack {
  fs::path path;
  bool is_file = false;
  int slot = -1;
};

HolderStep Step(HolderStep::Kind kind, std::string level, std::string target) {
  HolderStep step{};
  step.kind = kind;
  step.level = std::move(level);
  step.target = std::move(target);
  return step;
}

}  // namespace

std::string EscapeOverlayPath(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (const char c : path) {
    if (c == ',' || c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string CwdLayoutProblem(const PlanInput& input) {
  if (input.cwd == input.cwd.root_path()) {
    return "cwd: the working directory is " + input.cwd.string() +
           "; overlaying the whole file system is not supported, run from a project directory";
  }
  if (IsInsideOrEqual(input.cwd, input.run_dir)) {
    return "cwd: the working directory " + input.cwd.string() + " lies inside the run directory " +
           input.run_dir.string();
  }
  return {};
}

std::string TmpLayoutProblem(const PlanInput& input) {
  for (const auto& [target, name] : input.tmp_targets) {
    const auto masked = [&](const fs::path& path, const std::string& what) -> std::string {
      if (path != target) return {};
      return "tmp: " + what + " is " + target.string() +
             " itself, which tmp isolation replaces; use a directory inside it";
    };
    std::string problem = masked(input.run_dir, "the run directory");
    if (problem.empty()) problem = masked(input.cwd, "the working directory");
    for (size_t i = 0; problem.empty() && i < input.visible_paths.size(); ++i) {
      problem = masked(input.visible_paths[i], "visible path " + input.visible_paths[i].string());
    }
    if (!problem.empty()) return problem;
  }
  return {};
}

Expected<HolderPlan> BuildHolderPlan(const PlanInput& input) {
  using Kind = HolderStep::Kind;
  const IsolationLevels& levels = input.levels;
  if (!levels.Any()) return Error{"no isolation level requested"};

  HolderPlan plan;
  auto unshare = [&](int flag, const std::string& level, const char* what) {
    HolderStep step = Step(Kind::kUnshare, level, what);
    step.flags = flag;
    plan.steps.push_back(std::move(step));
  };
  if (input.uid != 0) {
    // Unprivileged: a user namespace in which we keep our own uid and gid, so files
    // keep their owner. gid_map may only be written after setgroups is denied. The
    // namespaces created after it belong to it.
    const std::string all = DescribeIsolation(levels);
    unshare(CLONE_NEWUSER, all, "user");
    HolderStep setgroups = Step(Kind::kWriteFile, all, "/proc/self/setgroups");
    setgroups.data = "deny";
    HolderStep uid_map = Step(Kind::kWriteFile, all, "/proc/self/uid_map");
    uid_map.data = std::to_string(input.uid) + " " + std::to_string(input.uid) + " 1\n";
    HolderStep gid_map = Step(Kind::kWriteFile, all, "/proc/self/gid_map");
    gid_map.data = std::to_string(input.gid) + " " + std::to_string(input.gid) + " 1\n";
    plan.steps.push_back(std::move(setgroups));
    plan.steps.push_back(std::move(uid_map));
    plan.steps.push_back(std::move(gid_map));
  }
  if (levels.net) {
    unshare(CLONE_NEWNET, "net", "network");
    plan.steps.push_back(Step(Kind::kLoopbackUp, "net", "lo"));
  }
  if (!levels.tmp && !levels.cwd) return plan;

  const fs::path& cwd = input.cwd;
  if (levels.cwd) {
    if (std::string problem = CwdLayoutProblem(input); !problem.empty()) return Error{problem};
  }
  if (levels.tmp) {
    if (std::string problem = TmpLayoutProblem(input); !problem.empty()) return Error{problem};
  }

  // Under `tmp`, the top-level entries of the masked directories that hold the run
  // directory, the working directory or a visible path are bound back, originals.
  std::vector<std::vector<BindBack>> tmp_binds(input.tmp_targets.size());
  if (levels.tmp) {
    for (size_t t = 0; t < input.tmp_targets.size(); ++t) {
      const fs::path& target = input.tmp_targets[t].first;
      auto keep_visible = [&](const fs::path& path, bool is_file) {
        if (!IsStrictlyInside(path, target)) return;
        const fs::path entry = TopLevelEntry(path, target);
        auto& binds = tmp_binds[t];
        if (std::none_of(binds.begin(), binds.end(),
                         [&](const BindBack& b) { return b.path == entry; })) {
          binds.push_back(BindBack{entry, is_file && entry == path});
        }
      };
      keep_visible(input.run_dir, false);
      keep_visible(cwd, false);
      for (size_t i = 0; i < input.visible_paths.size(); ++i) {
        keep_visible(input.visible_paths[i],
                     i < input.visible_is_file.size() && input.visible_is_file[i]);
      }
    }
  }
  // Under `cwd`, the run directory stays the real one when it lies in the working
  // directory: the runner reads the tests' reports from it.
  std::vector<BindBack> cwd_binds;
  if (levels.cwd && IsStrictlyInside(input.run_dir, cwd)) {
    cwd_binds.push_back(BindBack{input.run_dir, false});
  }

  const std::string mount_level = DescribeIsolation({false, levels.tmp, levels.cwd});
  unshare(CLONE_NEWNS, mount_level, "mount");
  plan.steps.push_back(Step(Kind::kMakePrivate, mount_level, "/"));

  auto open_slot = [&](const fs::path& path, const std::string& level) {
    const int slot = plan.slot_count++;
    HolderStep open = Step(Kind::kOpenPath, level, path.string());
    open.slot = slot;
    plan.steps.push_back(std::move(open));
    return slot;
  };
  for (auto& binds : tmp_binds) {
    for (BindBack& bind : binds) bind.slot = open_slot(bind.path, "tmp");
  }
  for (BindBack& bind : cwd_binds) bind.slot = open_slot(bind.path, "cwd");

  const fs::path& private_dir = input.private_dir;
  if (!input.keep) {
    HolderStep tmpfs = Step(Kind::kMountTmpfs, mount_level, private_dir.string());
    tmpfs.data = "mode=0755";
    plan.steps.push_back(std::move(tmpfs));
  }
  auto make_dir = [&](const fs::path& path, mode_t mode, const std::string& level) {
    HolderStep dir = Step(Kind::kMakeDir, level, path.string());
    dir.mode = mode;
    plan.steps.push_back(std::move(dir));
  };
  std::vector<int> replacement_slots;
  if (levels.tmp) {
    for (size_t t = 0; t < input.tmp_targets.size(); ++t) {
      const fs::path replacement = private_dir / input.tmp_targets[t].second;
      make_dir(replacement, S_IRWXU | S_IRWXG | S_IRWXO | S_ISVTX, "tmp");
      for (const BindBack& bind : tmp_binds[t]) {
        const fs::path mount_point = replacement / bind.path.filename();
        if (bind.is_file) {
          plan.steps.push_back(Step(Kind::kMakeFile, "tmp", mount_point.string()));
        } else {
          make_dir(mount_point, S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH, "tmp");
        }
      }
      replacement_slots.push_back(open_slot(replacement, "tmp"));
    }
  }
  if (levels.cwd) {
    make_dir(private_dir / "upper", S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH, "cwd");
    make_dir(private_dir / "work", S_IRWXU, "cwd");
  }

  auto bind_slot = [&](int slot, const fs::path& target, const std::string& level) {
    HolderStep bind = Step(Kind::kBindSlot, level, target.string());
    bind.slot = slot;
    plan.steps.push_back(std::move(bind));
  };
  if (levels.tmp) {
    for (size_t t = 0; t < input.tmp_targets.size(); ++t) {
      bind_slot(replacement_slots[t], input.tmp_targets[t].first, "tmp");
      for (const BindBack& bind : tmp_binds[t]) bind_slot(bind.slot, bind.path, "tmp");
    }
  }
  if (plan.slot_count > kMaxHolderSlots) {
    return Error{"tmp: more than " + std::to_string(kMaxHolderSlots) +
                        " top-level entries of /tmp, /var/tmp and /dev/shm must stay visible"};
  }
  if (levels.cwd) {
    HolderStep overlay = Step(Kind::kOverlay, "cwd", cwd.string());
    overlay.data = "lowerdir=" + EscapeOverlayPath(cwd.string()) +
                   ",upperdir=" + EscapeOverlayPath((private_dir / "upper").string()) +
                   ",workdir=" + EscapeOverlayPath((private_dir / "work").string());
    // In a user namespace overlayfs cannot use trusted.* xattrs.
    if (input.uid != 0) overlay.data += ",userxattr";
    plan.steps.push_back(std::move(overlay));
    for (const BindBack& bind : cwd_binds) bind_slot(bind.slot, bind.path, "cwd");
  }
  return plan;
}

std::string DescribeStep(const HolderStep& step) {
  using Kind = HolderStep::Kind;
  switch (step.kind) {
    case Kind::kUnshare: return "creating a " + step.target + " namespace";
    case Kind::kWriteFile: return "writing '" + step.data + "' to " + step.target;
    case Kind::kLoopbackUp: return "bringing up the loopback interface";
    case Kind::kMakePrivate: return "making all mounts private (MS_REC|MS_PRIVATE on /)";
    case Kind::kOpenPath: return "opening " + step.target;
    case Kind::kMountTmpfs: return "mounting a tmpfs on " + step.target;
    case Kind::kMakeDir: return "creating the directory " + step.target;
    case Kind::kMakeFile: return "creating the mount point " + step.target;
    case Kind::kBindSlot: return "bind-mounting onto " + step.target;
    case Kind::kOverlay: return "mounting overlayfs on " + step.target + " (" + step.data + ")";
  }
  return "step";
}

}  // namespace xdist::run
