// What the isolation tests share: the machine's capabilities, scratch layouts for
// the fixtures, finding processes in a namespace, and a simulated machine that
// forbids unprivileged user namespaces.
#ifndef XDIST_TESTS_SANDBOX_SANDBOX_TEST_SUPPORT_H
#define XDIST_TESTS_SANDBOX_SANDBOX_TEST_SUPPORT_H

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "sandbox.h"

namespace xdist::run::testing_support {

std::string ReadFile(const std::filesystem::path& path);

/// Why this machine cannot give `levels` (probed once per process), or "" when it can.
std::string Unavailable(const IsolationLevels& levels);

/// One run's directories: the fixtures' rendezvous directory (XDIST_FIXTURE_SYNC),
/// the working directory and the run directory, plus a token unique to the run.
/// Whatever was at `root` before is removed.
struct Scratch {
  explicit Scratch(const std::filesystem::path& root);
  std::filesystem::path root, sync, cwd, run;
  std::string token;
};

/// Pids of the processes that are in, or hold a descriptor of, one of `namespaces`
/// ("mnt:[4026532001]").
std::set<pid_t> ProcessesIn(const std::set<std::string>& namespaces);

/// The same, only processes of one xdist-run (those with XDIST_FIXTURE_TOKEN=`token` in their
/// environment): once a run's namespaces are gone, the kernel may hand their numbers to the
/// namespaces of a run that a test running in parallel started.
std::set<pid_t> RunProcessesIn(const std::set<std::string>& namespaces, const std::string& token);

/// The namespaces the Hold.UntilReleased fixture recorded in the sync directory.
std::set<std::string> RecordedNamespaces(const std::filesystem::path& sync);

/// Waits (at most 20 s) until `done()` is true; returns its last value.
bool WaitUntil(const std::function<bool()>& done);

/// Runs `body` in a child process that is a normal user (uid 1000) inside a user
/// namespace where user.max_user_namespaces is 0: a machine that forbids
/// unprivileged namespaces. Returns the child's exit code (body's result). Needs root.
int OnMachineWithoutUserNamespaces(const std::function<int()>& body);

}  // namespace xdist::run::testing_support

#define SKIP_UNLESS_AVAILABLE(levels)                                                  \
  do {                                                                                 \
    const std::string why = ::xdist::run::testing_support::Unavailable(levels);        \
    if (!why.empty()) GTEST_SKIP() << "this machine cannot isolate workers: " << why;  \
  } while (false)

#define SKIP_UNLESS_ROOT()                                                              \
  do {                                                                                  \
    if (::geteuid() != 0) GTEST_SKIP() << "simulating a restricted machine needs root"; \
    SKIP_UNLESS_AVAILABLE((::xdist::run::IsolationLevels{true, true, true}));           \
  } while (false)

#endif  // XDIST_TESTS_SANDBOX_SANDBOX_TEST_SUPPORT_H
