#include "sandbox_test_support.h"

#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace xdist::run::testing_support {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

const ProbeResult& MachineProbe() {
  static const ProbeResult probe = Probe();
  return probe;
}

}  // namespace

std::string Unavailable(const IsolationLevels& levels) {
  const ProbeResult& probe = MachineProbe();
  if (levels.net && !probe.available.net) return "net: " + probe.net_unavailable;
  if (levels.tmp && !probe.available.tmp) return "tmp: " + probe.tmp_unavailable;
  if (levels.cwd && !probe.available.cwd) return "cwd: " + probe.cwd_unavailable;
  return {};
}

Scratch::Scratch(const fs::path& root)
    : root(root),
      sync(root / "sync"),
      cwd(root / "cwd"),
      run(root / "run"),
      token(std::to_string(::getpid()) + "-" + root.filename().string()) {
  // Fresh every time, also under --gtest_repeat: old rendezvous files would let the
  // fixtures pass each other without meeting.
  fs::remove_all(root);
  for (const fs::path& dir : {sync, cwd, run}) fs::create_directories(dir);
}

std::set<pid_t> ProcessesIn(const std::set<std::string>& namespaces) {
  std::set<pid_t> pids;
  std::error_code error;
  for (const fs::directory_entry& process : fs::directory_iterator("/proc", error)) {
    const std::string name = process.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::vector<fs::path> links;
    for (const char* kind : {"mnt", "net", "user"}) links.push_back(process.path() / "ns" / kind);
    for (const fs::directory_entry& fd : fs::directory_iterator(process.path() / "fd", error)) {
      links.push_back(fd.path());
    }
    for (const fs::path& link : links) {
      if (namespaces.count(fs::read_symlink(link, error).string()) != 0) {
        pids.insert(std::stoi(name));
      }
    }
  }
  return pids;
}

std::set<pid_t> RunProcessesIn(const std::set<std::string>& namespaces, const std::string& token) {
  std::set<pid_t> pids;
  const std::string marker = "XDIST_FIXTURE_TOKEN=" + token;
  for (const pid_t pid : ProcessesIn(namespaces)) {
    const std::string environment = ReadFile("/proc/" + std::to_string(pid) + "/environ");
    std::size_t at = 0;
    for (std::size_t end; at < environment.size(); at = end + 1) {
      end = environment.find('\0', at);
      if (end == std::string::npos) end = environment.size();
      if (environment.compare(at, end - at, marker) == 0) {
        pids.insert(pid);
        break;
      }
    }
  }
  return pids;
}

std::set<std::string> RecordedNamespaces(const fs::path& sync) {
  std::set<std::string> namespaces;
  for (const fs::directory_entry& entry : fs::directory_iterator(sync)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ns-", 0) != 0 || name.ends_with(".tmp")) continue;
    std::istringstream lines(ReadFile(entry.path()));
    for (std::string line; std::getline(lines, line);) namespaces.insert(line);
  }
  return namespaces;
}

bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int OnMachineWithoutUserNamespaces(const std::function<int()>& body) {
  int unshared[2];
  int mapped[2];
  if (::pipe(unshared) != 0 || ::pipe(mapped) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(unshared[0]);
    ::close(mapped[1]);
    char byte = 0;
    if (::unshare(CLONE_NEWUSER) != 0 || ::write(unshared[1], &byte, 1) != 1 ||
        ::read(mapped[0], &byte, 1) != 1) {
      ::_exit(100);
    }
    std::ofstream("/proc/sys/user/max_user_namespaces") << "0\n";
    if (ReadFile("/proc/sys/user/max_user_namespaces") != "0\n") ::_exit(101);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(1000, 1000, 1000) != 0 ||
        ::setresuid(1000, 1000, 1000) != 0) {
      ::_exit(102);
    }
    ::_exit(body());
  }
  ::close(unshared[1]);
  ::close(mapped[0]);
  char byte = 0;
  if (::read(unshared[0], &byte, 1) == 1) {
    // Only a process with CAP_SETUID outside may map more than its own id.
    const std::string proc = "/proc/" + std::to_string(child);
    std::ofstream(proc + "/uid_map") << "0 0 2000\n";
    std::ofstream(proc + "/gid_map") << "0 0 2000\n";
    [[maybe_unused]] const ssize_t written = ::write(mapped[1], &byte, 1);
  }
  ::close(unshared[0]);
  ::close(mapped[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace xdist::run::testing_support
