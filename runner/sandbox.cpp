#include "sandbox.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "sandbox_holder.h"
#include "sandbox_plan.h"

namespace xdist::run {
namespace {

namespace fs = std::filesystem;

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// Reads exactly `size` bytes; false on EOF or error.
bool ReadAll(int fd, void* data, size_t size) {
  char* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t got = ::read(fd, bytes, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

void WaitFor(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string ReadFirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Why creating a namespace failed, with the knobs that usually explain it.
std::string NamespaceHint(int error) {
  if (error != EPERM && error != ENOSPC && error != EINVAL && error != EACCES) return {};
  std::string hint;
  if (::geteuid() != 0) {
    hint = "; as a normal user this needs unprivileged user namespaces";
    const std::string max = ReadFirstLine("/proc/sys/user/max_user_namespaces");
    if (!max.empty()) hint += " (user.max_user_namespaces = " + max + ")";
    const std::string clone = ReadFirstLine("/proc/sys/kernel/unprivileged_userns_clone");
    if (clone == "0") hint += " (kernel.unprivileged_userns_clone = 0)";
    const std::string apparmor =
        ReadFirstLine("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    if (apparmor == "1") hint += " (kernel.apparmor_restrict_unprivileged_userns = 1)";
  } else {
    hint = "; a container or seccomp profile may forbid it (needs CAP_SYS_ADMIN)";
  }
  return hint;
}

std::string ProbeFailure(ProbeReport::Operation operation, int error) {
  std::string what;
  switch (operation) {
    case ProbeReport::kNone: return {};
    case ProbeReport::kUserNamespace: what = "creating a user namespace"; break;
    case ProbeReport::kNetNamespace: what = "creating a network namespace"; break;
    case ProbeReport::kLoopback: what = "bringing up loopback in a new network namespace"; break;
    case ProbeReport::kMountNamespace: what = "creating a mount namespace"; break;
    case ProbeReport::kPrivateMounts: what = "making mounts private in a new mount namespace"; break;
    case ProbeReport::kTmpfs: what = "mounting a tmpfs in a new mount namespace"; break;
    case ProbeReport::kBindMount: what = "bind-mounting in a new mount namespace"; break;
    case ProbeReport::kOverlay: what = "mounting overlayfs in a new mount namespace"; break;
  }
  std::string text = what + " failed: " + ErrnoText(error);
  const bool creates_namespace = operation == ProbeReport::kUserNamespace ||
                                 operation == ProbeReport::kNetNamespace ||
                                 operation == ProbeReport::kMountNamespace;
  if (creates_namespace) text += NamespaceHint(error);
  return text;
}

std::string OverlayHint(int error) {
  if (error == ENODEV) return " (the kernel has no overlayfs: modprobe overlay)";
  if (error == EPERM || error == EINVAL) {
    return ::geteuid() == 0 ? ""
                            : " (overlayfs in a user namespace needs Linux 5.11 or newer)";
  }
  return {};
}

}  // namespace

std::string DescribeIsolation(const IsolationLevels& levels) {
  std::string text;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!text.empty()) text += ',';
    text += name;
  };
  add(levels.net, "net");
  add(levels.tmp, "tmp");
  add(levels.cwd, "cwd");
  return text.empty() ? "none" : text;
}

Expected<IsolationRequest> ParseIsolation(std::string_view text) {
  static constexpr const char* kAccepted = "net, tmp, cwd, a comma-separated list of them, all or auto";
  IsolationRequest request;
  if (text == "all" || text == "auto") {
    request.levels = IsolationLevels{true, true, true};
    request.automatic = text == "auto";
    return request;
  }
  if (text.empty()) return Error{std::string("--isolate needs a value: ") + kAccepted};
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    if (word == "net") {
      request.levels.net = true;
    } else if (word == "tmp") {
      request.levels.tmp = true;
    } else if (word == "cwd") {
      request.levels.cwd = true;
    } else {
      return Error{"--isolate: unknown level '" + std::string(word) +
                          "'; expected " + kAccepted};
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return request;
}

ProbeResult Probe() {
  ProbeResult result;
  const std::string uid_map =
      std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
  const std::string gid_map =
      std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    const std::string why = "creating a pipe failed: " + ErrnoText(errno);
    result.net_unavailable = result.tmp_unavailable = result.cwd_unavailable = why;
    return result;
  }
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(report_pipe[0]);
    if (::getppid() != parent) ::_exit(1);
    RunProbe(report_pipe[1], uid_map.c_str(), gid_map.c_str());
  }
  ::close(report_pipe[1]);
  ProbeReport report;
  bool complete = false;
  if (child < 0) {
    report.net_error = report.mount_error = report.overlay_error = errno;
  } else {
    complete = ReadAll(report_pipe[0], &report, sizeof report);
    WaitFor(child);
  }
  ::close(report_pipe[0]);
  if (child < 0 || !complete) {
    const std::string why = child < 0 ? "fork failed: " + ErrnoText(report.net_error)
                                      : "the probe process died before reporting";
    result.net_unavailable = result.tmp_unavailable = result.cwd_unavailable = why;
    return result;
  }
  result.available.net = report.net_error == 0;
  result.net_unavailable = ProbeFailure(report.net_operation, report.net_error);
  result.available.tmp = report.mount_error == 0;
  result.tmp_unavailable = ProbeFailure(report.mount_operation, report.mount_error);
  if (report.mount_error != 0) {
    result.cwd_unavailable = result.tmp_unavailable;
  } else if (report.overlay_error != 0) {
    result.cwd_unavailable = ProbeFailure(ProbeReport::kOverlay, report.overlay_error) +
                             OverlayHint(report.overlay_error);
  }
  result.available.cwd = report.mount_error == 0 && report.overlay_error == 0;
  return result;
}

Expected<ResolvedIsolation> ResolveIsolation(const IsolationRequest& request,
                                                  const ProbeResult& probe) {
  ResolvedIsolation resolved;
  const std::array<std::tuple<const char*, bool, bool, const std::string*>, 3> levels{{
      {"net", request.levels.net, probe.available.net, &probe.net_unavailable},
      {"tmp", request.levels.tmp, probe.available.tmp, &probe.tmp_unavailable},
      {"cwd", request.levels.cwd, probe.available.cwd, &probe.cwd_unavailable},
  }};
  std::string errors;
  for (const auto& [name, wanted, available, why] : levels) {
    if (!wanted) continue;
    if (available) {
      if (name == std::string_view("net")) resolved.levels.net = true;
      if (name == std::string_view("tmp")) resolved.levels.tmp = true;
      if (name == std::string_view("cwd")) resolved.levels.cwd = true;
      continue;
    }
    const std::string line = std::string("--isolate ") + name + " is unavailable: " + *why;
    if (request.automatic) {
      resolved.warnings.push_back(line);
    } else {
      errors += (errors.empty() ? "" : "\n") + line;
    }
  }
  if (!errors.empty()) return Error{errors};
  return resolved;
}

/// A test process's way into the worker's namespaces.
class WorkerSandbox::Entry final : public ChildSetup {
 public:
  Entry(pid_t runner, int user_fd, int mount_fd, int net_fd)
      : runner_(runner), user_fd_(user_fd), mount_fd_(mount_fd), net_fd_(net_fd) {}

  int EnterInChild() const noexcept override {
    // A test process that outlived a killed runner would keep the namespaces alive.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
    if (::getppid() != runner_) return ESRCH;
    return EnterNamespaces(user_fd_, mount_fd_, net_fd_);
  }

 private:
  pid_t runner_;
  int user_fd_;
  int mount_fd_;
  int net_fd_;
};

WorkerSandbox::WorkerSandbox(IsolationLevels levels, fs::path private_dir, bool keep)
    : levels_(levels), private_dir_(std::move(private_dir)), keep_(keep) {}

WorkerSandbox::~WorkerSandbox() {
  for (const int fd : {user_fd_, mount_fd_, net_fd_}) {
    if (fd >= 0) ::close(fd);
  }
  if (!keep_) {
    std::error_code ignored;
    fs::remove_all(private_dir_, ignored);
  }
}

const ChildSetup& WorkerSandbox::Setup(bool needs_network) const {
  return needs_network ? *on_host_network_ : *isolated_;
}

namespace {

// The layout as the plan sees it: canonical paths, and the directories `tmp` masks.
Expected<PlanInput> MakePlanInput(const SandboxOptions& options) {
  PlanInput input;
  input.levels = options.levels;
  input.uid = ::geteuid();
  input.gid = ::getegid();
  input.keep = options.keep;
  std::error_code error;
  input.run_dir = fs::canonical(options.run_dir, error);
  if (error) {
    return Error{"the run directory " + options.run_dir.string() + ": " + error.message()};
  }
  input.cwd = fs::canonical(options.cwd, error);
  if (error) {
    return Error{"the working directory " + options.cwd.string() + ": " + error.message()};
  }
  for (const fs::path& path : options.visible_paths) {
    fs::path resolved = fs::canonical(path, error);
    if (error) continue;
    input.visible_is_file.push_back(fs::is_regular_file(resolved, error));
    input.visible_paths.push_back(std::move(resolved));
  }
  for (const auto& [path, name] : {std::pair{"/tmp", "tmp"}, std::pair{"/var/tmp", "var-tmp"},
                                   std::pair{"/dev/shm", "shm"}}) {
    fs::path resolved = fs::canonical(path, error);
    if (error || !fs::is_directory(resolved, error)) continue;
    bool seen = false;
    for (const auto& target : input.tmp_targets) seen = seen || target.first == resolved;
    if (!seen) input.tmp_targets.emplace_back(std::move(resolved), name);
  }
  input.private_dir = input.run_dir / ("sandbox-gw" + std::to_string(options.slot));
  return input;
}

}  // namespace

IsolationLevels LeaveOutImpossibleLevels(const SandboxOptions& options,
                                         std::vector<std::string>& warnings) {
  IsolationLevels levels = options.levels;
  const Expected<PlanInput> input = MakePlanInput(options);
  if (!input) return levels;  // Create() reports it
  if (levels.cwd) {
    if (const std::string problem = CwdLayoutProblem(*input); !problem.empty()) {
      warnings.push_back("--isolate " + problem + "; running without cwd isolation");
      levels.cwd = false;
    }
  }
  if (levels.tmp) {
    if (const std::string problem = TmpLayoutProblem(*input); !problem.empty()) {
      warnings.push_back("--isolate " + problem + "; running without tmp isolation");
      levels.tmp = false;
    }
  }
  return levels;
}

Expected<std::unique_ptr<WorkerSandbox>> WorkerSandbox::Create(
    const SandboxOptions& options) {
  const IsolationLevels& levels = options.levels;
  if (!levels.Any()) return Error{"no isolation level requested"};
  Expected<PlanInput> made = MakePlanInput(options);
  if (!made) return made.error();
  const PlanInput& input = *made;
  std::error_code error;
  Expected<HolderPlan> plan = BuildHolderPlan(input);
  if (!plan) return Error{"--isolate " + plan.error().message};

  fs::create_directories(input.private_dir, error);
  if (error) {
    return Error{"--isolate: creating " + input.private_dir.string() + ": " +
                        error.message()};
  }
  // From here on the destructor removes the private directory on every path.
  std::unique_ptr<WorkerSandbox> sandbox(
      new WorkerSandbox(levels, input.private_dir, options.keep));

  int report_pipe[2];
  int release_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
    return Error{"--isolate: pipe: " + ErrnoText(errno)};
  }
  if (::pipe2(release_pipe, O_CLOEXEC) != 0) {
    const int pipe_error = errno;
    ::close(report_pipe[0]);
    ::close(report_pipe[1]);
    return Error{"--isolate: pipe: " + ErrnoText(pipe_error)};
  }
  const pid_t runner = ::getpid();
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::close(report_pipe[0]);
    ::close(release_pipe[1]);
    RunHolder(*plan, runner, report_pipe[1], release_pipe[0]);
  }
  const int fork_error = errno;
  ::close(report_pipe[1]);
  ::close(release_pipe[0]);
  if (holder < 0) {
    ::close(report_pipe[0]);
    ::close(release_pipe[1]);
    return Error{"--isolate: fork: " + ErrnoText(fork_error)};
  }
  HolderReport report;
  const bool reported = ReadAll(report_pipe[0], &report, sizeof report);
  ::close(report_pipe[0]);
  std::string failure;
  if (!reported) {
    failure = "the setup process for worker gw" + std::to_string(options.slot) +
              " died before reporting";
  } else if (report.failed_step != HolderReport::kNoFailure) {
    const HolderStep& step = plan->steps[static_cast<size_t>(report.failed_step)];
    failure = step.level + ": " + DescribeStep(step) + " for worker gw" +
              std::to_string(options.slot) + " failed: " + ErrnoText(report.error);
    if (step.kind == HolderStep::Kind::kUnshare) failure += NamespaceHint(report.error);
    if (step.kind == HolderStep::Kind::kOverlay) failure += OverlayHint(report.error);
  } else {
    const std::string ns_dir = "/proc/" + std::to_string(holder) + "/ns/";
    auto open_ns = [&](bool wanted, const char* name, int& fd) {
      if (!wanted || !failure.empty()) return;
      fd = ::open((ns_dir + name).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) failure = "opening " + ns_dir + name + ": " + ErrnoText(errno);
    };
    open_ns(input.uid != 0, "user", sandbox->user_fd_);
    open_ns(levels.tmp || levels.cwd, "mnt", sandbox->mount_fd_);
    open_ns(levels.net, "net", sandbox->net_fd_);
  }
  ::close(release_pipe[1]);
  WaitFor(holder);
  if (!failure.empty()) return Error{"--isolate " + failure};

  sandbox->isolated_ = std::make_unique<Entry>(runner, sandbox->user_fd_,
                                               sandbox->mount_fd_, sandbox->net_fd_);
  // Without a mount namespace there is nothing left to enter for such a test.
  sandbox->on_host_network_ = std::make_unique<Entry>(
      runner, sandbox->mount_fd_ >= 0 ? sandbox->user_fd_ : -1, sandbox->mount_fd_, -1);
  return sandbox;
}

}  // namespace xdist::run
