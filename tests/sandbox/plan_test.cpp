// BuildHolderPlan: which namespaces and mounts a worker gets, for the layouts that
// matter (run directory, working directory or binaries under /tmp), without a kernel.
#include <sched.h>

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sandbox_plan.h"

namespace xdist::run {
namespace {

using Kind = HolderStep::Kind;

PlanInput Layout(IsolationLevels levels) {
  PlanInput input;
  input.levels = levels;
  input.run_dir = "/var/run-xdist/r1";
  input.private_dir = "/var/run-xdist/r1/sandbox-gw0";
  input.cwd = "/src/project";
  input.tmp_targets = {{"/tmp", "tmp"}, {"/var/tmp", "var-tmp"}, {"/dev/shm", "shm"}};
  return input;
}

// Index of the first step of `kind` on `target`, or -1.
int Find(const HolderPlan& plan, Kind kind, const std::string& target) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].kind == kind && plan.steps[i].target == target) return static_cast<int>(i);
  }
  return -1;
}

int FirstMount(const HolderPlan& plan) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Kind kind = plan.steps[i].kind;
    if (kind == Kind::kMountTmpfs || kind == Kind::kBindSlot || kind == Kind::kOverlay) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

TEST(BuildHolderPlan, NetAsRootIsANetworkNamespaceWithLoopback) {
  const Expected<HolderPlan> plan = BuildHolderPlan(Layout({true, false, false}));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].kind, Kind::kUnshare);
  EXPECT_EQ(plan->steps[0].flags, CLONE_NEWNET);
  EXPECT_EQ(plan->steps[1].kind, Kind::kLoopbackUp);
}

TEST(BuildHolderPlan, NormalUserGetsAUserNamespaceMappingOwnIds) {
  PlanInput input = Layout({true, false, false});
  input.uid = 1000;
  input.gid = 1001;
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->steps.size(), 6u);
  EXPECT_EQ(plan->steps[0].kind, Kind::kUnshare);
  EXPECT_EQ(plan->steps[0].flags, CLONE_NEWUSER);
  EXPECT_EQ(plan->steps[1].target, "/proc/self/setgroups");
  EXPECT_EQ(plan->steps[1].data, "deny");
  EXPECT_EQ(plan->steps[2].target, "/proc/self/uid_map");
  EXPECT_EQ(plan->steps[2].data, "1000 1000 1\n");
  EXPECT_EQ(plan->steps[3].target, "/proc/self/gid_map");
  EXPECT_EQ(plan->steps[3].data, "1001 1001 1\n");
  // The network namespace comes after the user namespace, which then owns it.
  EXPECT_EQ(plan->steps[4].flags, CLONE_NEWNET);
}

TEST(BuildHolderPlan, TmpMasksEachTargetWithADirectoryOnAPrivateTmpfs) {
  const Expected<HolderPlan> plan = BuildHolderPlan(Layout({false, true, false}));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->steps[0].kind, Kind::kUnshare);
  EXPECT_EQ(plan->steps[0].flags, CLONE_NEWNS);
  const int make_private = Find(*plan, Kind::kMakePrivate, "/");
  const int tmpfs = Find(*plan, Kind::kMountTmpfs, "/var/run-xdist/r1/sandbox-gw0");
  ASSERT_EQ(make_private, 1);
  ASSERT_GT(tmpfs, make_private);
  for (const char* target : {"/tmp", "/var/tmp", "/dev/shm"}) {
    EXPECT_GT(Find(*plan, Kind::kBindSlot, target), tmpfs) << target;
  }
  const int tmp_dir = Find(*plan, Kind::kMakeDir, "/var/run-xdist/r1/sandbox-gw0/tmp");
  ASSERT_GE(tmp_dir, 0);
  EXPECT_EQ(plan->steps[tmp_dir].mode, 01777u);
}

TEST(BuildHolderPlan, KeepPutsThePrivateDirectoriesOnDisk) {
  PlanInput input = Layout({false, true, true});
  input.keep = true;
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(Find(*plan, Kind::kMountTmpfs, "/var/run-xdist/r1/sandbox-gw0"), -1);
  EXPECT_GE(Find(*plan, Kind::kMakeDir, "/var/run-xdist/r1/sandbox-gw0/upper"), 0);
}

TEST(BuildHolderPlan, PathsUnderTmpAreBoundBackFromOriginalsOpenedBeforeMasking) {
  PlanInput input = Layout({false, true, false});
  input.run_dir = "/tmp/xdist-run-1";
  input.private_dir = "/tmp/xdist-run-1/sandbox-gw0";
  input.cwd = "/tmp/ci-checkout/src";
  input.visible_paths = {"/tmp/ci-checkout/build/tests/foo_test", "/tmp/loose_test",
                         "/opt/elsewhere"};
  input.visible_is_file = {true, true, false};
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_TRUE(plan) << plan.error().message;
  const int mask = Find(*plan, Kind::kBindSlot, "/tmp");
  ASSERT_GE(mask, 0);
  for (const char* entry : {"/tmp/xdist-run-1", "/tmp/ci-checkout", "/tmp/loose_test"}) {
    const int open = Find(*plan, Kind::kOpenPath, entry);
    const int bind = Find(*plan, Kind::kBindSlot, entry);
    ASSERT_GE(open, 0) << entry;
    EXPECT_LT(open, FirstMount(*plan)) << entry << " must be opened before anything is mounted";
    EXPECT_GT(bind, mask) << entry << " must be bound back after /tmp is masked";
    EXPECT_EQ(plan->steps[bind].slot, plan->steps[open].slot) << entry;
  }
  // The checkout is bound back once, as a directory; the loose binary as a file.
  EXPECT_GE(Find(*plan, Kind::kMakeDir, "/tmp/xdist-run-1/sandbox-gw0/tmp/ci-checkout"), 0);
  EXPECT_GE(Find(*plan, Kind::kMakeFile, "/tmp/xdist-run-1/sandbox-gw0/tmp/loose_test"), 0);
  EXPECT_EQ(std::count_if(plan->steps.begin(), plan->steps.end(),
                          [](const HolderStep& s) { return s.kind == Kind::kBindSlot; }),
            3 + 3);  // three masks, three entries bound back
  EXPECT_EQ(Find(*plan, Kind::kOpenPath, "/opt/elsewhere"), -1);
}

TEST(BuildHolderPlan, TmpRefusesToMaskTheWorkingDirectoryItself) {
  PlanInput input = Layout({false, true, false});
  input.cwd = "/tmp";
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message,
            "tmp: the working directory is /tmp itself, which tmp isolation replaces; use a "
            "directory inside it");
}

TEST(BuildHolderPlan, CwdOverlaysTheWorkingDirectoryWithItselfAsLowerLayer) {
  const Expected<HolderPlan> plan = BuildHolderPlan(Layout({false, false, true}));
  ASSERT_TRUE(plan) << plan.error().message;
  const int overlay = Find(*plan, Kind::kOverlay, "/src/project");
  ASSERT_GE(overlay, 0);
  EXPECT_EQ(plan->steps[overlay].data,
            "lowerdir=/src/project,upperdir=/var/run-xdist/r1/sandbox-gw0/upper,"
            "workdir=/var/run-xdist/r1/sandbox-gw0/work");
}

TEST(BuildHolderPlan, CwdInAUserNamespaceUsesUserXattrs) {
  PlanInput input = Layout({false, false, true});
  input.uid = 1000;
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_TRUE(plan) << plan.error().message;
  const int overlay = Find(*plan, Kind::kOverlay, "/src/project");
  ASSERT_GE(overlay, 0);
  EXPECT_TRUE(plan->steps[overlay].data.ends_with(",userxattr")) << plan->steps[overlay].data;
}

TEST(BuildHolderPlan, RunDirectoryInsideTheWorkingDirectoryStaysReal) {
  PlanInput input = Layout({false, false, true});
  input.run_dir = "/src/project/build/xdist-run";
  input.private_dir = "/src/project/build/xdist-run/sandbox-gw0";
  const Expected<HolderPlan> plan = BuildHolderPlan(input);
  ASSERT_TRUE(plan) << plan.error().message;
  const int overlay = Find(*plan, Kind::kOverlay, "/src/project");
  const int bind = Find(*plan, Kind::kBindSlot, "/src/project/build/xdist-run");
  ASSERT_GE(overlay, 0);
  EXPECT_GT(bind, overlay);
  EXPECT_LT(Find(*plan, Kind::kOpenPath, "/src/project/build/xdist-run"), FirstMount(*plan));
}

TEST(BuildHolderPlan, CwdRefusesTheRootAndTheRunDirectory) {
  PlanInput root = Layout({false, false, true});
  root.cwd = "/";
  ASSERT_FALSE(BuildHolderPlan(root));
  PlanInput inside = Layout({false, false, true});
  inside.cwd = "/var/run-xdist/r1/work";
  const Expected<HolderPlan> plan = BuildHolderPlan(inside);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("lies inside the run directory"), std::string::npos)
      << plan.error().message;
}

TEST(LayoutProblems, NameTheLevelAndOnlyWhenTheLayoutRulesItOut) {
  EXPECT_EQ(CwdLayoutProblem(Layout({false, false, true})), "");
  EXPECT_EQ(TmpLayoutProblem(Layout({false, true, false})), "");
  PlanInput root = Layout({false, false, true});
  root.cwd = "/";
  EXPECT_TRUE(CwdLayoutProblem(root).starts_with("cwd: the working directory is /;"))
      << CwdLayoutProblem(root);
  PlanInput in_tmp = Layout({false, true, false});
  in_tmp.cwd = "/tmp";
  EXPECT_TRUE(TmpLayoutProblem(in_tmp).starts_with("tmp: the working directory is /tmp itself"))
      << TmpLayoutProblem(in_tmp);
  EXPECT_EQ(CwdLayoutProblem(in_tmp), "");
}

TEST(EscapeOverlayPath, EscapesTheOptionSeparators) {
  EXPECT_EQ(EscapeOverlayPath("/a,b:c\\d"), "/a\\,b\\:c\\\\d");
  EXPECT_EQ(EscapeOverlayPath("/plain/path"), "/plain/path");
}

}  // namespace
}  // namespace xdist::run
