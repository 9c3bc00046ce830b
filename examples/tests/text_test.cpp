// Pure functions: safe to run in parallel as they are. The paths below are only data;
// a tool that rewrote them would change what the tests check.
#include <gtest/gtest.h>

#include "text.h"

using shop::Join;
using shop::NormalizePath;
using shop::Split;
using shop::StartsWith;
using shop::ToUpper;
using shop::Trim;

TEST(Trim, RemovesSurroundingSpace) { EXPECT_EQ(Trim("  a b  "), "a b"); }
TEST(Trim, KeepsInnerSpace) { EXPECT_EQ(Trim("a  b"), "a  b"); }
TEST(Trim, EmptyStaysEmpty) { EXPECT_EQ(Trim(""), ""); }
TEST(Trim, OnlySpaceBecomesEmpty) { EXPECT_EQ(Trim(" \t\n"), ""); }
TEST(Split, OnSeparator) { EXPECT_EQ(Split("a,b,c", ','), (std::vector<std::string>{"a", "b", "c"})); }
TEST(Split, KeepsEmptyFields) { EXPECT_EQ(Split("a,,b", ',').size(), 3u); }
TEST(Split, NoSeparatorGivesWhole) { EXPECT_EQ(Split("abc", ','), std::vector<std::string>{"abc"}); }
TEST(Join, WithSeparator) { EXPECT_EQ(Join({"a", "b"}, ", "), "a, b"); }
TEST(Join, SingleElement) { EXPECT_EQ(Join({"a"}, ", "), "a"); }
TEST(Join, Empty) { EXPECT_EQ(Join({}, ", "), ""); }
TEST(ToUpper, Ascii) { EXPECT_EQ(ToUpper("sku-42"), "SKU-42"); }
TEST(NormalizePath, CollapsesSlashes) { EXPECT_EQ(NormalizePath("/tmp//orders///today"), "/tmp/orders/today"); }
TEST(NormalizePath, DropsTrailingSlash) { EXPECT_EQ(NormalizePath("/var/tmp/"), "/var/tmp"); }
TEST(NormalizePath, KeepsRoot) { EXPECT_EQ(NormalizePath("/"), "/"); }
TEST(StartsWith, Prefix) { EXPECT_TRUE(StartsWith("/tmp/report.txt", "/tmp/")); }
TEST(StartsWith, NotPrefix) { EXPECT_FALSE(StartsWith("/home/x", "/tmp/")); }
TEST(FormatPrice, Cents) { EXPECT_EQ(shop::FormatPrice(1999), "19.99"); }
TEST(FormatPrice, Zero) { EXPECT_EQ(shop::FormatPrice(0), "0.00"); }
TEST(FormatPrice, Leading) { EXPECT_EQ(shop::FormatPrice(5), "0.05"); }
TEST(RoundTrip, SplitThenJoin) { EXPECT_EQ(Join(Split("x:y:z", ':'), ":"), "x:y:z"); }
