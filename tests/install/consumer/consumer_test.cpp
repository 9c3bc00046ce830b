// Uses every marker and helper of an installed xdist; passes when run without the runner.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

namespace {
int g_setting = 1;
}  // namespace

XDIST_NO_PARALLEL("demonstrates the marker");
TEST(Consumer, NoParallel) { SUCCEED(); }

XDIST_NO_PARALLEL_SUITE(ConsumerSuite, "demonstrates the suite marker");
TEST(ConsumerSuite, Runs) { SUCCEED(); }

XDIST_GROUP("consumer-group");
XDIST_RESOURCE_LOCK("file:/tmp/consumer");
XDIST_RESOURCE_LOCK_SHARED("env:HOME");
XDIST_NEEDS_NETWORK("demonstrates the network marker");
TEST(Consumer, StackedMarkers) { SUCCEED(); }

TEST(Consumer, Helpers) {
  const std::string path = xdist::TempPath("out.txt");
  std::ofstream(path) << "data";
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(xdist::UnusedTcpPort(), 0);
  EXPECT_GT(xdist::UnusedUdpPort(), 0);
  EXPECT_EQ(xdist::WorkerId(), "master");
  EXPECT_EQ(xdist::WorkerCount(), 1);
  {
    xdist::ScopedEnv env("XDIST_CONSUMER_VAR", "1");
    xdist::ScopedEnv unset("XDIST_CONSUMER_OTHER", std::nullopt);
    xdist::ScopedCwd cwd(std::filesystem::path(path).parent_path());
    xdist::ScopedRestore guard(g_setting);
    g_setting = 2;
  }
  EXPECT_EQ(g_setting, 1);
  EXPECT_EQ(std::getenv("XDIST_CONSUMER_VAR"), nullptr);
}
