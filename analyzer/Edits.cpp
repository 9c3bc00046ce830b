#include "Edits.h"

#include <algorithm>

namespace xdist::analyzer {

EditPlan PlanEdits(const std::vector<Edit>& edits) {
  EditPlan plan;
  std::map<std::string, std::vector<Edit>> pending;
  for (const Edit& edit : edits) {
    std::vector<Edit>& file = pending[edit.file];
    if (std::find(file.begin(), file.end(), edit) == file.end()) file.push_back(edit);
  }
  for (auto& [file, list] : pending) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
    std::vector<Edit>& out = plan.by_file[file];
    for (const Edit& edit : list) {
      if (!out.empty()) {
        Edit& last = out.back();
        if (last.length == 0 && edit.length == 0 && last.offset == edit.offset) {
          // Two insertions at one place (say, two markers above one test): keep both.
          if (last.text.find(edit.text) == std::string::npos) last.text += edit.text;
          continue;
        }
        if (edit.offset < last.offset + last.length ||
            (edit.offset == last.offset && edit.length > 0 && last.length > 0)) {
          plan.conflicts.push_back(file + ": edit at offset " + std::to_string(edit.offset) +
                                   " overlaps another edit and was not applied");
          plan.dropped.push_back(edit);
          continue;
        }
      }
      out.push_back(edit);
    }
  }
  return plan;
}

bool FixApplied(const Finding& finding, const EditPlan& plan) {
  if (finding.fix == FixKind::kNone) return false;
  return std::none_of(finding.edits.begin(), finding.edits.end(), [&](const Edit& edit) {
    return std::find(plan.dropped.begin(), plan.dropped.end(), edit) != plan.dropped.end();
  });
}

std::optional<std::string> ApplyEdits(const std::string& content, const std::vector<Edit>& edits) {
  std::string result;
  result.reserve(content.size() + 256);
  std::size_t cursor = 0;
  for (const Edit& edit : edits) {
    if (edit.offset < cursor || edit.offset + edit.length > content.size()) return std::nullopt;
    result.append(content, cursor, edit.offset - cursor);
    result += edit.text;
    cursor = edit.offset + edit.length;
  }
  result.append(content, cursor, std::string::npos);
  return result;
}

}  // namespace xdist::analyzer
