#include "gtest_report.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace xdist::run {

namespace {

using nlohmann::json;

std::string StringField(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// GoogleTest writes times as strings like "0.126s".
double ParseSeconds(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// Calls visit(suite_name, test_object) for every test of a report or listing.
template <typename Visit>
bool ForEachTest(const json& root, Visit visit) {
  const auto suites = root.find("testsuites");
  if (!root.is_object() || suites == root.end() || !suites->is_array()) return false;
  for (const json& suite : *suites) {
    if (!suite.is_object()) return false;
    const std::string suite_name = StringField(suite, "name");
    const auto tests = suite.find("testsuite");
    if (tests == suite.end() || !tests->is_array()) continue;
    for (const json& test : *tests) {
      if (test.is_object()) visit(suite_name, test);
    }
  }
  return true;
}

Expected<json> Parse(std::string_view text, std::string_view source) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded()) {
    return Error{std::string(source) + ": GoogleTest's JSON report is not valid JSON"};
  }
  return root;
}

}  // namespace

Expected<std::map<std::string, ReportedTest>> ParseRunReport(std::string_view text,
                                                             std::string_view source) {
  Expected<json> root = Parse(text, source);
  if (!root) return root.error();
  std::map<std::string, ReportedTest> tests;
  const bool ok = ForEachTest(*root, [&](const std::string& suite, const json& test) {
    ReportedTest reported;
    reported.seconds = ParseSeconds(StringField(test, "time"));
    const std::string result = StringField(test, "result");
    if (StringField(test, "status") == "NOTRUN" || result == "SUPPRESSED") {
      reported.result = ReportedTest::Result::kNotRun;
    } else if (result == "SKIPPED") {
      reported.result = ReportedTest::Result::kSkipped;
    } else {
      reported.result = ReportedTest::Result::kPassed;
      const auto failures = test.find("failures");
      if (failures != test.end() && failures->is_array() && !failures->empty()) {
        reported.result = ReportedTest::Result::kFailed;
        for (const json& failure : *failures) {
          if (!reported.failure_message.empty()) reported.failure_message += "\n\n";
          if (failure.is_object()) reported.failure_message += StringField(failure, "failure");
        }
      }
    }
    tests[suite + "." + StringField(test, "name")] = std::move(reported);
  });
  if (!ok) return Error{std::string(source) + ": not a GoogleTest JSON report (no testsuites)"};
  return tests;
}

Expected<std::vector<ListedTest>> ParseListing(std::string_view text, std::string_view source) {
  Expected<json> root = Parse(text, source);
  if (!root) return root.error();
  std::vector<ListedTest> tests;
  const bool ok = ForEachTest(*root, [&](const std::string& suite, const json& test) {
    ListedTest listed{suite, StringField(test, "name"), StringField(test, "file"), 0,
                      StringField(test, "type_param"), StringField(test, "value_param")};
    const auto line = test.find("line");
    if (line != test.end() && line->is_number_integer()) listed.line = line->get<int>();
    tests.push_back(std::move(listed));
  });
  if (!ok) return Error{std::string(source) + ": not a GoogleTest JSON listing (no testsuites)"};
  return tests;
}

}  // namespace xdist::run
