// Markers as CTest properties, for teams that run their GoogleTest binaries with ctest.
#ifndef XDIST_RUNNER_CTEST_EXPORT_H
#define XDIST_RUNNER_CTEST_EXPORT_H

#include <string>
#include <string_view>
#include <vector>

#include "test_case.h"

namespace xdist::run {

/// The name `gtest_discover_tests` gives the test by default (CMake 3.25: no TEST_PREFIX or
/// TEST_SUFFIX, pretty types and values): `Suite.Name`; a typed test `Suite.Name<int>`; a
/// parameterized test `Prefix/Suite.Name/<value>`; a leading `DISABLED_` dropped from both
/// parts. Types and values are cut to GoogleTest's one-line form (250 characters, then "...").
std::string CTestName(const TestCase& test);

/// `text` as a CMake bracket argument (`[==[text]==]`) whose closing bracket it does not contain.
std::string CMakeBracket(std::string_view text);

/// What `gtest_discover_tests(... TEST_PREFIX p TEST_SUFFIX s)` puts around every name.
struct CTestNaming {
  std::string prefix;
  std::string suffix;
};

/// A CMake script of `set_tests_properties` calls for every marked test: `RUN_SERIAL TRUE`
/// for no_parallel tests; `RESOURCE_LOCK` with the test's lock keys (shared locks become
/// exclusive: CTest has no others) and `group:<name>` for a group. Unmarked tests are left
/// out. `sources` name the binaries in the header comment.
std::string WriteCTestProperties(const std::vector<TestCase>& tests,
                                 const std::vector<std::string>& sources,
                                 const CTestNaming& naming = {});

}  // namespace xdist::run

#endif  // XDIST_RUNNER_CTEST_EXPORT_H
