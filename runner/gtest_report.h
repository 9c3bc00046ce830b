// Reads the JSON report GoogleTest writes with --gtest_output=json:FILE, for runs and listings.
#ifndef XDIST_RUNNER_GTEST_REPORT_H
#define XDIST_RUNNER_GTEST_REPORT_H

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "expected.h"

namespace xdist::run {

/// One test as a run report gives it.
struct ReportedTest {
  enum class Result : std::uint8_t { kPassed, kFailed, kSkipped, kNotRun };
  Result result = Result::kNotRun;
  double seconds = 0;
  std::string failure_message;  ///< the failures' texts, joined by blank lines
};

/// Parses a run report into "Suite.Name" -> result. A test with a `failures` array failed
/// (GoogleTest still says "COMPLETED"); "SKIPPED" is skipped; status "NOTRUN" did not run.
/// `source` names the file in errors.
Expected<std::map<std::string, ReportedTest>> ParseRunReport(std::string_view json,
                                                             std::string_view source);

/// One test as a listing (--gtest_list_tests --gtest_output=json) gives it, in listing order.
struct ListedTest {
  std::string suite;
  std::string name;
  std::string file;
  int line = 0;
  std::string type_param;   ///< typed tests: the type, as GoogleTest prints it
  std::string value_param;  ///< parameterized tests: the value, as GoogleTest prints it
};

/// Parses a listing report. `source` names the binary in errors.
Expected<std::vector<ListedTest>> ParseListing(std::string_view json, std::string_view source);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_GTEST_REPORT_H
