#include "history.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <xdist/xdist.h>

namespace xdist::run {
namespace {

TEST(DurationHistory, KeyUsesTheBinaryFileName) {
  EXPECT_EQ(DurationHistory::Key("/build/tests/bin/foo_test", "A.b"), "foo_test::A.b");
  EXPECT_EQ(DurationHistory::Key("foo_test", "A.b"), "foo_test::A.b");
}

TEST(DurationHistory, SerializeAndParseRoundTrip) {
  DurationHistory history;
  history.Record("b::A.x", {0.25, false});
  history.Record("b::A.y", {1.5, true});
  const auto parsed = DurationHistory::Parse(history.Serialize(), "f");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->Entries(), history.Entries());
}

TEST(DurationHistory, NamesWithQuotesControlsAndInvalidUtf8KeepTheFileValid) {
  DurationHistory history;
  history.Record("b::A.\"quoted\"\\\n", {0.000012, false});
  history.Record("b::A.\xff\xfe", {3e-7, false});
  const auto parsed = DurationHistory::Parse(history.Serialize(), "f");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->Find("b::A.\"quoted\"\\\n"), (HistoryEntry{0.000012, false}));
  EXPECT_EQ(parsed->Entries().size(), 2u);
}

TEST(DurationHistory, EntriesWithoutAValidDurationAreSkipped) {
  const auto parsed = DurationHistory::Parse(
      R"({"format": "xdist-run-durations", "version": 1, "tests": {
          "b::A.ok": {"seconds": 0.5, "failed": true},
          "b::A.negative": {"seconds": -1},
          "b::A.text": {"seconds": "1"},
          "b::A.none": {"failed": false}}})",
      "f");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->Entries().size(), 1u);
  EXPECT_EQ(parsed->Find("b::A.ok"), (HistoryEntry{0.5, true}));
}

TEST(DurationHistory, RejectsCorruptForeignAndOtherVersions) {
  EXPECT_FALSE(DurationHistory::Parse("{not json", "f"));
  EXPECT_FALSE(DurationHistory::Parse(R"({"format": "something-else", "version": 1, "tests": {}})", "f"));
  EXPECT_FALSE(DurationHistory::Parse(R"({"format": "xdist-run-durations", "version": 99, "tests": {}})", "f"));
  EXPECT_FALSE(DurationHistory::Parse("[1, 2]", "f"));
  EXPECT_FALSE(DurationHistory::Parse(R"({"format": "xdist-run-durations", "version": 1.0, "tests": {}})", "f"));
  EXPECT_FALSE(DurationHistory::Parse(R"({"format": "xdist-run-durations", "version": 1})", "f"));
}

TEST(DurationHistory, CorruptFileIsAWarningAndAnEmptyHistory) {
  const std::string dir = xdist::TempPath("cache");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/durations.json") << "garbage";
  std::vector<std::string> warnings;
  const DurationHistory history = DurationHistory::Load(dir, warnings);
  EXPECT_TRUE(history.Empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("durations.json"), std::string::npos);
  // Writing over it replaces the corrupt file.
  DurationHistory update;
  update.Record("b::A.x", {1, false});
  ASSERT_TRUE(update.MergeInto(dir));
  warnings.clear();
  EXPECT_EQ(DurationHistory::Load(dir, warnings).Entries(), update.Entries());
  EXPECT_TRUE(warnings.empty());
}

TEST(DurationHistory, MissingDirectoryIsAnEmptyHistoryWithoutWarning) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(DurationHistory::Load(xdist::TempPath("absent"), warnings).Empty());
  EXPECT_TRUE(warnings.empty());
}

TEST(DurationHistory, MergeKeepsOtherRunsEntriesAndReplacesOwn) {
  const std::string dir = xdist::TempPath("merge");
  DurationHistory first;
  first.Record("b::A.x", {1, false});
  first.Record("b::A.y", {2, false});
  ASSERT_TRUE(first.MergeInto(dir));
  DurationHistory second;
  second.Record("b::A.y", {3, true});
  second.Record("c::B.z", {4, false});
  ASSERT_TRUE(second.MergeInto(dir));
  std::vector<std::string> warnings;
  const DurationHistory merged = DurationHistory::Load(dir, warnings);
  EXPECT_EQ(merged.Find("b::A.x"), (HistoryEntry{1, false}));
  EXPECT_EQ(merged.Find("b::A.y"), (HistoryEntry{3, true}));
  EXPECT_EQ(merged.Find("c::B.z"), (HistoryEntry{4, false}));
}

TEST(DurationHistory, ConcurrentWritersLoseNothing) {
  const std::string dir = xdist::TempPath("concurrent");
  constexpr int kWriters = 8;
  constexpr int kRounds = 20;
  std::vector<pid_t> children;
  for (int writer = 0; writer < kWriters; ++writer) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (int round = 0; round < kRounds; ++round) {
        DurationHistory update;
        update.Record("w" + std::to_string(writer) + "::T.r" + std::to_string(round), {0.5, false});
        if (!update.MergeInto(dir)) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::vector<std::string> warnings;
  EXPECT_EQ(DurationHistory::Load(dir, warnings).Entries().size(),
            static_cast<std::size_t>(kWriters * kRounds));
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace xdist::run
