// Hazard: exports go to a fixed file name in the current directory, shared by every
// test process started in the same build directory.
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "report.h"

TEST(Export, WritesCustomersCsv) {
  {
    std::ofstream out("export.csv");
    out << "id,name\n1,Ada\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(shop::ReadReport("export.csv"), (std::vector<std::string>{"id,name", "1,Ada"}));
}

TEST(Export, WritesOrdersCsv) {
  {
    std::ofstream out("export.csv");
    out << "order,total\n7,19.99\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(shop::ReadReport("export.csv"), (std::vector<std::string>{"order,total", "7,19.99"}));
}

TEST(Export, ReadsBundledSettings) {
  std::ifstream in("testdata/settings.ini");
  EXPECT_TRUE(in.good());
}
