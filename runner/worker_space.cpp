#include "worker_space.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string_view>

namespace xdist::run {

namespace {

bool IsOwnedVariable(std::string_view entry) {
  static constexpr std::array<std::string_view, 8> kOwned = {
      "GTEST_SHARD_INDEX=", "GTEST_TOTAL_SHARDS=", "XDIST_MARKER_FILE=", "TEST_TMPDIR=",
      "TMPDIR=", "XDIST_WORKER=", "XDIST_WORKER_COUNT=", "XDIST_TESTRUN_UID="};
  for (const std::string_view owned : kOwned) {
    if (entry.substr(0, owned.size()) == owned) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> CleanEnv(const std::vector<std::string>& base_env) {
  std::vector<std::string> env;
  for (const std::string& entry : base_env) {
    if (!IsOwnedVariable(entry)) env.push_back(entry);
  }
  return env;
}

Expected<WorkerSpace> WorkerSpace::Create(const std::string& base, const std::string& run_uid,
                                          int workers) {
  WorkerSpace space;
  space.root_ = base + "/xdist-" + run_uid;
  std::error_code error;
  std::filesystem::create_directories(space.InternalDir(), error);
  for (int slot = 0; slot < workers && !error; ++slot) {
    std::filesystem::create_directories(space.WorkerDir(slot), error);
  }
  if (error) return Error{space.root_ + ": cannot create the run's directory: " + error.message()};
  return space;
}

std::string WorkerSpace::WorkerDir(int slot) const { return root_ + "/" + WorkerName(slot); }

std::vector<std::string> WorkerSpace::WorkerEnv(const std::vector<std::string>& base_env,
                                                int slot, int workers,
                                                const std::string& run_uid) const {
  std::vector<std::string> env = CleanEnv(base_env);
  env.push_back("TEST_TMPDIR=" + WorkerDir(slot));
  env.push_back("TMPDIR=" + WorkerDir(slot));
  env.push_back("XDIST_WORKER=" + WorkerName(slot));
  env.push_back("XDIST_WORKER_COUNT=" + std::to_string(workers));
  env.push_back("XDIST_TESTRUN_UID=" + run_uid);
  return env;
}

bool WorkerSpace::Remove() const {
  std::error_code error;
  std::filesystem::remove_all(root_, error);
  return !error;
}

std::string MakeRunUid() {
  std::random_device device;
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  char text[64];
  std::snprintf(text, sizeof text, "%llx-%x-%08x", static_cast<unsigned long long>(now),
                static_cast<unsigned>(::getpid()), static_cast<unsigned>(device()));
  return text;
}

}  // namespace xdist::run
