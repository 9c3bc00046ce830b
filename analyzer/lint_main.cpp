// xdist-lint — runs the xdist-* clang-tidy checks over a project's test sources.
//
//   xdist-lint [-p BUILD_DIR] [--fix] [--export-fixes=FILE] [--format=text|json]
//              [--config=FILE] [-j N] [FILES...]
//
// Exit status: 0 nothing unresolved, 1 findings remain, 2 usage error or a file that
// could not be analysed (the other files are still analysed). See docs/xdist-lint.md.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "Edits.h"
#include "Engine.h"
#include "LintConfig.h"
#include "Report.h"
#include "Worker.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "llvm/Support/CommandLine.h"

namespace {

namespace fs = std::filesystem;
using namespace xdist::analyzer;

llvm::cl::OptionCategory kCategory("xdist-lint options");
llvm::cl::opt<std::string> g_build_dir("p", llvm::cl::desc("Build directory with compile_commands.json"),
                                       llvm::cl::value_desc("BUILD_DIR"), llvm::cl::cat(kCategory));
llvm::cl::opt<bool> g_fix("fix", llvm::cl::desc("Apply fix-its and insert markers"),
                          llvm::cl::cat(kCategory));
llvm::cl::opt<std::string> g_export_fixes(
    "export-fixes", llvm::cl::desc("Write fixes as clang-apply-replacements YAML to FILE"),
    llvm::cl::value_desc("FILE"), llvm::cl::cat(kCategory));
llvm::cl::opt<std::string> g_format("format", llvm::cl::desc("Output format: text or json"),
                                    llvm::cl::init("text"), llvm::cl::cat(kCategory));
llvm::cl::opt<std::string> g_config("config",
                                    llvm::cl::desc("Configuration file (default: the nearest "
                                                   ".xdist-lint.yaml above each source)"),
                                    llvm::cl::value_desc("FILE"), llvm::cl::cat(kCategory));
llvm::cl::opt<unsigned> g_jobs("j", llvm::cl::desc("Files analysed in parallel (default: cores)"),
                               llvm::cl::init(0), llvm::cl::cat(kCategory));
llvm::cl::list<std::string> g_files(llvm::cl::Positional, llvm::cl::desc("[FILES...]"),
                                    llvm::cl::cat(kCategory));

constexpr int kClean = 0;
constexpr int kFindings = 1;
constexpr int kError = 2;

void PrintError(const std::string& message) {
  std::fprintf(stderr, "xdist-lint: error: %s\n", message.c_str());
}

// Writes to stdout; a closed pipe (`| head`) must not end the run before the fixes
// are written, so SIGPIPE is ignored and write errors are dropped.
void PrintOut(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

std::string ReadFile(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// True when a line starts with TEST(, TEST_F(, TEST_P(, TYPED_TEST( or TYPED_TEST_P(.
bool DefinesTests(const std::string& content) {
  static constexpr std::string_view kMacros[] = {"TEST", "TEST_F", "TEST_P", "TYPED_TEST",
                                                 "TYPED_TEST_P"};
  for (std::size_t line = 0; line < content.size();) {
    std::size_t at = content.find_first_not_of(" \t", line);
    const std::size_t end = std::min(content.find('\n', line), content.size());
    if (at < end) {
      for (const std::string_view macro : kMacros) {
        if (content.compare(at, macro.size(), macro) != 0) continue;
        const std::size_t paren = content.find_first_not_of(" \t", at + macro.size());
        if (paren < end && content[paren] == '(') return true;
      }
    }
    line = end + 1;
  }
  return false;
}

// A test source includes GoogleTest (or gMock), defines tests (projects often include
// GoogleTest through a header of their own: `#include "test_util.h"`), or matches the
// configured pattern.
bool IsTestSource(const std::string& path, const std::string& pattern) {
  if (!pattern.empty() && std::regex_search(path, std::regex(pattern))) return true;
  bool ok = false;
  const std::string content = ReadFile(path, ok);
  static const std::regex kInclude(R"(#\s*include\s*[<"](gtest|gmock)/)");
  return ok && (std::regex_search(content, kInclude) || DefinesTests(content));
}

class ConfigCache {
 public:
  // The configuration that applies to `file`; nullptr after printing an error.
  const LintConfig* For(const std::string& file) {
    std::string path = g_config;
    if (path.empty()) path = FindLintConfig(fs::path(file).parent_path().string()).value_or("");
    const auto found = configs_.find(path);
    if (found != configs_.end()) return &found->second;
    LintConfig config;
    if (!path.empty()) {
      bool ok = false;
      const std::string text = ReadFile(path, ok);
      if (!ok) {
        PrintError("cannot read configuration " + path);
        return nullptr;
      }
      auto parsed = ParseLintConfig(text, path);
      if (auto* error = std::get_if<std::string>(&parsed)) {
        PrintError("invalid configuration " + *error);
        return nullptr;
      }
      config = std::get<LintConfig>(std::move(parsed));
    }
    return &configs_.emplace(path, std::move(config)).first->second;
  }

 private:
  std::map<std::string, LintConfig> configs_;
};

std::unique_ptr<clang::tooling::CompilationDatabase> LoadDatabase() {
  std::string error;
  std::unique_ptr<clang::tooling::CompilationDatabase> database;
  if (!g_build_dir.empty()) {
    database = clang::tooling::CompilationDatabase::autoDetectFromDirectory(g_build_dir, error);
  } else if (!g_files.empty()) {
    database = clang::tooling::CompilationDatabase::autoDetectFromSource(
        fs::absolute(g_files.front()).string(), error);
  } else {
    database = clang::tooling::CompilationDatabase::autoDetectFromDirectory(".", error);
  }
  if (!database) {
    PrintError("no compilation database" +
               (g_build_dir.empty() ? std::string() : " in " + g_build_dir) + ": " + error +
               " (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON and pass -p BUILD_DIR)");
  }
  return database;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  llvm::cl::HideUnrelatedOptions(kCategory);
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream& out) { out << "xdist-lint 0.1.0\n"; });
  if (!llvm::cl::ParseCommandLineOptions(argc, argv,
                                         "xdist-lint: find tests that are unsafe to run in "
                                         "parallel, and fix them\n",
                                         &llvm::errs())) {
    return kError;
  }
  if (g_format != "text" && g_format != "json") {
    PrintError("--format must be text or json, not '" + g_format + "'");
    return kError;
  }

  const std::unique_ptr<clang::tooling::CompilationDatabase> database = LoadDatabase();
  if (!database) return kError;
  int status = kClean;

  ConfigCache configs;
  std::vector<std::string> files;
  if (g_files.empty()) {
    const LintConfig* config = configs.For((fs::current_path() / "x").string());
    if (config == nullptr) return kError;
    for (const std::string& file : database->getAllFiles()) {
      if (IsTestSource(file, config->test_source_regex)) files.push_back(file);
    }
  } else {
    for (const std::string& given : g_files) {
      const std::string file = fs::absolute(given).lexically_normal().string();
      if (!fs::is_regular_file(file)) {
        PrintError("cannot analyse " + given + ": no such file");
        status = kError;
      } else if (database->getCompileCommands(file).empty()) {
        PrintError("cannot analyse " + given + ": no compile command for it in the database");
        status = kError;
      } else {
        files.push_back(file);
      }
    }
  }
  std::map<std::string, EngineOptions> options;
  const std::string resource_dir = DefaultResourceDir();
  for (const std::string& file : files) {
    const LintConfig* config = configs.For(file);
    if (config == nullptr) return kError;
    EngineOptions& engine = options[file];
    engine.checks = config->checks;
    engine.check_options = config->check_options;
    engine.resource_dir = resource_dir;
  }

  const unsigned jobs = g_jobs != 0 ? g_jobs.getValue() : std::max(1u, std::thread::hardware_concurrency());
  const std::vector<WorkerOutcome> outcomes =
      RunInWorkers(files, jobs, [&](const std::string& file) {
        return SerializeAnalysis(AnalyzeFiles(*database, {file}, options[file]));
      });

  std::vector<Finding> findings;
  for (std::size_t index = 0; index < files.size(); ++index) {
    std::optional<Analysis> analysis;
    if (outcomes[index].failure.empty()) analysis = DeserializeAnalysis(outcomes[index].output);
    if (!analysis) {
      PrintError("cannot analyse " + files[index] + ": " +
                 (outcomes[index].failure.empty() ? "unreadable worker result"
                                                  : outcomes[index].failure));
      status = kError;
      continue;
    }
    for (const std::string& error : analysis->errors) {
      PrintError("cannot analyse " + files[index] + ": " + error);
      status = kError;
    }
    // Edits planned on a file that does not compile are not trusted (a later run,
    // once it compiles, would insert them again): its findings stay unresolved.
    const bool broken = !analysis->errors.empty();
    bool dropped = false;
    for (Finding& finding : analysis->findings) {
      if (broken && !finding.handled && finding.fix != FixKind::kNone) {
        dropped = dropped || !finding.edits.empty();
        finding.edits.clear();
        finding.fix = FixKind::kNone;
      }
      findings.push_back(std::move(finding));
    }
    if (dropped && (g_fix || !g_export_fixes.empty())) {
      PrintError("fixes for " + files[index] + " were not applied: it does not compile");
    }
  }
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });

  std::vector<Finding> unhandled;
  std::vector<Edit> edits;
  for (const Finding& finding : findings) {
    if (finding.handled) continue;
    unhandled.push_back(finding);
    edits.insert(edits.end(), finding.edits.begin(), finding.edits.end());
  }

  if (!g_export_fixes.empty()) {
    std::ofstream out(g_export_fixes, std::ios::binary);
    out << ExportFixesYaml(files.empty() ? "" : files.front(), unhandled);
    if (!out) {
      PrintError("cannot write " + g_export_fixes);
      status = kError;
    }
  }

  std::size_t resolved = 0;
  if (g_fix) {
    EditPlan plan = PlanEdits(edits);
    for (const std::string& conflict : plan.conflicts) PrintError(conflict);
    std::size_t applied = 0;
    for (const auto& [file, list] : plan.by_file) {
      bool ok = false;
      const std::string content = ReadFile(file, ok);
      const std::optional<std::string> fixed = ok ? ApplyEdits(content, list) : std::nullopt;
      std::ofstream out;
      if (fixed) out.open(file, std::ios::binary | std::ios::trunc);
      if (!fixed || !(out << *fixed)) {
        PrintError("cannot apply fixes to " + file);
        status = kError;
        plan.dropped.insert(plan.dropped.end(), list.begin(), list.end());
        continue;
      }
      applied += list.size();
    }
    for (const Finding& finding : unhandled) {
      if (FixApplied(finding, plan)) ++resolved;
    }
    std::fprintf(stderr, "xdist-lint: applied %zu edits to %zu files\n", applied,
                 plan.by_file.size());
  }

  if (g_format == "json") {
    PrintOut(FindingsJson(findings));
  } else {
    PrintOut(FindingsText(unhandled));
  }
  std::string summary;
  for (const std::string& line : SharedResources(findings)) summary += "xdist-lint: " + line + "\n";
  const std::size_t handled = findings.size() - unhandled.size();
  summary += "xdist-lint: " + std::to_string(files.size()) + " files, " +
             std::to_string(unhandled.size()) + " findings" +
             (g_fix ? " (" + std::to_string(resolved) + " fixed)" : std::string()) + ", " +
             std::to_string(handled) + " handled by markers\n";
  if (g_format == "json") {
    std::fputs(summary.c_str(), stderr);
  } else {
    PrintOut(summary);
  }
  std::fflush(stdout);

  if (status == kError) return kError;
  return unhandled.size() > resolved ? kFindings : kClean;
}
