// Hazard: a module-level config. One test changes it and does not put it back; another
// assumes the default. In the file's order the second runs first and all is well; in
// any other order (shuffled, or another test before it on the same worker) it fails.
#include <gtest/gtest.h>

#include "config.h"

TEST(Attempts, DefaultIsThree) { EXPECT_EQ(shop::AttemptsFor(1), 3); }
TEST(Attempts, HighPriorityGetsOneMore) { EXPECT_EQ(shop::AttemptsFor(9), 4); }
TEST(Currency, DefaultIsEuro) { EXPECT_EQ(shop::g_config.currency, "EUR"); }
TEST(Verbose, OffByDefault) { EXPECT_FALSE(shop::g_config.verbose); }

TEST(Retries, CanBeRaisedForFlakyBackends) {
  shop::g_config.max_retries = 10;
  EXPECT_EQ(shop::AttemptsFor(1), 10);
}

TEST(Currency, CanSwitchToDollars) {
  shop::g_config.currency = "USD";
  EXPECT_EQ(shop::g_config.currency, "USD");
}

TEST(Attempts, ZeroPriority) { EXPECT_GE(shop::AttemptsFor(0), 1); }
TEST(Attempts, NegativePriority) { EXPECT_GE(shop::AttemptsFor(-3), 1); }
