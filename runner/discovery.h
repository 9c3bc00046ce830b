// Collects the tests of each binary with their markers (docs/markers.md).
#ifndef XDIST_RUNNER_DISCOVERY_H
#define XDIST_RUNNER_DISCOVERY_H

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"
#include "gtest_report.h"
#include "launcher.h"
#include "test_case.h"

namespace xdist::run {

/// Builds the tests of binary number `binary` from its complete (unfiltered) listing and its
/// marker file's text (empty when the binary wrote none). DISABLED_ tests are flagged. Markers
/// are attached per docs/markers.md; a marker followed by no test adds a warning; a record of an
/// unknown protocol version is an error naming the binary (`label`). Then only the tests that
/// pass the GoogleTest `filter` (empty for all) are kept, with their registration order.
Expected<std::vector<TestCase>> BuildTests(std::size_t binary, std::string_view label,
                                           const std::vector<ListedTest>& listing,
                                           std::string_view marker_text,
                                           std::vector<std::string>& warnings,
                                           std::string_view filter = {});

struct DiscoveryConfig {
  std::string work_dir;                  ///< where listings and marker files are written
  std::vector<std::string> env;          ///< environment of the listing processes
  std::vector<std::string> extra_args;   ///< the user's arguments after `--`
  /// GoogleTest filter (-k); empty for all. Applied by the runner after the markers are
  /// attached to the complete listing (a binary is always listed unfiltered).
  std::string filter;
  std::size_t max_parallel = 4;          ///< listings running at once
  /// Where listings are kept for reuse (`<dir>/listings/`); empty for no reuse. A binary is
  /// listed again when its size, modification time or inode changed, or the extra arguments
  /// differ.
  std::string cache_dir;
};

/// Lists every binary (several at once) with `BIN --gtest_list_tests --gtest_output=json:F`
/// and XDIST_MARKER_FILE set, or reuses its cached listing, and returns all tests, binary by
/// binary in listing order.
/// A binary that is missing, not executable or not a GoogleTest binary is an error naming it.
Expected<std::vector<TestCase>> DiscoverTests(Launcher& launcher,
                                              const std::vector<Binary>& binaries,
                                              const DiscoveryConfig& config,
                                              std::vector<std::string>& warnings);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_DISCOVERY_H
