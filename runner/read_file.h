// Reading a whole file at once: reports, listings and the duration history.
#ifndef XDIST_RUNNER_READ_FILE_H
#define XDIST_RUNNER_READ_FILE_H

#include <optional>
#include <string>

namespace xdist::run {

/// The file's bytes, or nullopt when it cannot be opened or read.
std::optional<std::string> ReadFile(const std::string& path);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_READ_FILE_H
