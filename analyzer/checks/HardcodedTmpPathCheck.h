// HardcodedTmpPathCheck.h — xdist-hardcoded-tmp-path (docs/checks/xdist-hardcoded-tmp-path.md).
#ifndef XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H
#define XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H

#include <string>
#include <vector>

#include "XdistCheck.h"
#include "llvm/Support/Regex.h"

namespace xdist::analyzer {

/// Finds a literal path that tests running in parallel share: one under a shared temp
/// directory that reaches a file-system or IPC operation, and (RelativePaths) a
/// relative one that reaches an operation writing in the working directory. Fix:
/// xdist::TempPath("name") where the rewrite is safe (together with every other use
/// of the same path in the test), else XDIST_RESOURCE_LOCK("file:<path>") (or
/// XDIST_NO_PARALLEL) above the test.
///
/// Options: TempDirectories (";"-separated, default "/tmp;/var/tmp;/dev/shm"),
/// ExtraSinkFunctions (";"-separated function names that open or create the path
/// given as their first argument), PathParameterPattern (case-insensitive regex: a
/// parameter of a function defined in another translation unit that takes a path),
/// ReadFunctionPattern (regex: names of such functions that only read the path),
/// RelativePaths (bool, default true).
class HardcodedTmpPathCheck : public XdistCheck {
 public:
  HardcodedTmpPathCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context);
  void storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) override;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;

 private:
  /// `value` as a boolean option, or `fallback` (with a configuration error naming
  /// `option`) when it is neither true nor false.
  bool ParseBool(llvm::StringRef option, llvm::StringRef value, bool fallback) const;
  /// `pattern` compiled with `flags`, or `fallback` (with a configuration error
  /// naming `option`) when it does not compile.
  llvm::Regex Compile(llvm::StringRef option, const std::string& pattern, llvm::StringRef fallback,
                      llvm::Regex::RegexFlags flags) const;

  const std::string temp_directories_option_;
  const std::string extra_sinks_option_;
  const std::string path_parameter_option_;
  const std::string read_function_option_;
  const bool relative_paths_;
  const std::vector<std::string> temp_directories_;
  const std::vector<std::string> extra_sinks_;
  const llvm::Regex path_parameter_pattern_;
  const llvm::Regex read_function_pattern_;
};

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H
