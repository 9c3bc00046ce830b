// XdistCheck.h — the base of every xdist-* check. It builds the TestModel once per
// translation unit (shared by all xdist checks), hands it to the check's Analyze(),
// and turns the check's planned
// findings into clang-tidy diagnostics (with notes, fix-its or markers and the
// include) and into structured Findings for xdist-lint.
#ifndef XDIST_ANALYZER_XDISTCHECK_H
#define XDIST_ANALYZER_XDISTCHECK_H

#include <string>
#include <vector>

#include "FixPlanner.h"
#include "TestModel.h"
#include "Finding.h"
#include "clang-tidy/ClangTidyCheck.h"

namespace xdist::analyzer {

/// A finding as a check plans it, before notes and fixes are arranged.
struct PlannedFinding {
  clang::SourceLocation location;
  const TestCase* test = nullptr;   ///< The test it is reported for, or nullptr.
  std::string resource_key;         ///< Lock key, e.g. "file:/tmp/x".
  std::string resource;             ///< As shown to people, e.g. "/tmp/x".
  Scope scope = Scope::kCrossProcess;
  std::string message;
  std::vector<clang::FixItHint> fix_it;  ///< A safe rewrite; empty when there is none.
  std::string marker;  ///< Marker statement to insert above the test when no fix-it.
};

class XdistCheck : public clang::tidy::ClangTidyCheck {
 public:
  XdistCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context)
      : ClangTidyCheck(name, context) {}

  bool isLanguageVersionSupported(const clang::LangOptions& options) const override {
    return options.CPlusPlus;
  }
  void registerPPCallbacks(const clang::SourceManager& sources, clang::Preprocessor* preprocessor,
                           clang::Preprocessor* module_expander) override;
  void registerMatchers(clang::ast_matchers::MatchFinder* finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult& result) override;
  void onStartOfTranslationUnit() override;

 protected:
  /// Finds the check's hazards in one translation unit.
  virtual std::vector<PlannedFinding> Analyze(const TestModel& model) = 0;

 private:
  void Emit(const TestModel& model, std::vector<PlannedFinding> findings);

  std::vector<IncludeDirective> includes_;
};

/// Options shared by checks: a ';'-separated list.
std::vector<std::string> SplitList(llvm::StringRef list);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_XDISTCHECK_H
