// GoogleTest's --gtest_filter semantics, for filtering a listing the runner made itself.
#ifndef XDIST_RUNNER_GTEST_FILTER_H
#define XDIST_RUNNER_GTEST_FILTER_H

#include <string>
#include <string_view>
#include <vector>

namespace xdist::run {

/// A filter in GoogleTest's syntax: `POSITIVE[-NEGATIVE]`, each a `:`-separated list of
/// patterns where `*` matches any string and `?` any one character. A name passes when it
/// matches a positive pattern (an empty positive part means `*`) and no negative one.
class GTestFilter {
 public:
  explicit GTestFilter(std::string_view filter);

  /// Whether the full test name ("Suite.Name") passes the filter.
  bool Matches(std::string_view full_name) const;

 private:
  std::vector<std::string> positive_;
  std::vector<std::string> negative_;
};

/// Whether `text` matches the glob `pattern` (`*` and `?`, as GoogleTest matches them).
bool MatchesGlob(std::string_view pattern, std::string_view text);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_GTEST_FILTER_H
