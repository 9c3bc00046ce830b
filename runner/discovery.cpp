#include "discovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "gtest_filter.h"
#include "read_file.h"
#include "shard.h"

namespace xdist::run {

namespace {

struct MarkerRecord {
  std::string kind;
  std::string file;
  int line = 0;
  std::string suite;
  std::string value;
};

// A suite name without an instantiation prefix ("Prefix/") or a type index ("/0").
std::string BareSuite(const std::string& suite) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t slash; (slash = suite.find('/', start)) != std::string::npos; start = slash + 1) {
    parts.push_back(suite.substr(start, slash - start));
  }
  parts.push_back(suite.substr(start));
  const std::string& last = parts.back();
  if (parts.size() > 1 && !last.empty() &&
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    parts.pop_back();
  }
  return parts.size() > 1 ? parts[1] : parts[0];
}

bool IsDisabled(const std::string& suite, const std::string& name) {
  const auto disabled = [](std::string_view part) {
    return part.substr(0, 9) == "DISABLED_";
  };
  if (disabled(name)) return true;
  // Any component of a suite name "Prefix/DISABLED_Suite/0" disables it.
  std::size_t start = 0;
  while (start <= suite.size()) {
    const std::size_t end = std::min(suite.find('/', start), suite.size());
    if (disabled(std::string_view(suite).substr(start, end - start))) return true;
    start = end + 1;
  }
  return false;
}

void Apply(TestCase& test, const MarkerRecord& marker) {
  if (marker.kind == "no_parallel" || marker.kind == "no_parallel_suite") {
    test.no_parallel = true;
    test.markers.push_back("no_parallel(" + marker.value + ")");
  } else if (marker.kind == "group") {
    test.group = marker.value;
    test.markers.push_back("group(" + marker.value + ")");
  } else if (marker.kind == "resource_lock") {
    test.locks.push_back({marker.value, false});
    test.markers.push_back("resource_lock(" + marker.value + ")");
  } else if (marker.kind == "resource_lock_shared") {
    test.locks.push_back({marker.value, true});
    test.markers.push_back("resource_lock_shared(" + marker.value + ")");
  } else if (marker.kind == "needs_network") {
    test.needs_network = true;
    test.markers.push_back("needs_network(" + marker.value + ")");
  }
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  while (lines-- > 0 && at > 0) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
  }
  return text.substr(at == text.size() ? at : at + 1);
}

// Version 2: the listing follows a header line instead of being a string in it.
constexpr int kListingCacheVersion = 2;

// A listing and marker file kept from an earlier run of an unchanged binary.
struct CachedListing {
  std::string listing;
  std::string markers;
};

class ListingCache {
 public:
  ListingCache(const DiscoveryConfig& config, const std::string& binary) {
    if (config.cache_dir.empty()) return;
    struct stat info {};
    if (::stat(binary.c_str(), &info) != 0) return;
    key_ = binary;
    for (const std::string& arg : config.extra_args) key_ += '\n' + arg;
    identity_ = {{"size", static_cast<std::int64_t>(info.st_size)},
                 {"mtime_ns", static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 +
                                  info.st_mtim.tv_nsec},
                 {"inode", static_cast<std::uint64_t>(info.st_ino)}};
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.json",
                  static_cast<unsigned long long>(StableHash(key_)));
    dir_ = config.cache_dir + "/listings";
    path_ = dir_ + "/" + name;
  }

  // The file is a one-line JSON header (format, version, key, identity, markers) followed by
  // GoogleTest's listing as it wrote it, so that the listing is parsed once, not unescaped
  // out of a string first.
  std::optional<CachedListing> Load() const {
    if (path_.empty()) return std::nullopt;
    std::optional<std::string> text = ReadFile(path_);
    if (!text) return std::nullopt;
    const std::size_t end_of_header = text->find('\n');
    if (end_of_header == std::string::npos) return std::nullopt;
    const nlohmann::json header =
        nlohmann::json::parse(std::string_view(*text).substr(0, end_of_header), nullptr, false);
    if (header.is_discarded() || !header.is_object() ||
        header.value("format", "") != "xdist-run-listing" ||
        header.value("version", 0) != kListingCacheVersion || header.value("key", "") != key_ ||
        header.value("identity", nlohmann::json()) != identity_ || !header.contains("markers") ||
        !header["markers"].is_string()) {
      return std::nullopt;
    }
    text->erase(0, end_of_header + 1);
    return CachedListing{std::move(*text), header["markers"].get<std::string>()};
  }

  // Best effort: a listing that cannot be stored is listed again next time.
  void Store(const CachedListing& listing) const {
    if (path_.empty()) return;
    std::error_code error;
    std::filesystem::create_directories(dir_, error);
    const nlohmann::json header = {{"format", "xdist-run-listing"},
                                   {"version", kListingCacheVersion},
                                   {"key", key_},
                                   {"identity", identity_},
                                   {"markers", listing.markers}};
    const std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
          << listing.listing;
      if (!out) return;
    }
    if (std::rename(temporary.c_str(), path_.c_str()) != 0) std::remove(temporary.c_str());
  }

 private:
  std::string key_;
  nlohmann::json identity_;
  std::string dir_;
  std::string path_;
};

}  // namespace

Expected<std::vector<TestCase>> BuildTests(std::size_t binary, std::string_view label,
                                           const std::vector<ListedTest>& listing,
                                           std::string_view marker_text,
                                           std::vector<std::string>& warnings,
                                           std::string_view filter) {
  std::vector<TestCase> tests;
  tests.reserve(listing.size());
  for (const ListedTest& listed : listing) {
    TestCase test;
    test.binary = binary;
    test.order = tests.size();
    test.suite = listed.suite;
    test.name = listed.name;
    test.file = listed.file;
    test.line = listed.line;
    test.type_param = listed.type_param;
    test.value_param = listed.value_param;
    test.disabled = IsDisabled(listed.suite, listed.name);
    tests.push_back(std::move(test));
  }

  std::vector<MarkerRecord> markers;
  std::istringstream lines{std::string(marker_text)};
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("v")) continue;
    if (!record["v"].is_number_integer() || record["v"].get<int>() != 1) {
      return Error{std::string(label) + ": marker record of unknown protocol version " +
                   record["v"].dump() +
                   " (the binary was built against an incompatible xdist/xdist.h)"};
    }
    MarkerRecord marker;
    marker.kind = record.value("kind", "");
    marker.file = record.value("file", "");
    marker.line = record.value("line", 0);
    marker.suite = record.value("suite", "");
    marker.value = record.value("value", "");
    markers.push_back(std::move(marker));
  }

  for (const MarkerRecord& marker : markers) {
    if (marker.kind == "no_parallel_suite") {
      for (TestCase& test : tests) {
        if (BareSuite(test.suite) == marker.suite) Apply(test, marker);
      }
      continue;
    }
    int best_line = 0;
    for (const TestCase& test : tests) {
      if (test.file == marker.file && test.line > marker.line &&
          (best_line == 0 || test.line < best_line)) {
        best_line = test.line;
      }
    }
    if (best_line == 0) {
      warnings.push_back(std::string(label) + ": marker " + marker.kind + "(\"" + marker.value +
                         "\") at " + marker.file + ":" + std::to_string(marker.line) +
                         " is followed by no test; ignored");
      continue;
    }
    for (TestCase& test : tests) {
      if (test.file == marker.file && test.line == best_line) Apply(test, marker);
    }
  }
  // Filtered only now: a marker above a filtered-out test must not reach the next one.
  if (!filter.empty()) {
    const GTestFilter selected(filter);
    std::erase_if(tests, [&](const TestCase& test) { return !selected.Matches(test.FullName()); });
  }
  return tests;
}

Expected<std::vector<TestCase>> DiscoverTests(Launcher& launcher,
                                              const std::vector<Binary>& binaries,
                                              const DiscoveryConfig& config,
                                              std::vector<std::string>& warnings) {
  for (const Binary& binary : binaries) {
    struct stat info {};
    if (::stat(binary.path.c_str(), &info) != 0) {
      return Error{binary.label + ": no such file"};
    }
    if (!S_ISREG(info.st_mode) || ::access(binary.path.c_str(), X_OK) != 0) {
      return Error{binary.label + ": not an executable file"};
    }
  }

  struct Listing {
    std::string json_path;
    std::string marker_path;
    std::string output;
    std::optional<ExitStatus> exit;
    std::optional<CachedListing> cached;
  };
  std::vector<Listing> listings(binaries.size());
  std::vector<ListingCache> caches;
  std::size_t done = 0;
  for (std::size_t index = 0; index < binaries.size(); ++index) {
    caches.emplace_back(config, binaries[index].path);
    listings[index].cached = caches.back().Load();
    if (listings[index].cached) ++done;
  }
  std::map<ProcessId, std::size_t> running;
  std::size_t next = 0;
  while (done < binaries.size()) {
    while (next < binaries.size() && listings[next].cached) ++next;
    while (next < binaries.size() && running.size() < std::max<std::size_t>(1, config.max_parallel)) {
      Listing& listing = listings[next];
      listing.json_path = config.work_dir + "/list-" + std::to_string(next) + ".json";
      listing.marker_path = config.work_dir + "/markers-" + std::to_string(next) + ".jsonl";
      ProcessSpec spec;
      spec.argv = {binaries[next].path, "--gtest_list_tests",
                   "--gtest_output=json:" + listing.json_path};
      spec.argv.insert(spec.argv.end(), config.extra_args.begin(), config.extra_args.end());
      spec.env = config.env;
      spec.env.push_back("XDIST_MARKER_FILE=" + listing.marker_path);
      running[launcher.Start(spec)] = next;
      ++next;
      while (next < binaries.size() && listings[next].cached) ++next;
    }
    for (ProcessEvent& event : launcher.Wait(std::nullopt)) {
      const auto it = running.find(event.id);
      if (it == running.end()) continue;
      Listing& listing = listings[it->second];
      listing.output += event.output;
      if (event.exit) {
        listing.exit = event.exit;
        running.erase(it);
        ++done;
      }
    }
    if (launcher.Interrupted()) return Error{"interrupted while listing tests"};
  }

  std::vector<TestCase> all;
  for (std::size_t index = 0; index < binaries.size(); ++index) {
    const Listing& listing = listings[index];
    const std::string& label = binaries[index].label;
    if (listing.cached) {
      const auto listed = ParseListing(listing.cached->listing, label);
      if (!listed) return listed.error();
      auto tests =
          BuildTests(index, label, *listed, listing.cached->markers, warnings, config.filter);
      if (!tests) return tests.error();
      std::move(tests->begin(), tests->end(), std::back_inserter(all));
      continue;
    }
    const std::optional<std::string> json = ReadFile(listing.json_path);
    std::remove(listing.json_path.c_str());
    const std::optional<std::string> marker_text = ReadFile(listing.marker_path);
    std::remove(listing.marker_path.c_str());
    // Every listing that was not cached has ended by now (the loop above waits for all).
    const ExitStatus exit = listing.exit.value_or(exit_status::StartFailed{"never ran"});
    std::string how;
    if (const auto* failed = std::get_if<exit_status::StartFailed>(&exit)) {
      return Error{label + ": cannot run: " + failed->error};
    }
    if (const auto* signaled = std::get_if<exit_status::Signaled>(&exit)) {
      how = "died with signal " + std::to_string(signaled->signal);
    } else if (const auto* exited = std::get_if<exit_status::Exited>(&exit)) {
      how = "exited with status " + std::to_string(exited->code);
    }
    if (!json) {
      std::string message =
          label + ": not a GoogleTest binary: --gtest_list_tests wrote no JSON listing (" + how + ")";
      if (!listing.output.empty()) message += "; output ends:\n" + Tail(listing.output, 10);
      return Error{std::move(message)};
    }
    const auto listed = ParseListing(*json, label);
    if (!listed) return listed.error();
    auto tests =
        BuildTests(index, label, *listed, marker_text.value_or(""), warnings, config.filter);
    if (!tests) return tests.error();
    caches[index].Store({*json, marker_text.value_or("")});
    std::move(tests->begin(), tests->end(), std::back_inserter(all));
  }
  return all;
}

}  // namespace xdist::run
