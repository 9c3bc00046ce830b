#include "LintConfig.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace xdist::analyzer {

namespace {

std::string Scalar(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) throw YAML::Exception(node.Mark(), what + " must be a string");
  return node.as<std::string>();
}

}  // namespace

std::variant<LintConfig, std::string> ParseLintConfig(const std::string& text,
                                                      const std::string& origin) {
  try {
    const YAML::Node root = YAML::Load(text);
    LintConfig config;
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) return origin + ": expected a mapping at the top level";
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      const YAML::Node& value = entry.second;
      if (key == "Checks") {
        config.checks = Scalar(value, "Checks");
      } else if (key == "TestSourceRegex") {
        config.test_source_regex = Scalar(value, "TestSourceRegex");
      } else if (key == "CheckOptions") {
        if (value.IsMap()) {
          for (const auto& option : value) {
            config.check_options[option.first.as<std::string>()] =
                Scalar(option.second, option.first.as<std::string>());
          }
        } else if (value.IsSequence()) {
          for (const auto& option : value) {
            if (!option.IsMap() || !option["key"] || !option["value"]) {
              throw YAML::Exception(option.Mark(), "each CheckOptions entry needs key and value");
            }
            config.check_options[Scalar(option["key"], "key")] = Scalar(option["value"], "value");
          }
        } else if (!value.IsNull()) {
          throw YAML::Exception(value.Mark(), "CheckOptions must be a mapping or a list");
        }
      } else {
        throw YAML::Exception(entry.first.Mark(), "unknown key '" + key + "'");
      }
    }
    return config;
  } catch (const YAML::Exception& error) {
    return origin + ":" + std::to_string(error.mark.line + 1) + ":" +
           std::to_string(error.mark.column + 1) + ": " + error.msg;
  }
}

std::optional<std::string> FindLintConfig(const std::string& directory) {
  std::error_code ignored;
  std::filesystem::path current = std::filesystem::absolute(directory, ignored);
  while (!current.empty()) {
    const std::filesystem::path candidate = current / kConfigFileName;
    if (std::filesystem::is_regular_file(candidate, ignored)) return candidate.string();
    if (current == current.parent_path()) break;
    current = current.parent_path();
  }
  return std::nullopt;
}

}  // namespace xdist::analyzer
