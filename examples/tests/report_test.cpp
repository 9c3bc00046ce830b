// Hazard: two tests write the same fixed file under /tmp. Run side by side, each reads
// back the other's report.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "report.h"
#include "text.h"

namespace {
// Formatting a large report takes a while; the sleep stands for that work.
void FormatLargeReport() { std::this_thread::sleep_for(std::chrono::milliseconds(400)); }
}  // namespace

TEST(Report, DailyTotalsRoundTrip) {
  ASSERT_TRUE(shop::WriteReport("/tmp/xdist_example_report.txt", {"daily", "total=120"}));
  FormatLargeReport();
  EXPECT_EQ(shop::ReadReport("/tmp/xdist_example_report.txt"),
            (std::vector<std::string>{"daily", "total=120"}));
}

TEST(Report, WeeklyTotalsRoundTrip) {
  ASSERT_TRUE(shop::WriteReport("/tmp/xdist_example_report.txt", {"weekly", "total=840"}));
  FormatLargeReport();
  EXPECT_EQ(shop::ReadReport("/tmp/xdist_example_report.txt"),
            (std::vector<std::string>{"weekly", "total=840"}));
}

TEST(Report, MissingFileReadsEmpty) {
  EXPECT_TRUE(shop::ReadReport("/nonexistent/xdist/report.txt").empty());
}

TEST(Report, PathLooksTemporary) {
  // Data, not a file operation: the path is only compared.
  EXPECT_TRUE(shop::StartsWith("/tmp/xdist_example_report.txt", "/tmp/"));
}
