#include "history.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

namespace xdist::run {

namespace {

constexpr std::string_view kFormat = "xdist-run-durations";

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string DurationHistory::Key(std::string_view binary_path, std::string_view full_name) {
  const std::size_t slash = binary_path.rfind('/');
  const std::string_view file =
      slash == std::string_view::npos ? binary_path : binary_path.substr(slash + 1);
  return std::string(file) + "::" + std::string(full_name);
}

Expected<DurationHistory> DurationHistory::Parse(std::string_view text, std::string_view source) {
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Error{std::string(source) + ": not valid JSON"};
  }
  if (root.value("format", "") != kFormat) {
    return Error{std::string(source) + ": not an xdist-run duration history"};
  }
  const auto version = root.find("version");
  if (version == root.end() || !version->is_number_integer() || version->get<int>() != kVersion) {
    return Error{std::string(source) + ": duration history of another version"};
  }
  const auto tests = root.find("tests");
  if (tests == root.end() || !tests->is_object()) {
    return Error{std::string(source) + ": duration history without tests"};
  }
  DurationHistory history;
  for (const auto& [key, value] : tests->items()) {
    if (!value.is_object()) continue;
    const auto seconds = value.find("seconds");
    if (seconds == value.end() || !seconds->is_number() || seconds->get<double>() < 0) continue;
    history.entries_[key] = {seconds->get<double>(), value.value("failed", false)};
  }
  return history;
}

std::string DurationHistory::Serialize() const {
  nlohmann::json tests = nlohmann::json::object();
  for (const auto& [key, entry] : entries_) {
    tests[key] = {{"seconds", entry.seconds}, {"failed", entry.failed}};
  }
  const nlohmann::json root = {{"format", kFormat}, {"version", kVersion}, {"tests", tests}};
  return root.dump(1) + "\n";
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
