// Hazard: process state. One test sets an environment variable, another changes the
// working directory; neither restores it, and later tests in the same process see it.
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "config.h"

TEST(LogLevel, DefaultsToInfo) { EXPECT_EQ(shop::LogLevel(), "info"); }

TEST(Settings, ReadsWarehouseFromTestdata) {
  EXPECT_EQ(shop::ReadSetting("testdata/settings.ini", "warehouse"), "north");
}

TEST(Settings, MissingKeyIsEmpty) {
  EXPECT_EQ(shop::ReadSetting("testdata/settings.ini", "nope"), "");
}

TEST(LogLevel, DebugFromEnvironment) {
  setenv("APP_LOG_LEVEL", "debug", 1);
  EXPECT_EQ(shop::LogLevel(), "debug");
}

TEST(Settings, CurrencyFromTestdata) {
  EXPECT_EQ(shop::ReadSetting("testdata/settings.ini", "currency"), "EUR");
}

TEST(LogLevel, EmptyValueIsKept) {
  EXPECT_NE(shop::LogLevel(), "");
}

TEST(WorkingDirectory, SettingsAreRelativeToIt) {
  ASSERT_EQ(chdir("/"), 0);
  EXPECT_EQ(shop::ReadSetting("testdata/settings.ini", "warehouse"), "");
}
