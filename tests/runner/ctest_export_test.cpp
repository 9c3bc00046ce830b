#include "ctest_export.h"

#include <gtest/gtest.h>

namespace xdist::run {
namespace {

TestCase Make(const std::string& suite, const std::string& name, const std::string& type_param = "",
              const std::string& value_param = "") {
  TestCase test;
  test.suite = suite;
  test.name = name;
  test.type_param = type_param;
  test.value_param = value_param;
  return test;
}

// The names gtest_discover_tests (CMake 3.25, defaults) gave the tests of a small project
// built on this machine (docs/runner.md, "Exporting markers for CTest").
TEST(CTestName, FollowsGtestDiscoverTestsDefaults) {
  EXPECT_EQ(CTestName(Make("S", "A")), "S.A");
  EXPECT_EQ(CTestName(Make("Pre/P", "N/0", "", "1")), "Pre/P.N/1");
  EXPECT_EQ(CTestName(Make("Ty/1", "X", "char")), "Ty.X<char>");
  EXPECT_EQ(CTestName(Make("DISABLED_S", "DISABLED_A")), "S.A");
  EXPECT_EQ(CTestName(Make("Pre/P", "N/3", "", "\"a\nb\"")), "Pre/P.N/\"a\\nb\"");
  EXPECT_EQ(CTestName(Make("Pre/P", "N/0", "", std::string(300, 'x'))),
            "Pre/P.N/" + std::string(250, 'x') + "...");
}

TEST(CMakeBracket, PicksALevelTheTextDoesNotClose) {
  EXPECT_EQ(CMakeBracket("S.A"), "[=[S.A]=]");
  EXPECT_EQ(CMakeBracket("a]=]b"), "[==[a]=]b]==]");
  EXPECT_EQ(CMakeBracket("a]=]b]==]"), "[===[a]=]b]==]]===]");
}

TEST(WriteCTestProperties, Golden) {
  std::vector<TestCase> tests;
  tests.push_back(Make("Plain", "Unmarked"));
  tests.push_back(Make("Env", "Alone"));
  tests.back().no_parallel = true;
  tests.push_back(Make("Net", "Locks"));
  tests.back().locks = {{"port:8080", false}, {"db", true}, {"port:8080", false}};
  tests.push_back(Make("Db", "Grouped"));
  tests.back().group = "sqlite";
  tests.back().locks = {{"file:/tmp/a b", true}};
  tests.push_back(Make("Ty/0", "AloneAndLocked", "int"));
  tests.back().no_parallel = true;
  tests.back().locks = {{"env:HOME", false}};
  const std::string expected =
      "# CTest properties from the xdist markers of:\n"
      "#   build/a_test\n"
      "#   build/b_test\n"
      "# Written by xdist-run --export-ctest; regenerate instead of editing. Include it after\n"
      "# gtest_discover_tests() in the directory that registers the tests:\n"
      "#   set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES <this file>)\n"
      "set_tests_properties([=[Env.Alone]=] PROPERTIES RUN_SERIAL TRUE)\n"
      "set_tests_properties([=[Net.Locks]=] PROPERTIES RESOURCE_LOCK [=[port:8080;db]=])\n"
      "set_tests_properties([=[Db.Grouped]=] PROPERTIES RESOURCE_LOCK "
      "[=[file:/tmp/a b;group:sqlite]=])\n"
      "set_tests_properties([=[Ty.AloneAndLocked<int>]=] PROPERTIES RUN_SERIAL TRUE "
      "RESOURCE_LOCK [=[env:HOME]=])\n";
  EXPECT_EQ(WriteCTestProperties(tests, {"build/a_test", "build/b_test"}), expected);
}

TEST(WriteCTestProperties, NamesCarryTheDiscoveryPrefixAndSuffix) {
  std::vector<TestCase> tests;
  tests.push_back(Make("Env", "Alone"));
  tests.back().no_parallel = true;
  const std::string text = WriteCTestProperties(tests, {"b"}, {"unit.", " [release]"});
  EXPECT_NE(text.find("set_tests_properties([=[unit.Env.Alone [release]]=] PROPERTIES RUN_SERIAL TRUE)"),
            std::string::npos)
      << text;
}

TEST(WriteCTestProperties, SemicolonsInKeysAreEscapedForCMakeLists) {
  std::vector<TestCase> tests;
  tests.push_back(Make("Db", "Locks"));
  tests.back().locks = {{"db;primary", false}, {"port:8080", false}};
  const std::string text = WriteCTestProperties(tests, {"b"});
  EXPECT_NE(text.find("RESOURCE_LOCK [=[db\\;primary;port:8080]=])"), std::string::npos) << text;
}

}  // namespace
}  // namespace xdist::run
