#include "discovery.h"

#include <gtest/gtest.h>

namespace xdist::run {
namespace {

std::vector<ListedTest> Listing() {
  return {{"A", "first", "a.cpp", 10, "", ""},
          {"A", "second", "a.cpp", 20, "", ""},
          {"P/Param", "x/0", "b.cpp", 5, "", "1"},
          {"P/Param", "x/1", "b.cpp", 5, "", "2"},
          {"Typed/0", "t", "b.cpp", 30, "int", ""},
          {"A", "DISABLED_off", "a.cpp", 40, "", ""},
          {"DISABLED_Suite", "on", "c.cpp", 1, "", ""}};
}

std::string Marker(const std::string& kind, const std::string& file, int line,
                   const std::string& value, const std::string& suite = "") {
  return R"({"v":1,"kind":")" + kind + R"(","file":")" + file + R"(","line":)" +
         std::to_string(line) + R"(,"suite":")" + suite + R"(","value":")" + value + "\"}\n";
}

TEST(BuildTests, KeepsListingOrderAndFlagsDisabledTests) {
  std::vector<std::string> warnings;
  const auto tests = BuildTests(3, "bin", Listing(), "", warnings);
  ASSERT_TRUE(tests);
  ASSERT_EQ(tests->size(), 7u);
  EXPECT_EQ((*tests)[2].FullName(), "P/Param.x/0");
  EXPECT_EQ((*tests)[4].order, 4u);
  EXPECT_EQ((*tests)[4].binary, 3u);
  EXPECT_FALSE((*tests)[0].disabled);
  EXPECT_TRUE((*tests)[5].disabled);
  EXPECT_TRUE((*tests)[6].disabled);
}

// A marker belongs to the next test of the complete listing, even when -k drops that test:
// with -k A.second, the group above A.first must not land on A.second.
TEST(BuildTests, MarkersOfFilteredOutTestsStayWithThem) {
  std::vector<std::string> warnings;
  const std::string markers = Marker("group", "a.cpp", 8, "db") +
                              Marker("resource_lock", "a.cpp", 15, "port:1") +
                              Marker("no_parallel", "b.cpp", 4, "why");
  const auto tests = BuildTests(0, "bin", Listing(), markers, warnings, "A.second:Typed*");
  ASSERT_TRUE(tests);
  ASSERT_EQ(tests->size(), 2u);
  const TestCase& second = (*tests)[0];
  EXPECT_EQ(second.FullName(), "A.second");
  EXPECT_EQ(second.order, 1u) << "the registration order survives filtering";
  EXPECT_TRUE(second.group.empty());
  EXPECT_EQ(second.locks, (std::vector<ResourceLock>{{"port:1", false}}));
  const TestCase& typed = (*tests)[1];
  EXPECT_EQ(typed.FullName(), "Typed/0.t");
  EXPECT_FALSE(typed.no_parallel);
  EXPECT_TRUE(warnings.empty());
}

TEST(BuildTests, MarkerGoesToTheNextTestInItsFile) {
  std::vector<std::string> warnings;
  const std::string markers = Marker("group", "a.cpp", 8, "db") +
                              Marker("resource_lock", "a.cpp", 15, "port:1") +
                              Marker("resource_lock_shared", "a.cpp", 16, "port:2") +
                              Marker("no_parallel", "b.cpp", 4, "why") +
                              Marker("needs_network", "b.cpp", 29, "net");
  const auto tests = BuildTests(0, "bin", Listing(), markers, warnings);
  ASSERT_TRUE(tests);
  EXPECT_EQ((*tests)[0].group, "db");
  EXPECT_EQ((*tests)[1].group, "");
  EXPECT_EQ((*tests)[1].locks,
            (std::vector<ResourceLock>{{"port:1", false}, {"port:2", true}}));
  EXPECT_TRUE((*tests)[2].no_parallel) << "every instance of a parameterized test";
  EXPECT_TRUE((*tests)[3].no_parallel);
  EXPECT_FALSE((*tests)[4].no_parallel);
  EXPECT_TRUE((*tests)[4].needs_network);
  EXPECT_TRUE(warnings.empty());
}

TEST(BuildTests, SuiteMarkerMatchesInstantiatedAndTypedSuites) {
  std::vector<std::string> warnings;
  const std::string markers = Marker("no_parallel_suite", "z.cpp", 1, "r", "Param") +
                              Marker("no_parallel_suite", "z.cpp", 2, "r", "Typed");
  const auto tests = BuildTests(0, "bin", Listing(), markers, warnings);
  ASSERT_TRUE(tests);
  EXPECT_FALSE((*tests)[0].no_parallel);
  EXPECT_TRUE((*tests)[2].no_parallel);
  EXPECT_TRUE((*tests)[3].no_parallel);
  EXPECT_TRUE((*tests)[4].no_parallel);
}

TEST(BuildTests, MarkerWithoutFollowingTestWarnsAndOtherLinesAreIgnored) {
  std::vector<std::string> warnings;
  const std::string markers = "not json\n{\"no\":\"v\"}\n" + Marker("group", "a.cpp", 99, "late");
  const auto tests = BuildTests(0, "bin", Listing(), markers, warnings);
  ASSERT_TRUE(tests);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("a.cpp:99"), std::string::npos);
}

TEST(BuildTests, UnknownProtocolVersionIsAnErrorNamingTheBinary) {
  std::vector<std::string> warnings;
  const auto tests = BuildTests(0, "tests/bin/foo", Listing(),
                                R"({"v":2,"kind":"group","file":"a.cpp","line":1})", warnings);
  ASSERT_FALSE(tests);
  EXPECT_NE(tests.error().message.find("tests/bin/foo"), std::string::npos);
}

}  // namespace
}  // namespace xdist::run
