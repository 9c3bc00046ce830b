#include "gtest_report.h"

#include <cstdlib>
#include <functional>
#include <utility>

#include <nlohmann/json.hpp>

#include "json_events.h"

namespace xdist::run {

namespace {

using nlohmann::json;

// Everything a report or a listing says about one test.
struct RawTest {
  std::string name;
  std::string file;
  int line = 0;
  std::string type_param;
  std::string value_param;
  std::string status;
  std::string result;
  std::string time;
  int failures = 0;
  std::string failure_message;  ///< the failures' texts, joined by blank lines
};

// Reads GoogleTest's JSON as a stream of events (no document tree: a run writes one report
// per process, and building and freeing trees was most of the runner's CPU time for them).
// Only `testsuites[].name` and `testsuites[].testsuite[]` are looked at; everything else is
// skipped.
class ReportReader final : public JsonEventReader {
 public:
  using Visit = std::function<void(const std::string& suite, RawTest& test)>;
  explicit ReportReader(Visit visit) : visit_(std::move(visit)) {}

  /// Whether the document had the shape of a GoogleTest report.
  bool WellFormed() const { return saw_suites_ && !malformed_; }

  bool null() override { return Scalar(); }
  bool boolean(bool /*value*/) override { return Scalar(); }
  bool number_integer(number_integer_t value) override { return Integer(value); }
  bool number_unsigned(number_unsigned_t value) override {
    return Integer(static_cast<number_integer_t>(value));
  }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) override {
    return Scalar();
  }

  bool string(string_t& value) override {
    const Role role = Current();
    if (role == Role::kSuite && Key() == "name") {
      suite_name_ = std::move(value);
    } else if (role == Role::kTest) {
      if (std::string* field = TestField()) *field = std::move(value);
    } else if (role == Role::kFailure && Key() == "failure") {
      failure_ = std::move(value);
    } else {
      return Scalar();
    }
    return true;
  }

  bool start_object(std::size_t /*elements*/) override {
    const Role parent = stack_.empty() ? Role::kNone : Current();
    Role role = Role::kOther;
    if (parent == Role::kNone) {
      role = Role::kRoot;
    } else if (parent == Role::kSuites) {
      role = Role::kSuite;
      suite_name_.clear();
      suite_tests_.clear();
    } else if (parent == Role::kTests) {
      role = Role::kTest;
      suite_tests_.emplace_back();
    } else if (parent == Role::kFailures) {
      role = Role::kFailure;
      failure_.clear();
    }
    stack_.push_back(role);
    return true;
  }

  bool end_object() override {
    const Role role = Current();
    stack_.pop_back();
    if (role == Role::kSuite) {
      for (RawTest& test : suite_tests_) visit_(suite_name_, test);
      suite_tests_.clear();
    } else if (role == Role::kFailure) {
      AddFailure(failure_);
    }
    return true;
  }

  bool start_array(std::size_t /*elements*/) override {
    const Role parent = stack_.empty() ? Role::kNone : Current();
    Role role = Role::kOther;
    if (parent == Role::kNone) {
      malformed_ = true;  // a report is an object
    } else if (parent == Role::kRoot && Key() == "testsuites") {
      role = Role::kSuites;
      saw_suites_ = true;
    } else if (parent == Role::kSuite && Key() == "testsuite") {
      role = Role::kTests;
    } else if (parent == Role::kTest && Key() == "failures") {
      role = Role::kFailures;
    }
    stack_.push_back(role);
    return true;
  }

  bool end_array() override {
    stack_.pop_back();
    return true;
  }

 private:
  enum class Role : std::uint8_t {
    kNone, kRoot, kSuites, kSuite, kTests, kTest, kFailures, kFailure, kOther
  };

  Role Current() const { return stack_.empty() ? Role::kNone : stack_.back(); }

  // A scalar where an array of objects (or the root object) belongs.
  bool Scalar() {
    const Role role = Current();
    if (role == Role::kNone || role == Role::kSuites) malformed_ = true;
    if (role == Role::kFailures) AddFailure("");
    return true;
  }

  bool Integer(number_integer_t value) {
    if (Current() == Role::kTest && Key() == "line") {
      suite_tests_.back().line = static_cast<int>(value);
      return true;
    }
    return Scalar();
  }

  std::string* TestField() {
    RawTest& test = suite_tests_.back();
    if (Key() == "name") return &test.name;
    if (Key() == "file") return &test.file;
    if (Key() == "type_param") return &test.type_param;
    if (Key() == "value_param") return &test.value_param;
    if (Key() == "status") return &test.status;
    if (Key() == "result") return &test.result;
    if (Key() == "time") return &test.time;
    return nullptr;
  }

  void AddFailure(const std::string& text) {
    RawTest& test = suite_tests_.back();
    if (test.failures++ > 0) test.failure_message += "\n\n";
    test.failure_message += text;
  }

  Visit visit_;
  std::vector<Role> stack_;
  std::string suite_name_;
  std::vector<RawTest> suite_tests_;
  std::string failure_;
  bool saw_suites_ = false;
  bool malformed_ = false;
};

// Calls visit(suite_name, test) for every test of a report or listing.
Expected<bool> ForEachTest(std::string_view text, std::string_view source, std::string_view what,
                           const ReportReader::Visit& visit) {
  ReportReader reader(visit);
  if (!json::sax_parse(text, &reader)) {
    return Error{std::string(source) + ": GoogleTest's JSON " + std::string(what) +
                 " is not valid JSON"};
  }
  if (!reader.WellFormed()) {
    return Error{std::string(source) + ": not a GoogleTest JSON " + std::string(what) +
                 " (no testsuites)"};
  }
  return true;
}

}  // namespace

Expected<std::map<std::string, ReportedTest>> ParseRunReport(std::string_view text,
                                                             std::string_view source) {
  std::map<std::string, ReportedTest> tests;
  const Expected<bool> read =
      ForEachTest(text, source, "report", [&](const std::string& suite, RawTest& test) {
        ReportedTest reported;
        // GoogleTest writes times as strings like "0.126s".
        reported.seconds = std::strtod(test.time.c_str(), nullptr);
        if (test.status == "NOTRUN" || test.result == "SUPPRESSED") {
          reported.result = ReportedTest::Result::kNotRun;
        } else if (test.result == "SKIPPED") {
          reported.result = ReportedTest::Result::kSkipped;
        } else if (test.failures > 0) {
          reported.result = ReportedTest::Result::kFailed;
          reported.failure_message = std::move(test.failure_message);
        } else {
          reported.result = ReportedTest::Result::kPassed;
        }
        tests[suite + "." + test.name] = std::move(reported);
      });
  if (!read) return read.error();
  return tests;
}

Expected<std::vector<ListedTest>> ParseListing(std::string_view text, std::string_view source) {
  std::vector<ListedTest> tests;
  const Expected<bool> read =
      ForEachTest(text, source, "listing", [&](const std::string& suite, RawTest& test) {
        tests.push_back({suite, std::move(test.name), std::move(test.file), test.line,
                         std::move(test.type_param), std::move(test.value_param)});
      });
  if (!read) return read.error();
  return tests;
}

}  // namespace xdist::run
