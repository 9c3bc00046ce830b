// Two tests holding one resource lock that detect any overlap with another holder of it, in
// this process or any other: each holder leaves a file in $XDIST_OVERLAP_DIR while it runs.
// The runner's end-to-end test starts two xdist-run invocations over this binary at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <xdist/xdist.h>

namespace {

void HoldTheResource(const std::string& name) {
  const char* dir = std::getenv("XDIST_OVERLAP_DIR");
  if (dir == nullptr) GTEST_SKIP() << "XDIST_OVERLAP_DIR is not set";
  const std::filesystem::path mine =
      std::filesystem::path(dir) / (name + "-" + std::to_string(::getpid()));
  std::ofstream(mine) << name;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path(), mine) << "another holder of the lock ran meanwhile";
  }
  std::filesystem::remove(mine);
}

}  // namespace

XDIST_RESOURCE_LOCK("k");
TEST(Lock, First) { HoldTheResource("first"); }

XDIST_RESOURCE_LOCK("k");
TEST(Lock, Second) { HoldTheResource("second"); }
