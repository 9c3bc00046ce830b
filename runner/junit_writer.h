// JUnit XML for CI systems (GitHub, GitLab, Jenkins): one file for all binaries and workers.
#ifndef XDIST_RUNNER_JUNIT_WRITER_H
#define XDIST_RUNNER_JUNIT_WRITER_H

#include <string>
#include <string_view>
#include <vector>

#include "test_case.h"
#include "test_result.h"

namespace xdist::run {

/// Everything the report contains; clock and host are inputs so the output is reproducible.
struct JUnitReport {
  const std::vector<Binary>* binaries = nullptr;
  const std::vector<TestCase>* tests = nullptr;
  const std::vector<TestResult>* results = nullptr;
  std::string timestamp;  ///< ISO 8601, e.g. "2026-11-26T16:50:43Z"
  std::string hostname;
  double wall_seconds = 0;
};

/// The report as XML text: <testsuites> with one <testsuite> per binary and suite, one
/// <testcase> per result; a failed test has <failure>, a crash, timeout, exit mid-test, start
/// failure or interrupt has <error>, a skipped test <skipped>; captured output goes into
/// <system-out>. Text is made valid XML 1.0: control characters become "\xNN", invalid
/// UTF-8 becomes U+FFFD.
std::string WriteJUnit(const JUnitReport& report);

/// `text` made safe for XML 1.0 character data (see WriteJUnit).
std::string XmlSafe(std::string_view text);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_JUNIT_WRITER_H
