// xdist/xdist.h — the test-side half of xdist: markers that tell `xdist-run` how a
// test may be scheduled, and the helpers that `xdist-lint --fix` rewrites code to.
//
// Header-only, C++17, no link step. Nothing here changes how a test binary behaves
// when it is run without xdist-run: markers are inert unless the runner asks for
// them (see docs/markers.md), and the helpers only use the standard library and POSIX.
#ifndef XDIST_XDIST_H
#define XDIST_XDIST_H

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#if __has_include(<gtest/gtest.h>)
#include <gtest/gtest.h>
#define XDIST_HAS_GTEST 1
#else
#define XDIST_HAS_GTEST 0
#endif

#define XDIST_VERSION_MAJOR 0
#define XDIST_VERSION_MINOR 1
#define XDIST_VERSION_PATCH 0

/// Version of the protocol through which markers reach the runner (docs/markers.md).
/// A runner rejects records of a version it does not know.
#define XDIST_MARKER_PROTOCOL_VERSION 1

namespace xdist {

/// The environment variable through which the runner asks a test binary for its
/// markers at listing time. Unset (the normal case), markers do nothing.
inline constexpr const char* kMarkerFileEnv = "XDIST_MARKER_FILE";

namespace detail {

inline void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// One marker, registered during static initialisation. When the runner set
/// XDIST_MARKER_FILE, the record is appended to that file as one JSON line with a
/// single write(2) on an O_APPEND descriptor, so records from any number of
/// translation units (or concurrently listed binaries) never interleave.
class MarkerRecord {
 public:
  MarkerRecord(const char* kind, const char* file, int line, const char* suite,
               const char* value) noexcept {
    const char* path = std::getenv(kMarkerFileEnv);
    if (path == nullptr || *path == '\0') return;
    try {
      std::string record = "{\"v\":";
      record += std::to_string(XDIST_MARKER_PROTOCOL_VERSION);
      record += ",\"kind\":";
      AppendJsonString(record, kind);
      record += ",\"file\":";
      AppendJsonString(record, file);
      record += ",\"line\":";
      record += std::to_string(line);
      record += ",\"suite\":";
      AppendJsonString(record, suite == nullptr ? "" : suite);
      record += ",\"value\":";
      AppendJsonString(record, value == nullptr ? "" : value);
      record += "}\n";
      const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return;
      [[maybe_unused]] const ssize_t written = ::write(fd, record.data(), record.size());
      ::close(fd);
    } catch (...) {
      // Static initialisation must never throw: a lost marker is reported by the
      // runner as an unmarked test, which is safe to see and to fix.
    }
  }
};

inline std::string SanitizeForPath(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += safe ? c : '_';
  }
  return out;
}

inline std::string CurrentTestName() {
#if XDIST_HAS_GTEST
  if (const ::testing::TestInfo* info =
          ::testing::UnitTest::GetInstance()->current_test_info()) {
    return std::string(info->test_suite_name()) + "." + info->name();
  }
#endif
  return "no-test";
}

inline int UnusedPort(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "xdist: socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "xdist: bind to port 0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace detail

/// The worker this process runs on: "gw0", "gw1", … under xdist-run (pytest-xdist's
/// names), "master" when the binary runs on its own.
inline std::string WorkerId() {
  const char* worker = std::getenv("XDIST_WORKER");
  return worker != nullptr && *worker != '\0' ? worker : "master";
}

/// How many workers the current xdist-run invocation uses; 1 without the runner.
inline int WorkerCount() {
  const char* count = std::getenv("XDIST_WORKER_COUNT");
  if (count == nullptr) return 1;
  const int value = std::atoi(count);
  return value > 0 ? value : 1;
}

/// A path named `name` inside a directory unique to the running test and process:
/// `<base>/xdist-<pid>-<Suite.Name>/<name>`, where base is TEST_TMPDIR, else TMPDIR,
/// else the system temp directory. The directory (and any parent directory named in
/// `name`) is created on first use; the file itself is not. A leading '/' in `name`
/// is ignored, so the result always stays inside the test's directory.
/// Throws std::filesystem::filesystem_error when the directory cannot be created.
inline std::string TempPath(std::string_view name) {
  namespace fs = std::filesystem;
  fs::path base;
  if (const char* dir = std::getenv("TEST_TMPDIR"); dir != nullptr && *dir != '\0') {
    base = dir;
  } else if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    base = tmp;
  } else {
    base = fs::temp_directory_path();
  }
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  const fs::path directory =
      base / ("xdist-" + std::to_string(::getpid()) + "-" +
              detail::SanitizeForPath(detail::CurrentTestName()));
  const fs::path result = directory / fs::path(std::string(name));
  fs::create_directories(result.has_parent_path() ? result.parent_path() : directory);
  return result.string();
}

/// A TCP port that the kernel reported free a moment ago. Another process may take it
/// before the caller binds it (the kernel avoids handing a just-released port out
/// again, so this is rare); where the code under test can bind port 0 itself and
/// report the port, prefer that. Throws std::system_error when no socket can be bound.
inline int UnusedTcpPort() { return detail::UnusedPort(SOCK_STREAM); }

/// The UDP counterpart of UnusedTcpPort(), with the same race.
inline int UnusedUdpPort() { return detail::UnusedPort(SOCK_DGRAM); }

/// Sets (or, with std::nullopt, unsets) an environment variable for the lifetime of
/// the guard, then restores the previous value or absence.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) previous_ = old;
    Apply(value);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() { Apply(previous_); }

 private:
  void Apply(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

  std::string name_;
  std::optional<std::string> previous_;
};

/// Changes the working directory for the lifetime of the guard, then changes back.
/// Throws std::filesystem::filesystem_error when `path` cannot be entered.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::filesystem::path& path)
      : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(path);
  }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;
  ~ScopedCwd() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
  }

 private:
  std::filesystem::path previous_;
};

/// Copies a variable's value and writes it back when the guard goes out of scope:
/// `xdist::ScopedRestore guard(g_config);` (the type is deduced).
template <typename T>
class ScopedRestore {
 public:
  explicit ScopedRestore(T& variable) : variable_(variable), saved_(variable) {}
  ScopedRestore(const ScopedRestore&) = delete;
  ScopedRestore& operator=(const ScopedRestore&) = delete;
  ~ScopedRestore() { variable_ = std::move(saved_); }

 private:
  T& variable_;
  T saved_;
};

}  // namespace xdist

#define XDIST_DETAIL_CAT_(a, b) a##b
#define XDIST_DETAIL_CAT(a, b) XDIST_DETAIL_CAT_(a, b)
#define XDIST_DETAIL_MARKER(kind, suite, value)                                  \
  [[maybe_unused]] static const ::xdist::detail::MarkerRecord XDIST_DETAIL_CAT( \
      xdist_marker_, __COUNTER__)(kind, __FILE__, __LINE__, suite, value)

/// Markers: write them on the line(s) directly above a TEST, TEST_F, TEST_P,
/// TYPED_TEST or TYPED_TEST_P, with a trailing semicolon; several may stack.

/// The test runs with no other test running, in a fresh process.
#define XDIST_NO_PARALLEL(reason) XDIST_DETAIL_MARKER("no_parallel", "", reason)
/// Every test of the suite runs with no other test running, each in a fresh process.
/// May stand anywhere at namespace scope in a file that is linked into the binary.
#define XDIST_NO_PARALLEL_SUITE(suite, reason) \
  XDIST_DETAIL_MARKER("no_parallel_suite", #suite, reason)
/// All tests of the group run on one worker, one after another.
#define XDIST_GROUP(name) XDIST_DETAIL_MARKER("group", "", name)
/// Tests holding the same key exclusively never overlap (keys like "port:8080").
#define XDIST_RESOURCE_LOCK(key) XDIST_DETAIL_MARKER("resource_lock", "", key)
/// Shared holders of a key may overlap each other, but not an exclusive holder.
#define XDIST_RESOURCE_LOCK_SHARED(key) XDIST_DETAIL_MARKER("resource_lock_shared", "", key)
/// The test needs the real network: under `xdist-run --isolate net` it runs outside
/// the worker's loopback-only network namespace.
#define XDIST_NEEDS_NETWORK(reason) XDIST_DETAIL_MARKER("needs_network", "", reason)

#endif  // XDIST_XDIST_H
