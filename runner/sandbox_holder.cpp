#include "sandbox_holder.h"

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace xdist::run {
namespace {

// Every function here may run between fork() or clone() and exec(): system calls only.

int WriteAll(int fd, const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes += written;
    size -= static_cast<size_t>(written);
  }
  return 0;
}

int WriteFile(const char* path, const char* data) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int error = WriteAll(fd, data, std::strlen(data));
  ::close(fd);
  return error;
}

int LoopbackUp() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int error = 0;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    error = errno;
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) error = errno;
  }
  ::close(fd);
  return error;
}

int MakeDir(const char* path, mode_t mode) {
  if (::mkdir(path, mode) != 0 && errno != EEXIST) return errno;
  // mkdir() applies the umask and drops the sticky bit; /tmp needs 1777.
  return ::chmod(path, mode) == 0 ? 0 : errno;
}

int MakeFile(const char* path) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

// Writes "/proc/self/fd/<fd>" into `buffer`.
void FdPath(int fd, char (&buffer)[32]) {
  static constexpr char kPrefix[] = "/proc/self/fd/";
  std::memcpy(buffer, kPrefix, sizeof kPrefix);
  char digits[12];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  char* out = buffer + sizeof kPrefix - 1;
  while (count > 0) *out++ = digits[--count];
  *out = '\0';
}

int BindFd(int fd, const char* target) {
  char source[32];
  FdPath(fd, source);
  return ::mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) == 0 ? 0 : errno;
}

int RunStep(const HolderStep& step, int (&slots)[kMaxHolderSlots]) {
  using Kind = HolderStep::Kind;
  const char* target = step.target.c_str();
  switch (step.kind) {
    case Kind::kUnshare:
      return ::unshare(step.flags) == 0 ? 0 : errno;
    case Kind::kWriteFile:
      return WriteFile(target, step.data.c_str());
    case Kind::kLoopbackUp:
      return LoopbackUp();
    case Kind::kMakePrivate:
      return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 ? 0 : errno;
    case Kind::kOpenPath:
      slots[step.slot] = ::open(target, O_PATH | O_CLOEXEC);
      return slots[step.slot] >= 0 ? 0 : errno;
    case Kind::kMountTmpfs:
      return ::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, step.data.c_str()) == 0
                 ? 0
                 : errno;
    case Kind::kMakeDir:
      return MakeDir(target, step.mode);
    case Kind::kMakeFile:
      return MakeFile(target);
    case Kind::kBindSlot:
      return BindFd(slots[step.slot], target);
    case Kind::kOverlay:
      return ::mount("overlay", target, "overlay", 0, step.data.c_str()) == 0 ? 0 : errno;
  }
  return EINVAL;
}

// Dies with the thread that forked us; if the parent is already gone, exits now.
void DieWithParent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
}

// Tries what the levels need, in throw-away namespaces of this (probe) process.
ProbeReport ProbeKernel(const char* uid_map, const char* gid_map) {
  ProbeReport report;
  auto fail_all = [&](ProbeReport::Operation operation, int error) {
    report.net_error = report.mount_error = report.overlay_error = error;
    report.net_operation = report.mount_operation = operation;
    return report;
  };
  if (::geteuid() != 0) {
    if (::unshare(CLONE_NEWUSER) != 0) return fail_all(ProbeReport::kUserNamespace, errno);
    for (const auto& [path, data] : {std::pair{"/proc/self/setgroups", "deny"},
                                     std::pair{"/proc/self/uid_map", uid_map},
                                     std::pair{"/proc/self/gid_map", gid_map}}) {
      if (const int error = WriteFile(path, data); error != 0) {
        return fail_all(ProbeReport::kUserNamespace, error);
      }
    }
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    report.net_error = errno;
    report.net_operation = ProbeReport::kNetNamespace;
  } else if (const int error = LoopbackUp(); error != 0) {
    report.net_error = error;
    report.net_operation = ProbeReport::kLoopback;
  }
  auto mount_failed = [&](ProbeReport::Operation operation, int error) {
    report.mount_error = report.overlay_error = error;
    report.mount_operation = operation;
    return report;
  };
  if (::unshare(CLONE_NEWNS) != 0) return mount_failed(ProbeReport::kMountNamespace, errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return mount_failed(ProbeReport::kPrivateMounts, errno);
  }
  // Everything below happens on a tmpfs over /tmp in the throw-away namespace.
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
    return mount_failed(ProbeReport::kTmpfs, errno);
  }
  for (const char* dir : {"/tmp/lower", "/tmp/upper", "/tmp/work", "/tmp/merged"}) {
    if (::mkdir(dir, S_IRWXU) != 0) return mount_failed(ProbeReport::kTmpfs, errno);
  }
  if (::mount("/tmp/lower", "/tmp/merged", nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return mount_failed(ProbeReport::kBindMount, errno);
  }
  const char* options =
      ::geteuid() == 0 ? "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work"
                       : "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work,userxattr";
  if (::mount("overlay", "/tmp/merged", "overlay", 0, options) != 0) {
    report.overlay_error = errno;
  }
  return report;
}

}  // namespace

void RunHolder(const HolderPlan& plan, pid_t parent, int report_fd, int release_fd) noexcept {
  DieWithParent(parent);
  HolderReport report;
  int slots[kMaxHolderSlots];
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (const int error = RunStep(plan.steps[i], slots); error != 0) {
      report.failed_step = static_cast<int>(i);
      report.error = error;
      break;
    }
  }
  WriteAll(report_fd, &report, sizeof report);
  if (report.failed_step != HolderReport::kNoFailure) ::_exit(1);
  // The namespaces must live until the parent has opened /proc/<pid>/ns/*; it
  // closes its end of release_fd then.
  char byte;
  while (::read(release_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  ::_exit(0);
}

void RunProbe(int report_fd, const char* uid_map, const char* gid_map) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const ProbeReport report = ProbeKernel(uid_map, gid_map);
  WriteAll(report_fd, &report, sizeof report);
  ::_exit(0);
}

int EnterNamespaces(int user_fd, int mount_fd, int net_fd) noexcept {
  char cwd[PATH_MAX];
  const bool have_cwd = mount_fd >= 0 && ::getcwd(cwd, sizeof cwd) != nullptr;
  if (user_fd >= 0 && ::setns(user_fd, CLONE_NEWUSER) != 0) return errno;
  if (mount_fd >= 0 && ::setns(mount_fd, CLONE_NEWNS) != 0) return errno;
  if (net_fd >= 0 && ::setns(net_fd, CLONE_NEWNET) != 0) return errno;
  // setns(CLONE_NEWNS) moves the working directory to the namespace's root; going
  // back by path resolves through the worker's mounts (the cwd overlay).
  if (have_cwd && ::chdir(cwd) != 0) return errno;
  return 0;
}

}  // namespace xdist::run
