// Hazard: the client tests start their own local server on the same fixed port as
// echo_server_test.cpp.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "echo_server.h"

TEST(Client, SendsRequestLine) {
  shop::EchoServer server(47321);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(shop::EchoRequest(47321, "GET / HTTP/1.0"), "GET / HTTP/1.0");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

TEST(Client, ReconnectsAfterServerRestart) {
  for (int round = 0; round < 2; ++round) {
    shop::EchoServer server(47321);
    ASSERT_TRUE(server.ok());
    EXPECT_EQ(shop::EchoRequest(47321, "ping"), "ping");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

TEST(Client, EchoesEmptyBodyAsNothing) {
  shop::EchoServer server(47321);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(shop::EchoRequest(47321, ""), "");
}
