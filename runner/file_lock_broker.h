// Machine-wide resource locks as flock(2) on one file per key.
#ifndef XDIST_RUNNER_FILE_LOCK_BROKER_H
#define XDIST_RUNNER_FILE_LOCK_BROKER_H

#include <map>
#include <memory>
#include <string>

#include "expected.h"
#include "lock_broker.h"

namespace xdist::run {

/// Holds each key as `flock(LOCK_EX|LOCK_NB)` or `flock(LOCK_SH|LOCK_NB)` on
/// `<dir>/<hash of key>.lock` (the key is written inside, for humans). The kernel drops the
/// locks when the process ends, however it ends, so a killed runner leaves nothing held.
class FileLockBroker final : public LockBroker {
 public:
  /// `$XDIST_LOCK_DIR` when set and not empty, else `/tmp/xdist-locks`.
  static std::string DefaultDir(const char* lock_dir_env);

  /// Uses `dir`, creating it mode 01777 (like /tmp: every user may lock, nobody removes
  /// another's files) when it does not exist. An error when it cannot be created or written,
  /// or is a symlink.
  static Expected<std::unique_ptr<FileLockBroker>> Open(const std::string& dir);

  ~FileLockBroker() override;
  FileLockBroker(const FileLockBroker&) = delete;
  FileLockBroker& operator=(const FileLockBroker&) = delete;

  /// A lock file that cannot be opened, or is not a regular file (symlinks are not
  /// followed), does not block the run: the lock then holds only within this invocation.
  bool TryAcquire(const std::string& key, bool shared) override;
  void Release(const std::string& key) override;

  /// The lock file of `key`.
  std::string PathOf(const std::string& key) const;

 private:
  explicit FileLockBroker(std::string dir) : dir_(std::move(dir)) {}

  struct Held {
    int fd = -1;  ///< -1: the file could not be opened; held within the invocation only
    int count = 0;
  };
  std::string dir_;
  std::map<std::string, Held> held_;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_FILE_LOCK_BROKER_H
