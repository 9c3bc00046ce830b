#pragma once
#include <string>

namespace shop {
/// Process-wide settings, read by the order pipeline.
struct Config {
  int max_retries = 3;
  bool verbose = false;
  std::string currency = "EUR";
};
extern Config g_config;

/// How many attempts an order gets, from g_config.
int AttemptsFor(int priority);
/// The log level from APP_LOG_LEVEL, "info" when unset.
std::string LogLevel();
/// Reads key=value pairs from `path`; returns the value of `key`, or "" if absent.
std::string ReadSetting(const std::string& path, const std::string& key);
}  // namespace shop
