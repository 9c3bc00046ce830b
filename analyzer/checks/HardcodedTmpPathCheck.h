// HardcodedTmpPathCheck.h — xdist-hardcoded-tmp-path (docs/checks/xdist-hardcoded-tmp-path.md).
#ifndef XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H
#define XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H

#include <string>
#include <vector>

#include "XdistCheck.h"

namespace xdist::analyzer {

/// Finds a literal path under a shared temp directory that reaches a file-system or
/// IPC operation from test code. Fix: xdist::TempPath("name") where the rewrite is
/// safe, else XDIST_RESOURCE_LOCK("file:<path>") (or XDIST_NO_PARALLEL) above the test.
///
/// Options: TempDirectories (";"-separated, default "/tmp;/var/tmp;/dev/shm"),
/// ExtraSinkFunctions (";"-separated function names that open or create the path
/// given as their first argument).
class HardcodedTmpPathCheck : public XdistCheck {
 public:
  HardcodedTmpPathCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context);
  void storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) override;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;

 private:
  const std::string temp_directories_option_;
  const std::string extra_sinks_option_;
  const std::vector<std::string> temp_directories_;
  const std::vector<std::string> extra_sinks_;
};

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_HARDCODEDTMPPATHCHECK_H
