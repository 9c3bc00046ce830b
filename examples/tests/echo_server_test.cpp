// Hazard: every test starts the server on the same fixed port; a second server on that
// port fails to bind while the first still runs.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "echo_server.h"

namespace {
constexpr int kEchoPort = 47321;
void ServeForAWhile() { std::this_thread::sleep_for(std::chrono::milliseconds(500)); }
}  // namespace

TEST(EchoServer, Starts) {
  shop::EchoServer server(kEchoPort);
  ASSERT_TRUE(server.ok());
  ServeForAWhile();
}

TEST(EchoServer, EchoesOneMessage) {
  shop::EchoServer server(kEchoPort);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(shop::EchoRequest(kEchoPort, "hello"), "hello");
  ServeForAWhile();
}

TEST(EchoServer, ServesSeveralClients) {
  shop::EchoServer server(kEchoPort);
  ASSERT_TRUE(server.ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(shop::EchoRequest(kEchoPort, "n" + std::to_string(i)), "n" + std::to_string(i));
  ServeForAWhile();
  EXPECT_EQ(server.served(), 5);
}

TEST(EchoServer, RefusesWhenStopped) {
  { shop::EchoServer server(kEchoPort); ASSERT_TRUE(server.ok()); }
  EXPECT_EQ(shop::EchoRequest(kEchoPort, "late"), "");
}
