#include "report.h"

#include <fstream>

namespace shop {

bool WriteReport(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
  return static_cast<bool>(out);
}

std::vector<std::string> ReadReport(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace shop
