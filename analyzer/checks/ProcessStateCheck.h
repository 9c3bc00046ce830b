// ProcessStateCheck.h — xdist-process-state (docs/checks/xdist-process-state.md).
#ifndef XDIST_ANALYZER_CHECKS_PROCESSSTATECHECK_H
#define XDIST_ANALYZER_CHECKS_PROCESSSTATECHECK_H

#include <string>
#include <vector>

#include "XdistCheck.h"

namespace xdist::analyzer {

/// Finds calls from test code that change process-wide state (environment, working
/// directory, umask, locale, signal dispositions, terminate/new handlers, the rand()
/// seed) and do not restore it. Fix: xdist::ScopedEnv for setenv/unsetenv and
/// xdist::ScopedCwd for chdir in a test body, else a marker above the test.
///
/// Option: Functions (";"-separated names of more functions that change process state).
class ProcessStateCheck : public XdistCheck {
 public:
  ProcessStateCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context);
  void storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) override;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;

 private:
  const std::string functions_option_;
  const std::vector<std::string> functions_;
};

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_PROCESSSTATECHECK_H
