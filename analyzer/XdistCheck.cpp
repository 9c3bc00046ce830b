#include "XdistCheck.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Lex/Preprocessor.h"

namespace xdist::analyzer {

using namespace clang;
using namespace clang::ast_matchers;

namespace {
constexpr unsigned kMaxNotes = 5;

// Whether some xdist check already attached `#include <xdist/xdist.h>` to a fix in the
// current translation unit. clang-tidy applies identical insertions of different
// diagnostics twice, so the checks share this. Every check resets it when a
// translation unit starts, before any of them runs.
bool g_include_attached = false;

// The model of the current translation unit, built by the first check that runs and
// shared by the others (building it is most of a check's cost). Reset with the flag.
std::unique_ptr<TestModel> g_model;
}  // namespace

std::vector<std::string> SplitList(llvm::StringRef list) {
  llvm::SmallVector<llvm::StringRef, 8> parts;
  list.split(parts, ';', -1, /*KeepEmpty=*/false);
  std::vector<std::string> result;
  for (llvm::StringRef part : parts) {
    if (!part.trim().empty()) result.push_back(part.trim().str());
  }
  return result;
}

void XdistCheck::registerPPCallbacks(const SourceManager& sources, Preprocessor* preprocessor,
                                     Preprocessor* /*module_expander*/) {
  includes_.clear();
  preprocessor->addPPCallbacks(std::make_unique<IncludeRecorder>(sources, includes_));
}

void XdistCheck::onStartOfTranslationUnit() {
  g_include_attached = false;
  g_model.reset();
}

void XdistCheck::registerMatchers(MatchFinder* finder) {
  // The analysis needs the whole translation unit (tests, fixtures, helpers and the
  // markers above them), and walks only user code itself.
  finder->addMatcher(translationUnitDecl().bind("unit"), this);
}

void XdistCheck::check(const MatchFinder::MatchResult& result) {
  if (g_model == nullptr || &g_model->Context() != result.Context) {
    g_model = TestModel::Build(*result.Context);
  }
  Emit(*g_model, Analyze(*g_model));
}

void XdistCheck::Emit(const TestModel& model, std::vector<PlannedFinding> findings) {
  const SourceManager& sources = model.Context().getSourceManager();
  // Source order, so that diagnostics and stacked markers come out the same every run.
  std::stable_sort(findings.begin(), findings.end(),
                   [&](const PlannedFinding& a, const PlannedFinding& b) {
                     return sources.isBeforeInTranslationUnit(sources.getFileLoc(a.location),
                                                              sources.getFileLoc(b.location));
                   });
  std::optional<FixItHint> include = InsertXdistInclude(sources, includes_);
  // A fix-it shared by several findings (client and server of one port) is attached
  // once; it is known by all its edits, since distinct fixes may start at one offset
  // (the port variables declared at the top of a test body).
  std::set<std::string> attached_fixes;
  std::set<std::pair<const TestCase*, std::string>> placed_markers;

  // Which tests use which resource, for the notes.
  std::map<std::string, std::vector<const PlannedFinding*>> by_resource;
  for (const PlannedFinding& finding : findings) {
    by_resource[finding.resource_key].push_back(&finding);
  }

  for (const PlannedFinding& finding : findings) {
    const SourceLocation location = sources.getFileLoc(finding.location);
    Finding record;
    record.check = getID().str();
    record.file = sources.getFilename(location).str();
    record.line = sources.getSpellingLineNumber(location);
    record.column = sources.getSpellingColumnNumber(location);
    record.offset = sources.getFileOffset(location);
    if (finding.test != nullptr) record.test = finding.test->DisplayName();
    record.resource = finding.resource_key;
    record.scope = finding.scope;
    record.message = finding.message;

    if (finding.test != nullptr && model.IsHandled(*finding.test, finding.resource_key)) {
      record.handled = true;
      record.fix = FixKind::kMarker;
      if (FindingSink* sink = CurrentFindingSink()) sink->Record(std::move(record));
      continue;
    }

    std::vector<FixItHint> hints;
    if (!finding.fix_it.empty()) {
      record.fix = FixKind::kFixIt;
      std::string key;
      for (const FixItHint& hint : finding.fix_it) {
        const CharSourceRange range = hint.RemoveRange;
        key += std::to_string(sources.getFileOffset(sources.getFileLoc(range.getBegin()))) + ":" +
               std::to_string(sources.getFileOffset(sources.getFileLoc(range.getEnd()))) + ":" +
               hint.CodeToInsert + "\n";
      }
      if (attached_fixes.insert(key).second) {
        hints = finding.fix_it;
      }
    } else if (finding.test != nullptr && !finding.marker.empty()) {
      if (placed_markers.insert({finding.test, finding.marker}).second) {
        if (auto marker =
                InsertMarkerAbove(sources, finding.test->macro_location, finding.marker)) {
          hints.push_back(*marker);
          record.fix = FixKind::kMarker;
        }
      } else {
        record.fix = FixKind::kMarker;
      }
    }
    if (!hints.empty() && include && !g_include_attached &&
        sources.getFileID(location) == sources.getMainFileID()) {
      hints.push_back(*include);
      g_include_attached = true;
    }

    {
      DiagnosticBuilder builder = diag(location, "%0") << finding.message;
      for (const FixItHint& hint : hints) builder << hint;
    }
    std::set<const TestCase*> noted{finding.test};
    for (const PlannedFinding* other : by_resource[finding.resource_key]) {
      if (other->test == nullptr || noted.size() > kMaxNotes ||
          !noted.insert(other->test).second) {
        continue;
      }
      const std::string note = "test '" + other->test->DisplayName() + "' also uses '" +
                               other->resource + "'";
      const SourceLocation other_location = sources.getFileLoc(other->location);
      diag(other_location, "%0", DiagnosticIDs::Note) << note;
      record.notes.push_back({sources.getFilename(other_location).str(),
                              sources.getSpellingLineNumber(other_location),
                              sources.getSpellingColumnNumber(other_location), note});
    }
    if (FindingSink* sink = CurrentFindingSink()) sink->Record(std::move(record));
  }
}

}  // namespace xdist::analyzer
