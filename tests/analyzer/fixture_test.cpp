// Runs every annotated fixture under tests/analyzer/fixtures through the checks,
// in-process, and compares diagnostics and fixes with the annotations:
//
//   // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: <fragment of the message>
//   // CHECK-MESSAGES: :[[@LINE-1]]:19: note: <fragment of the note>
//   // CHECK-FIXES: <a line of the fixed file, whitespace-trimmed>
//   // CHECK-OPTION: <check>.<Option>=<value>
//   // CHECK-ARGS: <one more compiler argument, e.g. -DNAME="value">
//
// Unannotated code is the negative case: any diagnostic without an annotation fails,
// so does an annotation without a diagnostic. The fixed file must contain exactly the
// CHECK-FIXES lines as its new or changed lines, compile, and be left alone by a
// second run (which must report nothing unresolved).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "Edits.h"
#include "Engine.h"
#include "clang/Frontend/FrontendActions.h"
#include "clang/Tooling/Tooling.h"

namespace xdist::analyzer {
namespace {

namespace fs = std::filesystem;

struct Expected {
  unsigned line = 0;
  unsigned column = 0;
  std::string level;
  std::string fragment;
  bool matched = false;
};

struct Annotations {
  std::vector<Expected> diagnostics;
  std::vector<std::string> fixes;
  std::map<std::string, std::string> options;
  std::vector<std::string> arguments;
};

std::string Trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Annotations Parse(const std::string& content) {
  static const std::regex kMessage(
      R"(// CHECK-MESSAGES: :\[\[@LINE([+-]\d+)?\]\]:(\d+): (warning|note): (.*)$)");
  static const std::regex kFix(R"(// CHECK-FIXES: (.*)$)");
  static const std::regex kOption(R"(// CHECK-OPTION: ([^=]+)=(.*)$)");
  static const std::regex kArgument(R"(// CHECK-ARGS: (.*)$)");
  Annotations annotations;
  const std::vector<std::string> lines = Lines(content);
  for (unsigned index = 0; index < lines.size(); ++index) {
    std::smatch match;
    if (std::regex_search(lines[index], match, kMessage)) {
      Expected expected;
      expected.line = index + 1 + (match[1].matched ? std::stoi(match[1].str()) : 0);
      expected.column = std::stoul(match[2].str());
      expected.level = match[3].str();
      expected.fragment = Trim(match[4].str());
      annotations.diagnostics.push_back(expected);
    } else if (std::regex_search(lines[index], match, kFix)) {
      annotations.fixes.push_back(Trim(match[1].str()));
    } else if (std::regex_search(lines[index], match, kOption)) {
      annotations.options[Trim(match[1].str())] = Trim(match[2].str());
    } else if (std::regex_search(lines[index], match, kArgument)) {
      annotations.arguments.push_back(Trim(match[1].str()));
    }
  }
  return annotations;
}

// The lines of `after` that are not part of a longest common subsequence with
// `before`: what an edit added or changed.
std::vector<std::string> NewLines(const std::vector<std::string>& before,
                                  const std::vector<std::string>& after) {
  const std::size_t n = before.size();
  const std::size_t m = after.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = before[i] == after[j] ? lcs[i + 1][j + 1] + 1
                                        : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<std::string> added;
  std::size_t i = 0;
  std::size_t j = 0;
  while (j < m) {
    if (i < n && before[i] == after[j]) {
      ++i;
      ++j;
    } else if (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
      ++i;
    } else {
      added.push_back(Trim(after[j]));
      ++j;
    }
  }
  return added;
}

std::vector<std::string> CompileArguments(const Annotations& annotations) {
  std::vector<std::string> arguments = {"-std=c++17", "-I" XDIST_MOCK_GTEST_DIR,
                                        "-I" XDIST_INCLUDE_DIR,
                                        "-resource-dir=" XDIST_CLANG_RESOURCE_DIR};
  arguments.insert(arguments.end(), annotations.arguments.begin(), annotations.arguments.end());
  return arguments;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Analysis Analyze(const std::string& path, const std::string& content,
                 const Annotations& annotations) {
  clang::tooling::FixedCompilationDatabase database(fs::path(path).parent_path().string(),
                                                    CompileArguments(annotations));
  auto memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  memory->addFile(path, 0, llvm::MemoryBuffer::getMemBufferCopy(content, path));
  auto overlay =
      llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
  overlay->pushOverlay(memory);
  EngineOptions engine;
  engine.check_options = annotations.options;
  return AnalyzeFiles(database, {path}, engine, overlay);
}

std::string Fixed(const std::string& path, const std::string& content,
                  const std::vector<Finding>& findings) {
  std::vector<Edit> edits;
  for (const Finding& finding : findings) {
    edits.insert(edits.end(), finding.edits.begin(), finding.edits.end());
  }
  const EditPlan plan = PlanEdits(edits);
  EXPECT_TRUE(plan.conflicts.empty()) << plan.conflicts.front();
  for (const auto& [file, list] : plan.by_file) {
    EXPECT_EQ(file, path) << "a fix edits another file";
  }
  const auto found = plan.by_file.find(path);
  if (found == plan.by_file.end()) return content;
  const std::optional<std::string> fixed = ApplyEdits(content, found->second);
  EXPECT_TRUE(fixed.has_value());
  return fixed.value_or(content);
}

std::vector<std::string> FixtureFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(XDIST_FIXTURE_DIR)) {
    if (entry.path().extension() == ".cpp") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, MatchesAnnotations) {
  const std::string path = GetParam();
  const std::string content = ReadFile(path);
  Annotations annotations = Parse(content);
  const Analysis analysis = Analyze(path, content, annotations);
  for (const std::string& error : analysis.errors) ADD_FAILURE() << "compile error: " << error;

  const auto match = [&](unsigned line, unsigned column, const std::string& level,
                         const std::string& message) {
    for (Expected& expected : annotations.diagnostics) {
      if (!expected.matched && expected.line == line && expected.column == column &&
          expected.level == level && message.find(expected.fragment) != std::string::npos) {
        expected.matched = true;
        return;
      }
    }
    ADD_FAILURE() << "unexpected " << level << " at " << path << ":" << line << ":" << column
                  << ": " << message;
  };
  for (const Finding& finding : analysis.findings) {
    if (finding.handled) continue;
    match(finding.line, finding.column, "warning", finding.message);
    for (const Note& note : finding.notes) match(note.line, note.column, "note", note.message);
  }
  for (const Expected& expected : annotations.diagnostics) {
    EXPECT_TRUE(expected.matched) << "no " << expected.level << " at " << path << ":"
                                  << expected.line << ":" << expected.column << " containing '"
                                  << expected.fragment << "'";
  }

  const std::string fixed = Fixed(path, content, analysis.findings);
  EXPECT_EQ(NewLines(Lines(content), Lines(fixed)), annotations.fixes) << "fixed file:\n" << fixed;
  if (fixed == content) return;

  EXPECT_TRUE(clang::tooling::runToolOnCodeWithArgs(std::make_unique<clang::SyntaxOnlyAction>(),
                                                    fixed, CompileArguments(annotations), path))
      << "the fixed file does not compile:\n"
      << fixed;
  const Analysis again = Analyze(path, fixed, annotations);
  for (const Finding& finding : again.findings) {
    EXPECT_TRUE(finding.handled || finding.fix == FixKind::kNone)
        << "still reported after --fix: " << finding.file << ":" << finding.line << ": "
        << finding.message;
    EXPECT_TRUE(finding.edits.empty()) << "a second fix changes " << finding.file << ":"
                                       << finding.line;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest, ::testing::ValuesIn(FixtureFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = fs::path(info.param).parent_path().filename().string() +
                                              "_" + fs::path(info.param).stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace xdist::analyzer
