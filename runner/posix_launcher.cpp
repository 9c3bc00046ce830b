#include "posix_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xdist::run {

namespace {

volatile sig_atomic_t g_interrupted = 0;
volatile sig_atomic_t g_child_exited = 0;

void OnInterrupt(int /*signal*/) { g_interrupted = 1; }
// Ends ppoll(); waitpid() then finds out which child exited. Without the flag, every wake-up
// for output (a line per test) would cost a waitpid() per child.
void OnChildExit(int /*signal*/) { g_child_exited = 1; }

// What the child reports when it fails before exec. The child shares the parent's memory
// (CLONE_VM) and the parent sleeps until the child has exec'd or exited (CLONE_VFORK), so
// the child writes its report straight into the parent's SpawnArgs.
struct StartReport {
  int stage = 0;
  int error = 0;
};
enum Stage : std::uint8_t { kStdin = 1, kChildSetup = 2, kExec = 3 };

struct SpawnArgs {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  int output_fd = -1;
  const ChildSetup* setup = nullptr;
  const sigset_t* mask = nullptr;  ///< the signal mask the test process starts with
  StartReport report;
};

[[noreturn]] void FailInChild(SpawnArgs& args, int stage, int error) {
  args.report = StartReport{stage, error};
  ::_exit(127);
}

// The child between clone and exec. It runs on the parent's memory, so it calls only
// async-signal-safe functions and changes nothing but its own report.
int SpawnedChild(void* raw) {
  SpawnArgs& args = *static_cast<SpawnArgs*>(raw);
  ::setpgid(0, 0);
  // The signal handlers are the runner's (and would write its memory); the test gets none.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGQUIT, SIGHUP}) {
    ::sigaction(signal, &default_action, nullptr);
  }
  ::sigprocmask(SIG_SETMASK, args.mask, nullptr);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(args.output_fd, 1) < 0 ||
      ::dup2(args.output_fd, 2) < 0) {
    FailInChild(args, kStdin, errno);
  }
  if (args.setup != nullptr) {
    const int error = args.setup->EnterInChild();
    if (error != 0) FailInChild(args, kChildSetup, error);
  }
  ::execve(args.argv[0], args.argv, args.envp);
  FailInChild(args, kExec, errno);
}

void InstallHandler(int signal, void (*handler)(int), struct sigaction* old) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  ::sigaction(signal, &action, old);
}

// The output budget of one process per Wait(): a flooding child is read in slices, so
// the other children and the timers keep being served.
constexpr std::size_t kReadBudget = 1 << 20;
// After the child exits, what is still in the pipe is read up to this much; more can only
// come from a grandchild that keeps writing, which is killed.
constexpr std::size_t kDrainBudget = 16 << 20;
// GoogleTest flushes a line when each test starts and ends; waking up for every line of
// every worker would cost the runner more CPU than short tests take. After a read, the
// pipes are looked at again only after this pause (exits still wake the runner at once).
constexpr Duration kOutputPause = std::chrono::milliseconds(50);
// A read this big means a child writes faster than the pause allows: it is read at once.
constexpr std::size_t kFloodRead = 64 << 10;
// The pipe holds this much while the runner pauses, so a chatty test rarely blocks.
constexpr int kPipeSize = 1 << 20;
// The child's stack between clone and exec (EnterInChild() keeps a path on it).
constexpr std::size_t kSpawnStackSize = 256 << 10;

}  // namespace

PosixLauncher::PosixLauncher(Duration grace) : grace_(grace) {
  g_interrupted = 0;
  g_child_exited = 0;
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &blocked, &old_mask_);
  InstallHandler(SIGINT, OnInterrupt, &old_int_);
  InstallHandler(SIGTERM, OnInterrupt, &old_term_);
  InstallHandler(SIGCHLD, OnChildExit, &old_chld_);
  void* stack = ::mmap(nullptr, kSpawnStackSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  spawn_stack_ = stack == MAP_FAILED ? nullptr : static_cast<char*>(stack);
}

PosixLauncher::~PosixLauncher() {
  for (auto& [id, child] : children_) {
    ::kill(-child.pid, SIGKILL);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (child.fd >= 0) ::close(child.fd);
  }
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGCHLD, &old_chld_, nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  if (spawn_stack_ != nullptr) ::munmap(spawn_stack_, kSpawnStackSize);
}

bool PosixLauncher::Interrupted() const { return g_interrupted != 0; }

ProcessId PosixLauncher::Start(const ProcessSpec& spec) {
  const ProcessId id = next_id_++;
  const auto fail = [&](const std::string& what) {
    pending_.push_back({id, "", exit_status::StartFailed{what}});
    return id;
  };
  if (spec.argv.empty()) return fail("empty command line");

  // Everything the child needs is prepared before clone: between clone and exec only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(spec.env.size() + 1);
  for (const std::string& var : spec.env) envp.push_back(const_cast<char*>(var.c_str()));
  envp.push_back(nullptr);

  int output[2];
  if (::pipe2(output, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  // Best effort: a smaller pipe only makes a chatty test wait for the runner sooner.
  ::fcntl(output[0], F_SETPIPE_SZ, kPipeSize);
  if (spawn_stack_ == nullptr) {
    ::close(output[0]);
    ::close(output[1]);
    return fail("no memory for the child's stack");
  }

  // vfork semantics: no copy of the runner's page tables per test process, and the parent
  // resumes once the child has exec'd (or failed). All signals stay blocked meanwhile, so
  // no handler of the runner runs on the child's side.
  SpawnArgs args{argv.data(), envp.data(), output[1], spec.child_setup, &old_mask_, {}};
  sigset_t all;
  sigfillset(&all);
  sigset_t runner_mask;
  ::sigprocmask(SIG_SETMASK, &all, &runner_mask);
  const pid_t pid = ::clone(SpawnedChild, spawn_stack_ + kSpawnStackSize,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  const int clone_error = errno;
  ::sigprocmask(SIG_SETMASK, &runner_mask, nullptr);
  ::close(output[1]);
  if (pid < 0) {
    ::close(output[0]);
    return fail(std::string("fork: ") + std::strerror(clone_error));
  }
  // Also set in the parent, so that Terminate() finds the group even if it comes first.
  ::setpgid(pid, pid);

  if (args.report.stage != 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(output[0]);
    const char* stage = args.report.stage == kChildSetup ? "worker set-up"
                        : args.report.stage == kExec     ? "exec"
                                                         : "redirecting stdio";
    return fail(std::string(stage) + " failed for " + spec.argv[0] + ": " +
                std::strerror(args.report.error));
  }
  ::fcntl(output[0], F_SETFL, ::fcntl(output[0], F_GETFL) | O_NONBLOCK);
  children_[id] = Child{pid, output[0], std::nullopt, false};
  return id;
}

void PosixLauncher::Terminate(ProcessId id) {
  const auto it = children_.find(id);
  if (it == children_.end() || it->second.kill_at) return;
  ::kill(-it->second.pid, SIGTERM);
  it->second.kill_at = clock_.Now() + grace_;
}

void PosixLauncher::ReadOutput(Child& child, std::string& out, std::size_t budget) {
  char buffer[64 * 1024];
  while (child.fd >= 0 && budget > 0) {
    const ssize_t got = ::read(child.fd, buffer, std::min(sizeof buffer, budget));
    if (got > 0) {
      out.append(buffer, static_cast<std::size_t>(got));
      budget -= static_cast<std::size_t>(got);
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    ::close(child.fd);  // end of file, or an error we cannot do anything about
    child.fd = -1;
  }
}

void PosixLauncher::Reap(ProcessId id, Child& child, int status,
                         std::vector<ProcessEvent>& events) {
  ProcessEvent event{id, "", std::nullopt};
  ReadOutput(child, event.output, kDrainBudget);
  // Whatever the test left behind in its group (a grandchild holding the pipe) goes too.
  ::kill(-child.pid, SIGKILL);
  if (child.fd >= 0) ::close(child.fd);
  if (WIFSIGNALED(status)) {
    event.exit = exit_status::Signaled{WTERMSIG(status)};
  } else {
    event.exit = exit_status::Exited{WEXITSTATUS(status)};
  }
  events.push_back(std::move(event));
}

std::vector<ProcessEvent> PosixLauncher::Wait(std::optional<Duration> timeout) {
  std::vector<ProcessEvent> events = std::move(pending_);
  pending_.clear();
  // An interrupt does not end waiting for good: the caller terminates the children after
  // it and must still see them exit.
  if (!events.empty()) return events;

  const TimePoint now = clock_.Now();
  for (const auto& [id, child] : children_) {
    if (child.kill_at) {
      const Duration until_kill = std::max(Duration::zero(), *child.kill_at - now);
      timeout = timeout ? std::min(*timeout, until_kill) : until_kill;
    }
  }

  // Between output pauses only flooding children are polled; the others wait for the pause
  // to end (or are read when they exit).
  const bool output_due = now >= next_output_read_;
  std::vector<pollfd> fds;
  std::vector<ProcessId> fd_owner;
  bool paused_output = false;
  for (const auto& [id, child] : children_) {
    if (child.fd < 0) continue;
    if (!output_due && !child.flooding) {
      paused_output = true;
      continue;
    }
    fds.push_back(pollfd{child.fd, POLLIN, 0});
    fd_owner.push_back(id);
  }
  if (paused_output) {
    const Duration until_due = next_output_read_ - now;
    timeout = timeout ? std::min(*timeout, until_due) : until_due;
  }
  timespec wait_time{};
  if (timeout) {
    const auto nanos = std::max<std::int64_t>(0, timeout->count());
    wait_time.tv_sec = static_cast<time_t>(nanos / 1'000'000'000);
    wait_time.tv_nsec = static_cast<long>(nanos % 1'000'000'000);
  }
  sigset_t poll_mask = old_mask_;
  sigdelset(&poll_mask, SIGINT);
  sigdelset(&poll_mask, SIGTERM);
  sigdelset(&poll_mask, SIGCHLD);
  const int ready = ::ppoll(fds.data(), fds.size(), timeout ? &wait_time : nullptr, &poll_mask);

  if (ready > 0) {
    bool read_output = false;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      ProcessEvent event{fd_owner[i], "", std::nullopt};
      Child& child = children_[fd_owner[i]];
      ReadOutput(child, event.output, kReadBudget);
      child.flooding = event.output.size() >= kFloodRead;
      if (!event.output.empty()) {
        read_output = true;
        events.push_back(std::move(event));
      }
    }
    if (read_output) next_output_read_ = clock_.Now() + kOutputPause;
  }

  const TimePoint after = clock_.Now();
  // Reset before looking: a child that exits after its waitpid() below raises SIGCHLD again,
  // which is then pending and ends the next ppoll() at once.
  const bool child_exited = g_child_exited != 0;
  g_child_exited = 0;
  for (auto it = children_.begin(); it != children_.end();) {
    Child& child = it->second;
    int status = 0;
    pid_t reaped = 0;
    if (child_exited) {
      do {
        reaped = ::waitpid(child.pid, &status, WNOHANG);
      } while (reaped < 0 && errno == EINTR);
    }
    if (reaped == child.pid) {
      Reap(it->first, child, status, events);
      it = children_.erase(it);
      continue;
    }
    if (child.kill_at && *child.kill_at <= after) {
      ::kill(-child.pid, SIGKILL);
      child.kill_at = after + grace_;  // and again, should a member survive somehow
    }
    ++it;
  }
  return events;
}

}  // namespace xdist::run
