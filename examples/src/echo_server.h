#pragma once
#include <atomic>
#include <string>
#include <thread>

namespace shop {
/// A tiny line-echo TCP server on 127.0.0.1, serving on a background thread.
class EchoServer {
 public:
  /// Binds and listens on `port`; ok() tells whether that worked.
  explicit EchoServer(int port);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  bool ok() const { return listen_fd_ >= 0; }
  int served() const { return served_; }

 private:
  void Serve();
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

/// Connects to 127.0.0.1:`port`, sends `message`, returns the reply ("" on error).
std::string EchoRequest(int port, const std::string& message);
}  // namespace shop
