// sandbox_overhead: what --isolate adds to every test process. Runs every test of
// the given GoogleTest binaries in a process of its own, one after another, once
// plainly and once inside a WorkerSandbox, alternating per round, and prints the
// mean wall time per process of both and their difference, plus the time the
// child spends in ChildSetup::EnterInChild() itself and the slot's set-up time.
//
//   sandbox_overhead [--isolate LIST] [--rounds N] BINARY...
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sandbox.h"

namespace {

namespace fs = std::filesystem;
using xdist::run::ChildSetup;

struct Test {
  std::string binary;
  std::string name;
};

// The tests of a binary, from --gtest_list_tests.
std::vector<Test> ListTests(const std::string& binary) {
  std::vector<Test> tests;
  const std::string command = "'" + binary + "' --gtest_list_tests";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return tests;
  std::string suite;
  std::array<char, 4096> line{};
  while (std::fgets(line.data(), line.size(), pipe.get()) != nullptr) {
    std::string text(line.data());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (const size_t comment = text.find("  #"); comment != std::string::npos) {
      text.resize(comment);
    }
    if (text.empty()) continue;
    if (text[0] != ' ') {
      suite = text;
    } else {
      tests.push_back({binary, suite + text.substr(text.find_first_not_of(' '))});
    }
  }
  return tests;
}

long long NowNs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

struct ProcessTime {
  double seconds = 0;        // fork to reaped
  double entry_seconds = 0;  // inside EnterInChild()
  bool failed = false;
};

// Runs one test in a fresh process, entering `setup` when it is set.
ProcessTime RunOne(const Test& test, const ChildSetup* setup) {
  const std::string filter = "--gtest_filter=" + test.name;
  int timing[2];
  if (::pipe2(timing, O_CLOEXEC) != 0) std::abort();
  const long long start = NowNs();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (setup != nullptr) {
      const long long before = NowNs();
      if (setup->EnterInChild() != 0) ::_exit(126);
      const long long spent = NowNs() - before;
      [[maybe_unused]] const ssize_t written = ::write(timing[1], &spent, sizeof spent);
    }
    ::execl(test.binary.c_str(), test.binary.c_str(), filter.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(timing[1]);
  ProcessTime time;
  long long spent = 0;
  if (::read(timing[0], &spent, sizeof spent) == sizeof spent) {
    time.entry_seconds = static_cast<double>(spent) * 1e-9;
  }
  ::close(timing[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  time.seconds = static_cast<double>(NowNs() - start) * 1e-9;
  time.failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  return time;
}

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (const double value : values) sum += value;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace

int main(int argc, char** argv) {
  std::string isolate = "all";
  int rounds = 5;
  std::vector<std::string> binaries;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--isolate" && i + 1 < argc) {
      isolate = argv[++i];
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      binaries.push_back(fs::absolute(arg).string());
    }
  }
  if (binaries.empty()) {
    std::fprintf(stderr, "usage: sandbox_overhead [--isolate LIST] [--rounds N] BINARY...\n");
    return 2;
  }
  const auto request = xdist::run::ParseIsolation(isolate);
  if (!request) {
    std::fprintf(stderr, "%s\n", request.error().message.c_str());
    return 2;
  }
  std::vector<Test> tests;
  for (const std::string& binary : binaries) {
    std::vector<Test> listed = ListTests(binary);
    if (listed.empty()) {
      std::fprintf(stderr, "%s: no tests listed\n", binary.c_str());
      return 2;
    }
    tests.insert(tests.end(), listed.begin(), listed.end());
  }
  char pattern[] = "/tmp/xdist-overhead-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return 2;
  xdist::run::SandboxOptions options;
  options.levels = request->levels;
  options.run_dir = pattern;
  options.cwd = fs::current_path();
  options.visible_paths.assign(binaries.begin(), binaries.end());
  const long long setup_start = NowNs();
  auto sandbox = xdist::run::WorkerSandbox::Create(options);
  const double setup_seconds = static_cast<double>(NowNs() - setup_start) * 1e-9;
  if (!sandbox) {
    std::fprintf(stderr, "%s\n", sandbox.error().message.c_str());
    return 2;
  }
  const ChildSetup* setup = &(*sandbox)->Setup(false);
  // Plain and isolated processes alternate test by test (and swap order every
  // round), so that load from elsewhere on the machine hits both alike.
  std::vector<double> plain;
  std::vector<double> isolated;
  std::vector<double> entry;
  int failures = 0;
  for (int round = 0; round < rounds; ++round) {
    for (const Test& test : tests) {
      for (int turn = 0; turn < 2; ++turn) {
        const bool sandboxed = (turn + round) % 2 == 1;
        const ProcessTime time = RunOne(test, sandboxed ? setup : nullptr);
        (sandboxed ? isolated : plain).push_back(time.seconds);
        if (sandboxed) entry.push_back(time.entry_seconds);
        failures += time.failed ? 1 : 0;
      }
    }
  }
  std::printf("%zu test processes x %d rounds, --isolate %s\n", tests.size(), rounds,
              xdist::run::DescribeIsolation(request->levels).c_str());
  std::printf("set-up:   %.3f ms for the worker slot, once per run\n", setup_seconds * 1e3);
  std::printf("plain:    mean %.3f ms, median %.3f ms per process\n", Mean(plain) * 1e3,
              Median(plain) * 1e3);
  std::printf("isolated: mean %.3f ms, median %.3f ms per process\n", Mean(isolated) * 1e3,
              Median(isolated) * 1e3);
  std::printf("added:    mean %+.3f ms, median %+.3f ms per process; in EnterInChild: mean %.3f ms\n",
              (Mean(isolated) - Mean(plain)) * 1e3, (Median(isolated) - Median(plain)) * 1e3,
              Mean(entry) * 1e3);
  sandbox->reset();
  fs::remove_all(pattern);
  if (failures != 0) std::fprintf(stderr, "%d test processes failed\n", failures);
  return failures == 0 ? 0 : 1;
}
