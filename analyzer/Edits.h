// Edits.h — merging and applying the edits of many findings (pure logic, no I/O).
#ifndef XDIST_ANALYZER_EDITS_H
#define XDIST_ANALYZER_EDITS_H

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Finding.h"

namespace xdist::analyzer {

/// Edits grouped by file, ready to apply.
struct EditPlan {
  /// Per file, sorted by offset, non-overlapping. Identical edits appear once;
  /// distinct insertions at one offset are merged in the order they came.
  std::map<std::string, std::vector<Edit>> by_file;
  /// Edits that overlap an earlier one and were dropped, described for people.
  std::vector<std::string> conflicts;
  /// The dropped edits themselves; the caller adds those it could not write.
  std::vector<Edit> dropped;
};

EditPlan PlanEdits(const std::vector<Edit>& edits);

/// Whether `--fix` resolves `finding` with `plan`: it has a fix (a fix-it or a marker)
/// and none of its edits was dropped. A finding whose marker or fix-it another finding
/// carries has no edits of its own and is resolved.
bool FixApplied(const Finding& finding, const EditPlan& plan);

/// Applies `edits` (one file's, as PlanEdits returns them) to `content`; std::nullopt
/// when an edit lies outside the content.
std::optional<std::string> ApplyEdits(const std::string& content, const std::vector<Edit>& edits);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_EDITS_H
