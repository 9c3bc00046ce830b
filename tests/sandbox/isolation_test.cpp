// ParseIsolation, DescribeIsolation and ResolveIsolation: the pure parts of --isolate.
#include <gtest/gtest.h>

#include "sandbox.h"

namespace xdist::run {
namespace {

TEST(ParseIsolation, SingleLevels) {
  for (const auto& [text, expected] :
       {std::pair{"net", IsolationLevels{true, false, false}},
        std::pair{"tmp", IsolationLevels{false, true, false}},
        std::pair{"cwd", IsolationLevels{false, false, true}}}) {
    const Expected<IsolationRequest> request = ParseIsolation(text);
    ASSERT_TRUE(request) << text << ": " << request.error().message;
    EXPECT_EQ(request->levels, expected) << text;
    EXPECT_FALSE(request->automatic) << text;
  }
}

TEST(ParseIsolation, CommaListInAnyOrderWithRepeats) {
  const Expected<IsolationRequest> request = ParseIsolation("cwd,net,cwd");
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->levels, (IsolationLevels{true, false, true}));
}

TEST(ParseIsolation, AllAndAuto) {
  const Expected<IsolationRequest> all = ParseIsolation("all");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->levels, (IsolationLevels{true, true, true}));
  EXPECT_FALSE(all->automatic);
  const Expected<IsolationRequest> automatic = ParseIsolation("auto");
  ASSERT_TRUE(automatic);
  EXPECT_EQ(automatic->levels, (IsolationLevels{true, true, true}));
  EXPECT_TRUE(automatic->automatic);
}

TEST(ParseIsolation, RejectsUnknownWordsNamingThem) {
  for (const char* text : {"nett", "net,", ",net", "net,,tmp", "NET", "all,net", "none"}) {
    const Expected<IsolationRequest> request = ParseIsolation(text);
    ASSERT_FALSE(request) << text;
    EXPECT_NE(request.error().message.find("unknown level"), std::string::npos) << request.error().message;
  }
  const Expected<IsolationRequest> request = ParseIsolation("net,nett");
  ASSERT_FALSE(request);
  EXPECT_NE(request.error().message.find("'nett'"), std::string::npos) << request.error().message;
}

TEST(ParseIsolation, RejectsEmpty) {
  const Expected<IsolationRequest> request = ParseIsolation("");
  ASSERT_FALSE(request);
  EXPECT_NE(request.error().message.find("needs a value"), std::string::npos) << request.error().message;
}

TEST(DescribeIsolation, ListsEnabledLevelsInFixedOrder) {
  EXPECT_EQ(DescribeIsolation({}), "none");
  EXPECT_EQ(DescribeIsolation({true, true, true}), "net,tmp,cwd");
  EXPECT_EQ(DescribeIsolation({false, true, true}), "tmp,cwd");
  EXPECT_EQ(DescribeIsolation({true, false, false}), "net");
}

ProbeResult NoOverlay() {
  ProbeResult probe;
  probe.available = {true, true, false};
  probe.cwd_unavailable = "mounting overlayfs failed: No such device";
  return probe;
}

TEST(ResolveIsolation, ExplicitAvailableLevelsPass) {
  const Expected<ResolvedIsolation> resolved =
      ResolveIsolation({{true, true, false}, false}, NoOverlay());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->levels, (IsolationLevels{true, true, false}));
  EXPECT_TRUE(resolved->warnings.empty());
}

TEST(ResolveIsolation, ExplicitUnavailableLevelIsAnErrorNamingItAndWhy) {
  const Expected<ResolvedIsolation> resolved =
      ResolveIsolation({{true, false, true}, false}, NoOverlay());
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().message,
            "--isolate cwd is unavailable: mounting overlayfs failed: No such device");
}

TEST(ResolveIsolation, AutoKeepsWhatIsAvailableAndWarnsAboutTheRest) {
  const Expected<ResolvedIsolation> resolved =
      ResolveIsolation({{true, true, true}, true}, NoOverlay());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->levels, (IsolationLevels{true, true, false}));
  ASSERT_EQ(resolved->warnings.size(), 1u);
  EXPECT_EQ(resolved->warnings[0],
            "--isolate cwd is unavailable: mounting overlayfs failed: No such device");
}

TEST(ResolveIsolation, AutoOnAMachineWithoutNamespacesResolvesToNone) {
  ProbeResult probe;
  probe.net_unavailable = probe.tmp_unavailable = probe.cwd_unavailable = "no namespaces";
  const Expected<ResolvedIsolation> resolved = ResolveIsolation({{true, true, true}, true}, probe);
  ASSERT_TRUE(resolved);
  EXPECT_FALSE(resolved->levels.Any());
  EXPECT_EQ(resolved->warnings.size(), 3u);
}

TEST(Probe, EveryMissingLevelSaysWhy) {
  const ProbeResult probe = Probe();
  EXPECT_EQ(probe.available.net, probe.net_unavailable.empty()) << probe.net_unavailable;
  EXPECT_EQ(probe.available.tmp, probe.tmp_unavailable.empty()) << probe.tmp_unavailable;
  EXPECT_EQ(probe.available.cwd, probe.cwd_unavailable.empty()) << probe.cwd_unavailable;
}

}  // namespace
}  // namespace xdist::run
