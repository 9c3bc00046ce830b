// Hazard: the archive job writes the same /tmp report file as report_test.cpp.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "report.h"

TEST(Archive, StoresMonthlyReport) {
  const std::string path = "/tmp/xdist_example_report.txt";
  ASSERT_TRUE(shop::WriteReport(path, {"monthly", "total=3600"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(shop::ReadReport(path).front(), "monthly");
}

TEST(Archive, KeepsLinesInOrder) {
  ASSERT_TRUE(shop::WriteReport("/tmp/xdist_example_archive.txt", {"a", "b", "c"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(shop::ReadReport("/tmp/xdist_example_archive.txt"),
            (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Archive, EmptyReport) {
  ASSERT_TRUE(shop::WriteReport("/tmp/xdist_example_archive.txt", {}));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(shop::ReadReport("/tmp/xdist_example_archive.txt").empty());
}
