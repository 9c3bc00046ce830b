#pragma once
#include <string>
#include <vector>

namespace shop {
std::string Trim(const std::string& text);
std::vector<std::string> Split(const std::string& text, char separator);
std::string Join(const std::vector<std::string>& parts, const std::string& separator);
std::string ToUpper(std::string text);
/// Collapses repeated '/' and removes a trailing one: "/tmp//a/" -> "/tmp/a".
std::string NormalizePath(const std::string& path);
bool StartsWith(const std::string& text, const std::string& prefix);
std::string FormatPrice(long cents);
}  // namespace shop
