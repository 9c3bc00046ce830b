// The duration history (--cache-dir): each test's last duration and outcome, across runs.
#ifndef XDIST_RUNNER_HISTORY_H
#define XDIST_RUNNER_HISTORY_H

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"

namespace xdist::run {

struct HistoryEntry {
  double seconds = 0;
  bool failed = false;
  bool operator==(const HistoryEntry&) const = default;
};

/// Test durations and outcomes keyed by "<binary file name>::Suite.Name", stored as
/// versioned JSON in `<cache dir>/durations.json`.
class DurationHistory {
 public:
  static constexpr int kVersion = 1;
  static constexpr std::string_view kFileName = "durations.json";

  /// The key of a test: the binary's file name (not its directory, so build trees share
  /// history) and the test's full name.
  static std::string Key(std::string_view binary_path, std::string_view full_name);

  /// Parses the file's text. A file that is not ours or of another version is an error;
  /// the caller warns and goes on without history.
  static Expected<DurationHistory> Parse(std::string_view text, std::string_view source);
  std::string Serialize() const;

  /// Reads `<dir>/durations.json`. A missing file gives an empty history; a corrupt or
  /// foreign one gives an empty history and a warning.
  static DurationHistory Load(const std::string& dir, std::vector<std::string>& warnings);

  /// Writes this run's entries into `<dir>/durations.json`: under an exclusive flock on
  /// `<dir>/durations.lock`, it re-reads the file, lets this run's entries replace theirs,
  /// writes a temporary file and renames it into place, so concurrent runs lose nothing and
  /// a reader never sees half a file. Creates `dir` when needed.
  Expected<bool> MergeInto(const std::string& dir) const;

  std::optional<HistoryEntry> Find(const std::string& key) const;
  void Record(const std::string& key, HistoryEntry entry) { entries_[key] = entry; }
  const std::map<std::string, HistoryEntry>& Entries() const { return entries_; }
  bool Empty() const { return entries_.empty(); }

 private:
  std::map<std::string, HistoryEntry> entries_;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_HISTORY_H
