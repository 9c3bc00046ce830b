#include "file_lock_broker.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <xdist/xdist.h>

namespace xdist::run {
namespace {

// Two brokers stand for two invocations: flock(2) locks of two open files conflict even
// inside one process.
class FileLockBrokerTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileLockBroker> Open() {
    auto broker = FileLockBroker::Open(dir_);
    EXPECT_TRUE(broker) << (broker ? "" : broker.error().message);
    return broker ? std::move(*broker) : nullptr;
  }
  const std::string dir_ = xdist::TempPath("locks");
};

TEST_F(FileLockBrokerTest, ExclusiveExcludesEveryOtherHolderUntilReleased) {
  const auto mine = Open();
  const auto theirs = Open();
  ASSERT_TRUE(mine && theirs);
  EXPECT_TRUE(mine->TryAcquire("port:47321", false));
  EXPECT_FALSE(theirs->TryAcquire("port:47321", false));
  EXPECT_FALSE(theirs->TryAcquire("port:47321", true));
  EXPECT_TRUE(theirs->TryAcquire("port:1", false)) << "other keys are free";
  mine->Release("port:47321");
  EXPECT_TRUE(theirs->TryAcquire("port:47321", false));
}

TEST_F(FileLockBrokerTest, SharedHoldersOverlapAndKeepOutExclusiveOnes) {
  const auto mine = Open();
  const auto theirs = Open();
  ASSERT_TRUE(mine && theirs);
  EXPECT_TRUE(mine->TryAcquire("db", true));
  EXPECT_TRUE(mine->TryAcquire("db", true)) << "two shared holders of one invocation";
  EXPECT_TRUE(theirs->TryAcquire("db", true));
  theirs->Release("db");
  mine->Release("db");
  EXPECT_FALSE(theirs->TryAcquire("db", false)) << "one shared holder is left";
  mine->Release("db");
  EXPECT_TRUE(theirs->TryAcquire("db", false));
}

TEST_F(FileLockBrokerTest, DirectoryIsSharedLikeTmpAndFilesNameTheirKey) {
  const auto broker = Open();
  ASSERT_TRUE(broker);
  struct stat info {};
  ASSERT_EQ(::stat(dir_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 01777u);
  ASSERT_TRUE(broker->TryAcquire("env:APP_LOG_LEVEL", false));
  std::ifstream in(broker->PathOf("env:APP_LOG_LEVEL"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "env:APP_LOG_LEVEL\n");
  EXPECT_NE(broker->PathOf("a"), broker->PathOf("b"));
}

TEST_F(FileLockBrokerTest, ADirectoryThatCannotBeMadeIsAnError) {
  std::ofstream(dir_ + "-file") << "x";
  const auto broker = FileLockBroker::Open(dir_ + "-file/locks");
  ASSERT_FALSE(broker);
  EXPECT_NE(broker.error().message.find(dir_ + "-file/locks"), std::string::npos);
}

TEST_F(FileLockBrokerTest, PlantedSymlinksAreNotFollowed) {
  const auto broker = Open();
  ASSERT_TRUE(broker);
  const std::string victim = dir_ + "-victim";
  std::ofstream(victim) << "";
  ::chmod(victim.c_str(), 0600);
  std::filesystem::create_symlink(victim, broker->PathOf("k"));
  EXPECT_TRUE(broker->TryAcquire("k", false)) << "held within the invocation only";
  struct stat info {};
  ASSERT_EQ(::stat(victim.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the symlink's target was changed";
  EXPECT_EQ(info.st_size, 0);
  std::filesystem::create_symlink(dir_, dir_ + "-link");
  EXPECT_FALSE(FileLockBroker::Open(dir_ + "-link"));
}

TEST(FileLockBrokerDir, EnvironmentMovesTheDirectory) {
  EXPECT_EQ(FileLockBroker::DefaultDir(nullptr), "/tmp/xdist-locks");
  EXPECT_EQ(FileLockBroker::DefaultDir(""), "/tmp/xdist-locks");
  EXPECT_EQ(FileLockBroker::DefaultDir("/run/locks"), "/run/locks");
}

}  // namespace
}  // namespace xdist::run
