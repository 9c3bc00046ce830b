#include "gtest_filter.h"

#include <algorithm>

namespace xdist::run {

namespace {

std::vector<std::string> SplitPatterns(std::string_view text) {
  std::vector<std::string> patterns;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = text.find(':', start);
    patterns.emplace_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return patterns;
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return MatchesGlob(pattern, name); });
}

}  // namespace

GTestFilter::GTestFilter(std::string_view filter) {
  // GoogleTest splits at the first '-': everything after it is negative.
  const std::size_t dash = filter.find('-');
  const std::string_view positive = filter.substr(0, dash);
  positive_ = SplitPatterns(positive.empty() ? std::string_view("*") : positive);
  if (dash != std::string_view::npos) negative_ = SplitPatterns(filter.substr(dash + 1));
}

bool GTestFilter::Matches(std::string_view full_name) const {
  return MatchesAny(positive_, full_name) && !MatchesAny(negative_, full_name);
}

bool MatchesGlob(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace xdist::run
