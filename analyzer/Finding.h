// Finding.h — the structured form of one analyzer finding, shared by the checks
// (which produce it) and xdist-lint (which reports, summarises and fixes it).
#ifndef XDIST_ANALYZER_FINDING_H
#define XDIST_ANALYZER_FINDING_H

#include <optional>
#include <string>
#include <vector>

namespace xdist::analyzer {

/// Whether a hazard breaks parallel workers (files, ports, IPC) or leaks into the
/// next test of the same process (globals, environment, working directory).
enum class Scope { kCrossProcess, kInProcess };

/// What resolves a finding: a rewrite of the code, a marker above the test, or nothing
/// the analyzer can insert.
enum class FixKind { kFixIt, kMarker, kNone };

const char* ScopeName(Scope scope);
const char* FixKindName(FixKind kind);

/// One text edit, in clang-tidy's terms a Replacement.
struct Edit {
  std::string file;
  unsigned offset = 0;
  unsigned length = 0;
  std::string text;
  bool operator==(const Edit&) const = default;
};

/// A note attached to a finding ("test 'A.B' also uses '/tmp/x'").
struct Note {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  std::string message;
};

/// One finding as the checks see it. `handled` findings (the test already carries a
/// marker for the resource) produce no diagnostic; xdist-lint lists them as handled.
struct Finding {
  std::string check;
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  unsigned offset = 0;
  std::optional<std::string> test;  ///< "Suite.Name"; empty outside a test.
  std::string resource;             ///< The shared resource as a lock key: "file:/tmp/x".
  Scope scope = Scope::kCrossProcess;
  std::string message;
  FixKind fix = FixKind::kNone;
  bool handled = false;
  std::vector<Note> notes;
  std::vector<Edit> edits;  ///< Filled by the engine from clang-tidy's replacements.
};

/// The result of analysing files.
struct Analysis {
  std::vector<Finding> findings;    ///< NOLINT-suppressed findings are left out.
  std::vector<std::string> errors;  ///< Why a file could not be analysed, one per error.
};

/// Receives every finding a check produces, in addition to clang-tidy's diagnostics.
/// xdist-lint installs one; the clang-tidy plugin does not.
class FindingSink {
 public:
  virtual ~FindingSink() = default;
  virtual void Record(Finding finding) = 0;
};

/// The sink checks report to, or nullptr. Not thread-safe: set it before a run.
FindingSink* CurrentFindingSink();
void SetFindingSink(FindingSink* sink);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_FINDING_H
