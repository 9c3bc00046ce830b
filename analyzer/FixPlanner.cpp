#include "FixPlanner.h"

#include <algorithm>

namespace xdist::analyzer {

using namespace clang;

namespace {
constexpr llvm::StringLiteral kXdistHeader = "xdist/xdist.h";
}  // namespace

void IncludeRecorder::InclusionDirective(SourceLocation hash, const Token& /*include_token*/,
                                         llvm::StringRef file_name, bool /*angled*/,
                                         CharSourceRange /*file_name_range*/,
                                         OptionalFileEntryRef /*file*/,
                                         llvm::StringRef /*search_path*/,
                                         llvm::StringRef /*relative_path*/,
                                         const Module* /*suggested_module*/,
                                         bool /*module_imported*/,
                                         SrcMgr::CharacteristicKind /*file_type*/) {
  if (!sources_.isWrittenInMainFile(hash)) return;
  includes_.push_back({file_name.str(), sources_.getSpellingLineNumber(hash)});
}

std::string QuoteString(llvm::StringRef text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string MarkerStatement(llvm::StringRef macro, llvm::StringRef argument) {
  return (macro + "(" + QuoteString(argument) + ");").str();
}

std::optional<FixItHint> InsertMarkerAbove(const SourceManager& sources,
                                           SourceLocation test_macro, llvm::StringRef statement) {
  if (test_macro.isInvalid() || !test_macro.isFileID()) return std::nullopt;
  const FileID file = sources.getFileID(test_macro);
  const unsigned line = sources.getSpellingLineNumber(test_macro);
  const SourceLocation line_start = sources.translateLineCol(file, line, 1);
  bool invalid = false;
  const char* data = sources.getCharacterData(line_start, &invalid);
  if (invalid) return std::nullopt;
  std::string indent;
  for (const char* cursor = data; *cursor == ' ' || *cursor == '\t'; ++cursor) indent += *cursor;
  return FixItHint::CreateInsertion(line_start, indent + statement.str() + "\n");
}

std::optional<FixItHint> InsertXdistInclude(const SourceManager& sources,
                                            const std::vector<IncludeDirective>& includes) {
  const auto has_header = [](const IncludeDirective& include) {
    return include.name == kXdistHeader;
  };
  if (std::any_of(includes.begin(), includes.end(), has_header)) return std::nullopt;
  const FileID main = sources.getMainFileID();
  const std::string directive = "#include <" + kXdistHeader.str() + ">\n";
  if (includes.empty()) {
    return FixItHint::CreateInsertion(sources.getLocForStartOfFile(main), directive);
  }
  std::vector<IncludeDirective> sorted = includes;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.line < b.line; });
  // Blocks are runs of #include lines with no other line between them.
  auto gtest = std::find_if(sorted.begin(), sorted.end(), [](const IncludeDirective& include) {
    return llvm::StringRef(include.name).starts_with("gtest/") ||
           llvm::StringRef(include.name).starts_with("gmock/");
  });
  unsigned insert_line = sorted.back().line + 1;
  if (gtest != sorted.end()) {
    auto first = gtest;
    while (first != sorted.begin() && std::prev(first)->line + 1 == first->line) --first;
    auto last = gtest;
    while (std::next(last) != sorted.end() && std::next(last)->line == last->line + 1) ++last;
    insert_line = last->line + 1;
    for (auto it = first; it != std::next(last); ++it) {
      if (it->name > kXdistHeader) {
        insert_line = it->line;
        break;
      }
    }
  }
  const SourceLocation location = sources.translateLineCol(main, insert_line, 1);
  return FixItHint::CreateInsertion(location, directive);
}

}  // namespace xdist::analyzer
