// The pure parts of xdist-lint: edit planning, report formatting, configuration.
#include <gtest/gtest.h>

#include <xdist/xdist.h>

#include <fstream>

#include "Edits.h"
#include "LintConfig.h"
#include "Report.h"

namespace xdist::analyzer {
namespace {

Finding MakeFinding(const std::string& file, unsigned line, const std::string& test,
                    const std::string& resource) {
  Finding finding;
  finding.check = "xdist-hardcoded-tmp-path";
  finding.file = file;
  finding.line = line;
  finding.column = 3;
  finding.offset = 40;
  finding.test = test;
  finding.resource = resource;
  finding.message = "test '" + test + "' passes fixed path";
  finding.fix = FixKind::kMarker;
  return finding;
}

TEST(PlanEdits, KeepsOneOfIdenticalEdits) {
  const Edit include{"a.cpp", 10, 0, "#include <xdist/xdist.h>\n"};
  const EditPlan plan = PlanEdits({include, include});
  ASSERT_EQ(plan.by_file.at("a.cpp").size(), 1u);
  EXPECT_TRUE(plan.conflicts.empty());
}

TEST(PlanEdits, MergesDistinctInsertionsAtOnePlace) {
  const EditPlan plan = PlanEdits({{"a.cpp", 5, 0, "A;\n"}, {"a.cpp", 5, 0, "B;\n"}});
  ASSERT_EQ(plan.by_file.at("a.cpp").size(), 1u);
  EXPECT_EQ(plan.by_file.at("a.cpp")[0].text, "A;\nB;\n");
}

TEST(PlanEdits, DropsOverlappingReplacements) {
  const EditPlan plan = PlanEdits({{"a.cpp", 5, 4, "x"}, {"a.cpp", 7, 4, "y"}});
  EXPECT_EQ(plan.by_file.at("a.cpp").size(), 1u);
  ASSERT_EQ(plan.conflicts.size(), 1u);
  EXPECT_NE(plan.conflicts[0].find("a.cpp: edit at offset 7"), std::string::npos);
}

TEST(FixApplied, OnlyFindingsWhoseEditsAllSurviveAreResolved) {
  Finding fixed;
  fixed.fix = FixKind::kFixIt;
  fixed.edits = {{"a.cpp", 5, 4, "x"}};
  Finding overlapping = fixed;
  overlapping.edits = {{"a.cpp", 7, 4, "y"}};
  Finding shares_another_fix;  // Its fix-it is carried by another finding.
  shares_another_fix.fix = FixKind::kFixIt;
  Finding nothing_to_insert;
  nothing_to_insert.fix = FixKind::kNone;
  const EditPlan plan = PlanEdits({fixed.edits[0], overlapping.edits[0]});
  EXPECT_TRUE(FixApplied(fixed, plan));
  EXPECT_FALSE(FixApplied(overlapping, plan));
  EXPECT_TRUE(FixApplied(shares_another_fix, plan));
  EXPECT_FALSE(FixApplied(nothing_to_insert, plan));
}

TEST(ApplyEdits, AppliesInOrder) {
  EXPECT_EQ(ApplyEdits("hello world", {{"f", 0, 0, ">> "}, {"f", 6, 5, "there"}}),
            ">> hello there");
  EXPECT_EQ(ApplyEdits("short", {{"f", 3, 10, ""}}), std::nullopt);
}

TEST(Report, RoundTripsWorkerResults) {
  Analysis analysis;
  analysis.findings.push_back(MakeFinding("/p/a_test.cpp", 12, "A.B", "file:/tmp/x"));
  analysis.findings[0].edits.push_back({"/p/a_test.cpp", 40, 2, "\"y\""});
  analysis.findings[0].notes.push_back({"/p/a_test.cpp", 20, 5, "test 'A.C' also uses '/tmp/x'"});
  analysis.errors.push_back("/p/b.cpp:1:1: unknown type name");
  const std::optional<Analysis> back = DeserializeAnalysis(SerializeAnalysis(analysis));
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->findings.size(), 1u);
  EXPECT_EQ(back->findings[0].edits, analysis.findings[0].edits);
  EXPECT_EQ(back->findings[0].test, "A.B");
  EXPECT_EQ(back->findings[0].notes.at(0).line, 20u);
  EXPECT_EQ(back->errors, analysis.errors);
  EXPECT_EQ(DeserializeAnalysis("not json"), std::nullopt);
}

TEST(Report, SummarisesResourcesSharedAcrossFiles) {
  const std::vector<Finding> findings = {MakeFinding("a.cpp", 3, "A.One", "file:/tmp/x"),
                                         MakeFinding("b.cpp", 9, "B.Two", "file:/tmp/x"),
                                         MakeFinding("b.cpp", 12, "B.Three", "file:/tmp/y")};
  EXPECT_EQ(SharedResources(findings),
            std::vector<std::string>{"2 tests use file:/tmp/x: A.One (a.cpp:3), B.Two (b.cpp:9)"});
}

TEST(Report, TextLeavesHandledFindingsOut) {
  Finding handled = MakeFinding("a.cpp", 3, "A.One", "file:/tmp/x");
  handled.handled = true;
  const std::string text =
      FindingsText({handled, MakeFinding("b.cpp", 9, "B.Two", "file:/tmp/x")});
  EXPECT_EQ(text,
            "b.cpp:9:3: warning: test 'B.Two' passes fixed path [xdist-hardcoded-tmp-path]\n");
}

TEST(Report, JsonHasTheDocumentedFields) {
  Finding finding = MakeFinding("a.cpp", 3, "A.One", "file:/tmp/x");
  finding.test.reset();
  const std::string json = FindingsJson({finding});
  for (const char* field : {"\"check\"", "\"file\"", "\"line\"", "\"column\"", "\"test\": null",
                            "\"resource\"", "\"scope\": \"cross-process\"", "\"message\"",
                            "\"fix\": \"marker\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
}

TEST(LintConfig, ReadsClangTidyStyleOptions) {
  const auto parsed = ParseLintConfig(
      "Checks: '-*,xdist-hardcoded-tmp-path'\n"
      "CheckOptions:\n  xdist-hardcoded-tmp-path.TempDirectories: '/scratch'\n",
      "cfg");
  ASSERT_TRUE(std::holds_alternative<LintConfig>(parsed));
  const LintConfig& config = std::get<LintConfig>(parsed);
  EXPECT_EQ(config.checks, "-*,xdist-hardcoded-tmp-path");
  EXPECT_EQ(config.check_options.at("xdist-hardcoded-tmp-path.TempDirectories"), "/scratch");
}

TEST(LintConfig, ReadsTheListForm) {
  const auto parsed = ParseLintConfig(
      "CheckOptions:\n  - key: a.B\n    value: c\n", "cfg");
  ASSERT_TRUE(std::holds_alternative<LintConfig>(parsed));
  EXPECT_EQ(std::get<LintConfig>(parsed).check_options.at("a.B"), "c");
}

TEST(LintConfig, NamesTheFileAndProblem) {
  const auto unknown = ParseLintConfig("Chekcs: x\n", "/p/.xdist-lint.yaml");
  ASSERT_TRUE(std::holds_alternative<std::string>(unknown));
  EXPECT_EQ(std::get<std::string>(unknown), "/p/.xdist-lint.yaml:1:1: unknown key 'Chekcs'");
  const auto broken = ParseLintConfig("CheckOptions: [x\n", "cfg");
  ASSERT_TRUE(std::holds_alternative<std::string>(broken));
  EXPECT_EQ(std::get<std::string>(broken).rfind("cfg:", 0), 0u);
}

TEST(LintConfig, IsFoundInAParentDirectory) {
  const std::filesystem::path root = xdist::TempPath("config");
  std::filesystem::create_directories(root / "a/b");
  std::ofstream(root / kConfigFileName) << "Checks: '-*'\n";
  EXPECT_EQ(FindLintConfig((root / "a/b").string()), (root / kConfigFileName).string());
}

}  // namespace
}  // namespace xdist::analyzer
