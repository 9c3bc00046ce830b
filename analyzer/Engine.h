// Engine.h — runs the xdist-* checks through clang-tidy's own engine on files of a
// compilation database and returns structured findings.
#ifndef XDIST_ANALYZER_ENGINE_H
#define XDIST_ANALYZER_ENGINE_H

#include <map>
#include <string>
#include <vector>

#include "Finding.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/IntrusiveRefCntPtr.h"
#include "llvm/Support/VirtualFileSystem.h"

namespace xdist::analyzer {

struct EngineOptions {
  std::string checks = "-*,xdist-*";
  /// The same keys as .clang-tidy CheckOptions ("xdist-hardcoded-tmp-path.TempDirectories").
  std::map<std::string, std::string> check_options;
  /// Passed as -resource-dir to every compilation; empty to leave the command alone.
  std::string resource_dir;
};

/// Analyses `files` with the commands `database` gives for them. `file_system`
/// (optional) overlays the real file system, e.g. with edited contents.
Analysis AnalyzeFiles(const clang::tooling::CompilationDatabase& database,
                      llvm::ArrayRef<std::string> files, const EngineOptions& options,
                      llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> file_system = nullptr);

/// The clang resource directory to pass: the one found at build time when it exists,
/// else the one `clang-19 -print-resource-dir` style discovery finds next to the
/// running clang installation; empty when none is found.
std::string DefaultResourceDir();

/// Writes clang-tidy's export-fixes YAML (what clang-apply-replacements reads) for
/// `findings` that carry edits.
std::string ExportFixesYaml(llvm::StringRef main_file, const std::vector<Finding>& findings);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_ENGINE_H
