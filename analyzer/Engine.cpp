#include "Engine.h"

#include "XdistModule.h"
#include "clang-tidy/ClangTidy.h"
#include "clang-tidy/ClangTidyDiagnosticConsumer.h"
#include "clang-tidy/ClangTidyOptions.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CommonOptionsParser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

class CollectingSink : public FindingSink {
 public:
  void Record(Finding finding) override { findings.push_back(std::move(finding)); }
  std::vector<Finding> findings;
};

// Restores the previous sink however AnalyzeFiles returns.
class ScopedSink {
 public:
  explicit ScopedSink(FindingSink* sink) : previous_(CurrentFindingSink()) { SetFindingSink(sink); }
  ScopedSink(const ScopedSink&) = delete;
  ScopedSink& operator=(const ScopedSink&) = delete;
  ~ScopedSink() { SetFindingSink(previous_); }

 private:
  FindingSink* previous_;
};

std::vector<Edit> EditsOf(const tooling::DiagnosticMessage& message) {
  std::vector<Edit> edits;
  for (const auto& [file, replacements] : message.Fix) {
    for (const tooling::Replacement& replacement : replacements) {
      edits.push_back({replacement.getFilePath().str(), replacement.getOffset(),
                       replacement.getLength(), replacement.getReplacementText().str()});
    }
  }
  return edits;
}

// "file:line:col: message", or the bare message for errors outside any file (a bad
// command-line flag).
std::string Describe(const tidy::ClangTidyError& error) {
  const tooling::DiagnosticMessage& message = error.Message;
  if (message.FilePath.empty()) return message.Message;
  unsigned line = 1;
  unsigned column = 1;
  if (auto buffer = llvm::MemoryBuffer::getFile(message.FilePath)) {
    const llvm::StringRef text = (*buffer)->getBuffer();
    for (unsigned offset = 0; offset < message.FileOffset && offset < text.size(); ++offset) {
      if (text[offset] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }
  return message.FilePath + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
         message.Message;
}

}  // namespace

Analysis AnalyzeFiles(const tooling::CompilationDatabase& database,
                      llvm::ArrayRef<std::string> files, const EngineOptions& options,
                      llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> file_system) {
  RegisterXdistModule();
  tidy::ClangTidyOptions tidy_options = tidy::ClangTidyOptions::getDefaults();
  tidy_options.Checks = options.checks;
  tidy_options.HeaderFilterRegex = "";
  for (const auto& [key, value] : options.check_options) {
    tidy_options.CheckOptions[key] = tidy::ClangTidyOptions::ClangTidyValue(value);
  }
  tidy::ClangTidyContext context(std::make_unique<tidy::DefaultOptionsProvider>(
      tidy::ClangTidyGlobalOptions(), std::move(tidy_options)));

  // ArgumentsAdjustingCompilations owns its inner database; wrap a forwarding view.
  class Forwarding : public tooling::CompilationDatabase {
   public:
    explicit Forwarding(const tooling::CompilationDatabase& inner) : inner_(inner) {}
    std::vector<tooling::CompileCommand> getCompileCommands(llvm::StringRef file) const override {
      return inner_.getCompileCommands(file);
    }
    std::vector<std::string> getAllFiles() const override { return inner_.getAllFiles(); }
    std::vector<tooling::CompileCommand> getAllCompileCommands() const override {
      return inner_.getAllCompileCommands();
    }

   private:
    const tooling::CompilationDatabase& inner_;
  };
  tooling::ArgumentsAdjustingCompilations adjusted(std::make_unique<Forwarding>(database));
  // Commands written for gcc carry warning flags clang does not know, often with
  // -Werror; warnings are not what the analysis is about, so they never fail it.
  // Without carets the compiler also drops its "N warnings generated." line per file,
  // which only counted our own findings again.
  adjusted.appendArgumentsAdjuster(tooling::getInsertArgumentAdjuster(
      tooling::CommandLineArguments{"-Wno-error", "-Wno-unknown-warning-option",
                                    "-fno-caret-diagnostics"},
      tooling::ArgumentInsertPosition::END));
  if (!options.resource_dir.empty()) {
    adjusted.appendArgumentsAdjuster(tooling::getInsertArgumentAdjuster(
        ("-resource-dir=" + options.resource_dir).c_str(), tooling::ArgumentInsertPosition::END));
  }

  if (!file_system) {
    file_system = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(
        llvm::vfs::getRealFileSystem());
  }
  CollectingSink sink;
  std::vector<tidy::ClangTidyError> errors;
  {
    ScopedSink scoped(&sink);
    errors = tidy::runClangTidy(context, adjusted, files, file_system, /*ApplyAnyFix=*/false);
  }

  Analysis analysis;
  for (const tidy::ClangTidyError& error : errors) {
    if (!llvm::StringRef(error.DiagnosticName).starts_with("xdist-")) {
      if (error.DiagLevel == tidy::ClangTidyError::Error) analysis.errors.push_back(Describe(error));
      continue;
    }
    for (Finding& finding : sink.findings) {
      if (!finding.handled && finding.check == error.DiagnosticName &&
          finding.offset == error.Message.FileOffset && finding.message == error.Message.Message &&
          finding.edits.empty()) {
        finding.edits = EditsOf(error.Message);
        finding.file = error.Message.FilePath;
        analysis.findings.push_back(finding);
        break;
      }
    }
  }
  for (Finding& finding : sink.findings) {
    if (finding.handled) analysis.findings.push_back(std::move(finding));
  }
  return analysis;
}

std::string DefaultResourceDir() {
  if (llvm::sys::fs::is_directory(XDIST_CLANG_RESOURCE_DIR "/include")) {
    return XDIST_CLANG_RESOURCE_DIR;
  }
  // Another installation: ask the clang driver of our major version where its
  // builtin headers are.
  for (const char* name : {"clang-19", "clang"}) {
    llvm::ErrorOr<std::string> clang = llvm::sys::findProgramByName(name);
    if (!clang) continue;
    llvm::SmallString<128> output;
    if (llvm::sys::fs::createTemporaryFile("xdist-resource-dir", "txt", output)) continue;
    const std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(output),
                                                        std::nullopt};
    const int status = llvm::sys::ExecuteAndWait(*clang, {*clang, "-print-resource-dir"},
                                                 std::nullopt, redirects);
    auto buffer = llvm::MemoryBuffer::getFile(output);
    llvm::sys::fs::remove(output);
    if (status == 0 && buffer) {
      const std::string directory = (*buffer)->getBuffer().trim().str();
      if (llvm::sys::fs::is_directory(directory + "/include")) return directory;
    }
  }
  return "";
}

std::string ExportFixesYaml(llvm::StringRef main_file, const std::vector<Finding>& findings) {
  std::vector<tidy::ClangTidyError> errors;
  for (const Finding& finding : findings) {
    if (finding.edits.empty()) continue;
    tidy::ClangTidyError error(finding.check, tidy::ClangTidyError::Warning, "", false);
    error.Message = tooling::DiagnosticMessage(finding.message);
    error.Message.FilePath = finding.file;
    error.Message.FileOffset = finding.offset;
    for (const Edit& edit : finding.edits) {
      llvm::consumeError(error.Message.Fix[edit.file].add(
          tooling::Replacement(edit.file, edit.offset, edit.length, edit.text)));
    }
    errors.push_back(std::move(error));
  }
  std::string yaml;
  llvm::raw_string_ostream out(yaml);
  tidy::exportReplacements(main_file, errors, out);
  return yaml;
}

}  // namespace xdist::analyzer
