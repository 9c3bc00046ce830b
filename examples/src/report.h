#pragma once
#include <string>
#include <vector>

namespace shop {
/// Writes a sales report, one line per entry, to `path`. Returns false on I/O error.
bool WriteReport(const std::string& path, const std::vector<std::string>& lines);
/// Reads a report back; empty when the file is missing.
std::vector<std::string> ReadReport(const std::string& path);
}  // namespace shop
