#include "VersionGuard.h"

#include <cctype>

namespace xdist::analyzer {

std::optional<int> ClangMajorVersion(std::string_view full_version) {
  constexpr std::string_view kMarker = "clang version ";
  const std::size_t start = full_version.find(kMarker);
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t cursor = start + kMarker.size();
  int major = 0;
  bool digits = false;
  while (cursor < full_version.size() &&
         std::isdigit(static_cast<unsigned char>(full_version[cursor]))) {
    major = major * 10 + (full_version[cursor] - '0');
    digits = true;
    ++cursor;
  }
  if (!digits) return std::nullopt;
  return major;
}

std::optional<std::string> VersionMismatch(int built_major, std::string_view host_full_version) {
  const std::optional<int> host_major = ClangMajorVersion(host_full_version);
  if (!host_major) {
    return "xdist-tidy: cannot tell the clang version of this clang-tidy (\"" +
           std::string(host_full_version) + "\"); the plugin was built for clang " +
           std::to_string(built_major) + " and does not load into an unknown version";
  }
  if (*host_major == built_major) return std::nullopt;
  return "xdist-tidy: this plugin was built for clang-tidy " + std::to_string(built_major) +
         " but was loaded into clang-tidy " + std::to_string(*host_major) +
         "; its checks would silently report nothing. Use clang-tidy-" +
         std::to_string(built_major) + ", or rebuild xdist against LLVM " +
         std::to_string(*host_major);
}

}  // namespace xdist::analyzer
