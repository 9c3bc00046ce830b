#include "history.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "json_events.h"
#include "read_file.h"

namespace xdist::run {

namespace {

constexpr std::string_view kFormat = "xdist-run-durations";

}  // namespace

std::string DurationHistory::Key(std::string_view binary_path, std::string_view full_name) {
  const std::size_t slash = binary_path.rfind('/');
  const std::string_view file =
      slash == std::string_view::npos ? binary_path : binary_path.substr(slash + 1);
  return std::string(file) + "::" + std::string(full_name);
}

namespace {

// Reads the history as a stream of events: every run reads it once and merges into it once,
// and with thousands of tests a document tree cost more than the rest of the run's own work.
class HistoryReader final : public JsonEventReader {
 public:
  explicit HistoryReader(std::map<std::string, HistoryEntry>& entries) : entries_(entries) {}

  bool saw_format = false;
  bool saw_version = false;
  bool saw_tests = false;
  bool root_is_object = false;

  bool null() override { return true; }
  bool boolean(bool value) override {
    if (depth_ == 3 && Key() == "failed") entry_.failed = value;
    return true;
  }
  bool number_integer(number_integer_t value) override {
    if (depth_ == 1 && Key() == "version") saw_version = value == DurationHistory::kVersion;
    return Number(static_cast<double>(value));
  }
  bool number_unsigned(number_unsigned_t value) override {
    if (depth_ == 1 && Key() == "version") saw_version = value == DurationHistory::kVersion;
    return Number(static_cast<double>(value));
  }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    return Number(value);
  }
  bool string(string_t& value) override {
    if (depth_ == 1 && Key() == "format") saw_format = value == kFormat;
    return true;
  }
  bool start_object(std::size_t /*elements*/) override {
    if (depth_ == 0) root_is_object = true;
    if (depth_ == 1 && Key() == "tests") {
      saw_tests = true;
      in_tests_ = true;
    }
    if (depth_ == 2 && in_tests_) {
      entry_key_ = Key();
      entry_ = {};
      has_seconds_ = false;
    }
    ++depth_;
    return true;
  }
  bool end_object() override {
    --depth_;
    if (depth_ == 2 && in_tests_ && has_seconds_) entries_[entry_key_] = entry_;
    if (depth_ == 1) in_tests_ = false;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }

 private:
  bool Number(double value) {
    if (depth_ == 3 && in_tests_ && Key() == "seconds" && value >= 0) {
      entry_.seconds = value;
      has_seconds_ = true;
    }
    return true;
  }

  std::map<std::string, HistoryEntry>& entries_;
  int depth_ = 0;
  bool in_tests_ = false;
  std::string entry_key_;
  HistoryEntry entry_;
  bool has_seconds_ = false;
};

}  // namespace

Expected<DurationHistory> DurationHistory::Parse(std::string_view text, std::string_view source) {
  DurationHistory history;
  HistoryReader reader(history.entries_);
  if (!nlohmann::json::sax_parse(text, &reader) || !reader.root_is_object) {
    return Error{std::string(source) + ": not valid JSON"};
  }
  if (!reader.saw_format) return Error{std::string(source) + ": not an xdist-run duration history"};
  if (!reader.saw_version) {
    return Error{std::string(source) + ": duration history of another version"};
  }
  if (!reader.saw_tests) return Error{std::string(source) + ": duration history without tests"};
  return history;
}

std::string DurationHistory::Serialize() const {
  // One test per line, so that the file stays readable and diffs well.
  std::string out = "{\n \"format\": \"" + std::string(kFormat) + "\",\n \"version\": " +
                    std::to_string(kVersion) + ",\n \"tests\": {";
  bool first = true;
  char number[32];
  for (const auto& [key, entry] : entries_) {
    out += first ? "\n  " : ",\n  ";
    first = false;
    // Test names are UTF-8 only by convention; invalid bytes must not make the file invalid.
    out += nlohmann::json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ": {\"seconds\": ";
    const auto [end, error] = std::to_chars(number, number + sizeof number, entry.seconds);
    out.append(number, error == std::errc() ? end : number);
    out += entry.failed ? ", \"failed\": true}" : ", \"failed\": false}";
  }
  out += "\n }\n}\n";
  return out;
}

DurationHistory DurationHistory::Load(const std::string& dir, std::vector<std::string>& warnings) {
  const std::string path = dir + "/" + std::string(kFileName);
  const std::optional<std::string> text = ReadFile(path);
  if (!text) return {};
  Expected<DurationHistory> history = Parse(*text, path);
  if (!history) {
    warnings.push_back(history.error().message + "; ignoring it (it will be rewritten)");
    return {};
  }
  return std::move(*history);
}

Expected<bool> DurationHistory::MergeInto(const std::string& dir) const {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Error{dir + ": cannot create the cache directory: " + error.message()};
  const std::string lock_path = dir + "/durations.lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) return Error{lock_path + ": " + std::strerror(errno)};
  while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  const std::string path = dir + "/" + std::string(kFileName);
  DurationHistory merged;
  if (const std::optional<std::string> text = ReadFile(path)) {
    if (Expected<DurationHistory> theirs = Parse(*text, path)) merged = std::move(*theirs);
  }
  for (const auto& [key, entry] : entries_) merged.entries_[key] = entry;
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << merged.Serialize();
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      ::close(lock);
      return Error{temporary + ": cannot write the duration history"};
    }
  }
  const bool renamed = std::rename(temporary.c_str(), path.c_str()) == 0;
  const int rename_error = errno;
  ::close(lock);
  if (!renamed) {
    std::remove(temporary.c_str());
    return Error{path + ": " + std::strerror(rename_error)};
  }
  return true;
}

std::optional<HistoryEntry> DurationHistory::Find(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace xdist::run
