#include "ctest_export.h"

#include <algorithm>

namespace xdist::run {

namespace {

// GoogleTest's PrintOnOneLine() for --gtest_list_tests: newlines become "\n", and
// after 250 characters "..." ends it. gtest_discover_tests names tests from that text.
std::string OneLine(std::string_view text) {
  constexpr std::size_t kMaxParamLength = 250;
  std::string out;
  std::size_t length = 0;
  for (const char c : text) {
    if (length >= kMaxParamLength) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
      length += 2;
    } else {
      out += c;
      ++length;
    }
  }
  return out;
}

std::string WithoutDisabledPrefix(std::string text) {
  constexpr std::string_view kDisabled = "DISABLED_";
  if (text.compare(0, kDisabled.size(), kDisabled) == 0) text.erase(0, kDisabled.size());
  return text;
}

}  // namespace

std::string CTestName(const TestCase& test) {
  // As GoogleTestAddTests.cmake builds it from the text listing.
  std::string suite = test.suite;
  if (!test.type_param.empty()) suite = suite.substr(0, suite.find('/'));
  std::string name = test.name;
  if (!test.value_param.empty()) {
    const std::size_t slash = name.rfind('/');
    if (slash != std::string::npos) name = name.substr(0, slash + 1) + OneLine(test.value_param);
  }
  std::string full = WithoutDisabledPrefix(suite) + "." + WithoutDisabledPrefix(name);
  if (!test.type_param.empty()) full += "<" + OneLine(test.type_param) + ">";
  return full;
}

std::string CMakeBracket(std::string_view text) {
  std::string equals = "=";
  while (text.find("]" + equals + "]") != std::string_view::npos) equals += '=';
  return "[" + equals + "[" + std::string(text) + "]" + equals + "]";
}

std::string WriteCTestProperties(const std::vector<TestCase>& tests,
                                 const std::vector<std::string>& sources,
                                 const CTestNaming& naming) {
  std::string out =
      "# CTest properties from the xdist markers of:\n";
  for (const std::string& source : sources) out += "#   " + source + "\n";
  out +=
      "# Written by xdist-run --export-ctest; regenerate instead of editing. Include it after\n"
      "# gtest_discover_tests() in the directory that registers the tests:\n"
      "#   set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES <this file>)\n";
  for (const TestCase& test : tests) {
    std::vector<std::string> keys;
    const auto add = [&](const std::string& key) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    };
    for (const ResourceLock& lock : test.locks) add(lock.key);
    if (!test.group.empty()) add("group:" + test.group);
    if (!test.no_parallel && keys.empty()) continue;
    std::string properties;
    if (test.no_parallel) properties += " RUN_SERIAL TRUE";
    if (!keys.empty()) {
      std::string list;
      for (const std::string& key : keys) {
        if (!list.empty()) list += ';';
        // CTest reads the property as a list: a `;` of the key itself is escaped.
        for (const char c : key) {
          if (c == ';') list += '\\';
          list += c;
        }
      }
      properties += " RESOURCE_LOCK " + CMakeBracket(list);
    }
    out += "set_tests_properties(" +
           CMakeBracket(naming.prefix + CTestName(test) + naming.suffix) + " PROPERTIES" +
           properties + ")\n";
  }
  return out;
}

}  // namespace xdist::run
