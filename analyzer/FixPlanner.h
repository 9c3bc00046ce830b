// FixPlanner.h — the edits every check shares: a marker statement on the line above
// a test, and `#include <xdist/xdist.h>` once, in the right include block.
#ifndef XDIST_ANALYZER_FIXPLANNER_H
#define XDIST_ANALYZER_FIXPLANNER_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/PPCallbacks.h"
#include "llvm/ADT/StringRef.h"

namespace xdist::analyzer {

/// One #include directive of the main file.
struct IncludeDirective {
  std::string name;  ///< As written between the quotes or angle brackets.
  unsigned line = 0;
};

/// Records the main file's #include directives while the preprocessor runs.
class IncludeRecorder : public clang::PPCallbacks {
 public:
  IncludeRecorder(const clang::SourceManager& sources, std::vector<IncludeDirective>& includes)
      : sources_(sources), includes_(includes) {}
  void InclusionDirective(clang::SourceLocation hash, const clang::Token& include_token,
                          llvm::StringRef file_name, bool angled,
                          clang::CharSourceRange file_name_range, clang::OptionalFileEntryRef file,
                          llvm::StringRef search_path, llvm::StringRef relative_path,
                          const clang::Module* suggested_module, bool module_imported,
                          clang::SrcMgr::CharacteristicKind file_type) override;

 private:
  const clang::SourceManager& sources_;
  std::vector<IncludeDirective>& includes_;
};

/// The C++ spelling of `text` as a narrow string literal, quotes included.
std::string QuoteString(llvm::StringRef text);

/// A marker statement, e.g. MarkerStatement("XDIST_RESOURCE_LOCK", "file:/tmp/x")
/// is `XDIST_RESOURCE_LOCK("file:/tmp/x");`.
std::string MarkerStatement(llvm::StringRef macro, llvm::StringRef argument);

/// Inserts `statement` on its own line directly above the line of `test_macro`,
/// indented like it. std::nullopt when the location is not in an editable file.
std::optional<clang::FixItHint> InsertMarkerAbove(const clang::SourceManager& sources,
                                                  clang::SourceLocation test_macro,
                                                  llvm::StringRef statement);

/// Inserts `#include <xdist/xdist.h>` into the main file: inside the block that
/// includes GoogleTest, in alphabetical position; else after the last #include; else
/// at the top. std::nullopt when the file already includes it.
std::optional<clang::FixItHint> InsertXdistInclude(const clang::SourceManager& sources,
                                                   const std::vector<IncludeDirective>& includes);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_FIXPLANNER_H
