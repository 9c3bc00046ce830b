// Report.h — xdist-lint's outputs (pure formatting): JSON and text findings, the
// summary of resources shared across tests and files, and the JSON a worker process
// hands back to the driver.
#ifndef XDIST_ANALYZER_REPORT_H
#define XDIST_ANALYZER_REPORT_H

#include <optional>
#include <string>
#include <vector>

#include "Finding.h"

namespace xdist::analyzer {

/// The --format=json document: an array of findings with check, file, line, column,
/// test (or null), resource, scope, message, fix ("fix-it", "marker", "none"),
/// handled and notes.
std::string FindingsJson(const std::vector<Finding>& findings);

/// Compiler-style lines: `file:line:col: warning: message [check]` and notes.
/// Handled findings are left out.
std::string FindingsText(const std::vector<Finding>& findings);

/// One line per resource that several tests use, e.g.
/// "3 tests use file:/tmp/x: A.B (a_test.cpp:12), C.D (b_test.cpp:40), ...".
std::vector<std::string> SharedResources(const std::vector<Finding>& findings);

/// The worker-to-driver form of an Analysis, edits and offsets included.
std::string SerializeAnalysis(const Analysis& analysis);
std::optional<Analysis> DeserializeAnalysis(const std::string& text);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_REPORT_H
