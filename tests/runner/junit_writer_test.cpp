#include "junit_writer.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

namespace xdist::run {
namespace {

TestCase Make(std::size_t binary, std::size_t order, const std::string& suite,
              const std::string& name) {
  TestCase test;
  test.binary = binary;
  test.order = order;
  test.suite = suite;
  test.name = name;
  test.file = "t.cpp";
  test.line = static_cast<int>(order) + 10;
  return test;
}

class JUnitWriterTest : public ::testing::Test {
 protected:
  std::string Write() {
    return WriteJUnit({&binaries_, &tests_, &results_, "2026-01-02T03:04:05Z", "host1", 1.5});
  }
  std::vector<Binary> binaries_ = {{"/b/one", "one"}, {"/b/two", "two"}};
  std::vector<TestCase> tests_ = {Make(0, 0, "A", "pass"), Make(0, 1, "A", "fail"),
                                  Make(1, 0, "B", "crash"), Make(1, 1, "B", "skip")};
  std::vector<TestResult> results_;
};

TEST_F(JUnitWriterTest, GoldenReport) {
  results_ = {
      {2, 0, outcome::Crashed{11}, std::chrono::milliseconds(3), "dying\n", 1, 1, false},
      {0, 0, outcome::Passed{}, std::chrono::milliseconds(1), "", 0, 2, true},
      {1, 0, outcome::Failed{"t.cpp:11: Failure\nboom"}, std::chrono::milliseconds(2), "", 0, 1, false},
      {3, 0, outcome::Skipped{"", true}, Duration::zero(), "", -1, 0, false},
  };
  EXPECT_EQ(Write(), R"(<?xml version="1.0"?>
<testsuites name="xdist-run" tests="4" failures="1" errors="1" skipped="1" time="1.500" timestamp="2026-01-02T03:04:05Z">
  <testsuite name="A" timestamp="2026-01-02T03:04:05Z" hostname="host1" file="t.cpp" tests="2" failures="1" errors="0" skipped="0" time="0.003">
    <properties>
      <property name="binary" value="one" />
    </properties>
    <testcase name="pass" classname="A" file="t.cpp" line="10" time="0.001">
      <properties>
        <property name="flaky" value="passed on attempt 2" />
      </properties>
    </testcase>
    <testcase name="fail" classname="A" file="t.cpp" line="11" time="0.002">
      <failure message="t.cpp:11: Failure" type="failure">t.cpp:11: Failure
boom</failure>
    </testcase>
  </testsuite>
  <testsuite name="B" timestamp="2026-01-02T03:04:05Z" hostname="host1" file="t.cpp" tests="2" failures="0" errors="1" skipped="1" time="0.003">
    <properties>
      <property name="binary" value="two" />
    </properties>
    <testcase name="crash" classname="B" file="t.cpp" line="10" time="0.003">
      <error message="crashed with SIGSEGV" type="SIGSEGV">dying
</error>
      <system-out>dying
</system-out>
    </testcase>
    <testcase name="skip" classname="B" file="t.cpp" line="11" time="0.000">
      <skipped message="disabled" />
    </testcase>
  </testsuite>
</testsuites>
)");
}

TEST_F(JUnitWriterTest, ControlCharactersAndBadUtf8StayValidXml) {
  results_ = {{1, 0, outcome::Failed{"a\x01<b>&\"c\xff\xfe"}, Duration::zero(),
               std::string("nul\0here\x1b[31m", 13), 0, 1, false}};
  const std::string xml = Write();
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(xml.c_str()));
  const std::string failure = document.select_node("//failure").node().text().get();
  EXPECT_EQ(failure, "a\\x01<b>&\"c\xef\xbf\xbd\xef\xbf\xbd");
  const std::string out = document.select_node("//system-out").node().text().get();
  EXPECT_EQ(out, "nul\\x00here\\x1b[31m");
}

TEST(XmlSafe, KeepsValidUtf8AndWhitespace) {
  EXPECT_EQ(XmlSafe("gr\xc3\xbc\xc3\x9f\t\n\r"), "gr\xc3\xbc\xc3\x9f\t\n\r");
  EXPECT_EQ(XmlSafe("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") << "a surrogate";
  EXPECT_EQ(XmlSafe("\xef\xbf\xbf"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") << "U+FFFF";
}

}  // namespace
}  // namespace xdist::run
