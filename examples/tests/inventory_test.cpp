// Hazard: database state. Every test opens the same SQLite file; one inserts rows while
// another counts them.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "inventory.h"

namespace {
const char* const kDatabase = "/tmp/xdist_example_inventory.db";
void SimulateCheckout() { std::this_thread::sleep_for(std::chrono::milliseconds(400)); }
}  // namespace

TEST(Inventory, StartsEmpty) {
  shop::Inventory inventory(kDatabase);
  ASSERT_TRUE(inventory.ok());
  SimulateCheckout();
  EXPECT_EQ(inventory.Count(), 0);
}

TEST(Inventory, AddsItems) {
  shop::Inventory inventory(kDatabase);
  ASSERT_TRUE(inventory.ok());
  ASSERT_TRUE(inventory.Add("apple", 3));
  ASSERT_TRUE(inventory.Add("pear", 5));
  SimulateCheckout();
  EXPECT_EQ(inventory.Count(), 2);
  inventory.Remove("apple");
  inventory.Remove("pear");
}

TEST(Inventory, TracksQuantity) {
  shop::Inventory inventory(kDatabase);
  ASSERT_TRUE(inventory.ok());
  ASSERT_TRUE(inventory.Add("plum", 7));
  SimulateCheckout();
  EXPECT_EQ(inventory.Quantity("plum"), 7);
  EXPECT_EQ(inventory.Count(), 1);
  inventory.Remove("plum");
}

TEST(Inventory, UnknownSkuHasNoQuantity) {
  shop::Inventory inventory(kDatabase);
  ASSERT_TRUE(inventory.ok());
  EXPECT_EQ(inventory.Quantity("kiwi"), -1);
}
