// LintConfig.h — xdist-lint's configuration file, .xdist-lint.yaml. Its keys are
// those of a .clang-tidy file, so one set of option names serves both front ends:
//
//   Checks: '-*,xdist-*'
//   TestSourceRegex: '_test\.cpp$'
//   CheckOptions:
//     xdist-hardcoded-tmp-path.TempDirectories: '/tmp;/var/tmp;/scratch'
//
// (CheckOptions may also be clang-tidy's older list form: `- key: K` / `value: V`.)
// This translation unit is the only one that uses yaml-cpp, which needs exceptions.
#ifndef XDIST_ANALYZER_LINTCONFIG_H
#define XDIST_ANALYZER_LINTCONFIG_H

#include <map>
#include <optional>
#include <string>
#include <variant>

namespace xdist::analyzer {

inline constexpr const char* kConfigFileName = ".xdist-lint.yaml";

struct LintConfig {
  std::string checks = "-*,xdist-*";
  /// Files of the compilation database whose path matches are test sources even when
  /// they do not include GoogleTest directly. Empty: none.
  std::string test_source_regex;
  std::map<std::string, std::string> check_options;
};

/// Parses a configuration; on error, a message naming `origin` and the problem.
std::variant<LintConfig, std::string> ParseLintConfig(const std::string& text,
                                                      const std::string& origin);

/// The nearest .xdist-lint.yaml in `directory` or one of its parents.
std::optional<std::string> FindLintConfig(const std::string& directory);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_LINTCONFIG_H
