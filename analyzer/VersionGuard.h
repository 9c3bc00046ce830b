// VersionGuard.h — decides whether the plugin may register into the clang-tidy that
// loaded it. LLVM-free, so it is unit-tested without a clang-tidy process.
#ifndef XDIST_ANALYZER_VERSIONGUARD_H
#define XDIST_ANALYZER_VERSIONGUARD_H

#include <optional>
#include <string>
#include <string_view>

namespace xdist::analyzer {

/// The major version in a clang version string such as
/// "Debian clang version 19.1.7 (++20250114103320+cd708029e0b2-1~exp1~20250114103432.75)".
std::optional<int> ClangMajorVersion(std::string_view full_version);

/// std::nullopt when a plugin built against clang `built_major` can run inside a host
/// whose clang::getClangFullVersion() is `host_full_version`; otherwise the message
/// to print.
std::optional<std::string> VersionMismatch(int built_major, std::string_view host_full_version);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_VERSIONGUARD_H
