#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <xdist/xdist.h>

namespace fs = std::filesystem;

namespace {

int g_counter = 7;
std::string g_name = "default";

std::string EnvOrNone(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "<unset>" : value;
}

bool CanBind(int port, int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

}  // namespace

TEST(TempPath, IsInsideTestTmpdirAndUniqueToTestAndProcess) {
  const fs::path base = fs::path(::testing::TempDir()) / ("xdist-header-" + std::to_string(getpid()));
  xdist::ScopedEnv tmpdir("TEST_TMPDIR", base.string());
  const fs::path path = xdist::TempPath("data.bin");
  EXPECT_EQ(path.filename(), "data.bin");
  EXPECT_EQ(path.parent_path().parent_path(), base);
  EXPECT_EQ(path.parent_path().filename().string(),
            "xdist-" + std::to_string(getpid()) + "-TempPath.IsInsideTestTmpdirAndUniqueToTestAndProcess");
  EXPECT_TRUE(fs::is_directory(path.parent_path()));
  EXPECT_FALSE(fs::exists(path)) << "the file itself is the caller's to create";
  fs::remove_all(base);
}

TEST(TempPath, DiffersBetweenTests) {
  const std::string here = xdist::TempPath("x");
  EXPECT_EQ(here.find("TempPath.IsInsideTestTmpdir"), std::string::npos);
  EXPECT_NE(here.find("TempPath.DiffersBetweenTests"), std::string::npos);
}

TEST(TempPath, FallsBackToTmpdirThenSystemTemp) {
  const fs::path base = fs::path(::testing::TempDir()) / ("xdist-fallback-" + std::to_string(getpid()));
  xdist::ScopedEnv no_test_tmpdir("TEST_TMPDIR", std::nullopt);
  {
    xdist::ScopedEnv tmpdir("TMPDIR", base.string());
    EXPECT_EQ(fs::path(xdist::TempPath("a")).parent_path().parent_path(), base);
  }
  xdist::ScopedEnv no_tmpdir("TMPDIR", std::nullopt);
  EXPECT_EQ(fs::path(xdist::TempPath("a")).parent_path().parent_path(),
            fs::temp_directory_path());
  fs::remove_all(base);
}

TEST(TempPath, CreatesNestedParentsAndStaysInsideForAbsoluteNames) {
  const fs::path nested = xdist::TempPath("sub/dir/file.txt");
  EXPECT_TRUE(fs::is_directory(nested.parent_path()));
  const fs::path absolute = xdist::TempPath("/etc/passwd");
  EXPECT_NE(absolute.string(), "/etc/passwd");
  EXPECT_EQ(absolute.filename(), "passwd");
  std::ofstream(absolute) << "written";
  EXPECT_TRUE(fs::exists(absolute));
}

TEST(UnusedPort, TcpPortIsBindable) {
  const int port = xdist::UnusedTcpPort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
  EXPECT_TRUE(CanBind(port, SOCK_STREAM));
}

TEST(UnusedPort, UdpPortIsBindable) {
  const int port = xdist::UnusedUdpPort();
  EXPECT_GT(port, 0);
  EXPECT_TRUE(CanBind(port, SOCK_DGRAM));
}

TEST(Worker, DefaultsToMasterAndOne) {
  xdist::ScopedEnv worker("XDIST_WORKER", std::nullopt);
  xdist::ScopedEnv count("XDIST_WORKER_COUNT", std::nullopt);
  EXPECT_EQ(xdist::WorkerId(), "master");
  EXPECT_EQ(xdist::WorkerCount(), 1);
}

TEST(Worker, ReadsRunnerEnvironment) {
  xdist::ScopedEnv worker("XDIST_WORKER", "gw3");
  xdist::ScopedEnv count("XDIST_WORKER_COUNT", "4");
  EXPECT_EQ(xdist::WorkerId(), "gw3");
  EXPECT_EQ(xdist::WorkerCount(), 4);
}

TEST(Worker, BadCountFallsBackToOne) {
  xdist::ScopedEnv count("XDIST_WORKER_COUNT", "zero");
  EXPECT_EQ(xdist::WorkerCount(), 1);
}

TEST(ScopedEnv, SetsAndRestoresPreviousValue) {
  xdist::ScopedEnv outer("XDIST_HEADER_TEST_VAR", "before");
  {
    xdist::ScopedEnv inner("XDIST_HEADER_TEST_VAR", "during");
    EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "during");
  }
  EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "before");
}

TEST(ScopedEnv, UnsetsAndRestoresAbsence) {
  {
    xdist::ScopedEnv absent("XDIST_HEADER_TEST_VAR", std::nullopt);
    {
      xdist::ScopedEnv set("XDIST_HEADER_TEST_VAR", "x");
      EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "x");
    }
    EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "<unset>");
    xdist::ScopedEnv outer("XDIST_HEADER_TEST_VAR", "kept");
    {
      xdist::ScopedEnv unset("XDIST_HEADER_TEST_VAR", std::nullopt);
      EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "<unset>");
    }
    EXPECT_EQ(EnvOrNone("XDIST_HEADER_TEST_VAR"), "kept");
  }
}

TEST(ScopedCwd, ChangesAndRestores) {
  const fs::path before = fs::current_path();
  const fs::path target = fs::path(xdist::TempPath("cwd"));
  fs::create_directories(target);
  {
    xdist::ScopedCwd cwd(target);
    EXPECT_EQ(fs::current_path(), fs::canonical(target));
  }
  EXPECT_EQ(fs::current_path(), before);
}

TEST(ScopedCwd, ThrowsForMissingDirectoryAndKeepsCwd) {
  const fs::path before = fs::current_path();
  EXPECT_THROW(xdist::ScopedCwd(fs::path("/nonexistent/xdist/dir")), fs::filesystem_error);
  EXPECT_EQ(fs::current_path(), before);
}

TEST(ScopedRestore, RestoresGlobalsWithDeducedType) {
  {
    xdist::ScopedRestore counter_guard(g_counter);
    xdist::ScopedRestore name_guard(g_name);
    g_counter = 99;
    g_name = "changed";
  }
  EXPECT_EQ(g_counter, 7);
  EXPECT_EQ(g_name, "default");
}
