#include "file_lock_broker.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "shard.h"

namespace xdist::run {

std::string FileLockBroker::DefaultDir(const char* lock_dir_env) {
  if (lock_dir_env != nullptr && *lock_dir_env != '\0') return lock_dir_env;
  return "/tmp/xdist-locks";
}

Expected<std::unique_ptr<FileLockBroker>> FileLockBroker::Open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 01777) == 0) {
    // mkdir applies the umask; the directory is shared by every user, like /tmp.
    if (::chmod(dir.c_str(), 01777) != 0) {
      return Error{"cannot make the lock directory " + dir + " shared: " + std::strerror(errno)};
    }
  } else if (errno != EEXIST) {
    return Error{"cannot create the lock directory " + dir + ": " + std::strerror(errno)};
  }
  // Not through a symlink: in a world-writable place anyone could plant one.
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Error{"the lock directory " + dir + " is not a directory (a symlink is refused)"};
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Error{"the lock directory " + dir + " is not writable: " + std::strerror(errno)};
  }
  return std::unique_ptr<FileLockBroker>(new FileLockBroker(dir));
}

FileLockBroker::~FileLockBroker() {
  for (const auto& [key, held] : held_) {
    if (held.fd >= 0) ::close(held.fd);
  }
}

std::string FileLockBroker::PathOf(const std::string& key) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.lock",
                static_cast<unsigned long long>(StableHash(key)));
  return dir_ + "/" + name;
}

bool FileLockBroker::TryAcquire(const std::string& key, bool shared) {
  // The scheduler never asks for a key this invocation holds in a conflicting way, so a
  // second shared holder here shares the first one's flock.
  if (const auto it = held_.find(key); it != held_.end()) {
    ++it->second.count;
    return true;
  }
  const std::string path = PathOf(key);
  // O_NOFOLLOW: a symlink planted in the shared directory must not lead the runner (maybe
  // root) to write to or chmod another file.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    if (fd >= 0) ::close(fd);
    held_[key] = {-1, 1};
    return true;
  }
  // Another user's runner may want the file too; the umask must not keep it out.
  if (info.st_uid == ::geteuid()) (void)::fchmod(fd, 0666);
  if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  if (info.st_size == 0) {
    const std::string text = key + "\n";
    (void)::pwrite(fd, text.data(), text.size(), 0);
  }
  held_[key] = {fd, 1};
  return true;
}

void FileLockBroker::Release(const std::string& key) {
  const auto it = held_.find(key);
  if (it == held_.end() || --it->second.count > 0) return;
  if (it->second.fd >= 0) ::close(it->second.fd);
  held_.erase(it);
}

}  // namespace xdist::run
