#include "config.h"

#include <cstdlib>
#include <fstream>

namespace shop {

Config g_config;

int AttemptsFor(int priority) { return g_config.max_retries + (priority > 5 ? 1 : 0); }

std::string LogLevel() {
  const char* level = std::getenv("APP_LOG_LEVEL");
  return level != nullptr ? level : "info";
}

std::string ReadSetting(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos && line.substr(0, equals) == key) return line.substr(equals + 1);
  }
  return "";
}

}  // namespace shop
