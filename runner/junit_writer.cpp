#include "junit_writer.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <tuple>

#include <pugixml.hpp>

namespace xdist::run {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

// Length of the valid UTF-8 sequence at `text[at]`, or 0 if it is not valid.
std::size_t Utf8Length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid.
  if (lead == 0xe0 && byte(at + 1) < 0xa0) return 0;
  if (lead == 0xed && byte(at + 1) >= 0xa0) return 0;
  if (lead == 0xf0 && byte(at + 1) < 0x90) return 0;
  if (lead == 0xf4 && byte(at + 1) >= 0x90) return 0;
  // U+FFFE and U+FFFF are not XML characters.
  if (lead == 0xef && byte(at + 1) == 0xbf && byte(at + 2) >= 0xbe) return 0;
  return length;
}

// The first line of a message, for the `message` attribute.
// The end of a test's output, for the body of an <error> (the whole output is in
// <system-out>): what a crash or hang printed last is what explains it.
std::string Tail(const std::string& text) {
  constexpr std::size_t kTail = 4096;
  return text.size() <= kTail ? text : "...\n" + text.substr(text.size() - kTail);
}

std::string FirstLine(std::string_view text) {
  while (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text.substr(0, text.find('\n')));
}

struct Counts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double seconds = 0;
};

void SetCounts(pugi::xml_node node, const Counts& counts) {
  node.append_attribute("tests") = counts.tests;
  node.append_attribute("failures") = counts.failures;
  node.append_attribute("errors") = counts.errors;
  node.append_attribute("skipped") = counts.skipped;
  node.append_attribute("time") = Seconds(counts.seconds).c_str();
}

}  // namespace

std::string XmlSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') {
        out += static_cast<char>(c);
      } else {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
        out += escaped;
      }
      ++i;
      continue;
    }
    const std::size_t length = Utf8Length(text, i);
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string WriteJUnit(const JUnitReport& report) {
  const std::vector<TestCase>& tests = *report.tests;
  std::vector<const TestResult*> results;
  for (const TestResult& result : *report.results) results.push_back(&result);
  std::stable_sort(results.begin(), results.end(), [&](const TestResult* a, const TestResult* b) {
    const TestCase& x = tests[a->test];
    const TestCase& y = tests[b->test];
    return std::tie(x.binary, x.order, a->repetition) < std::tie(y.binary, y.order, b->repetition);
  });

  pugi::xml_document document;
  pugi::xml_node root = document.append_child("testsuites");
  root.append_attribute("name") = "xdist-run";
  Counts total;
  pugi::xml_node suite_node;
  Counts suite_counts;
  std::size_t suite_binary = 0;
  std::string suite_name;
  const auto close_suite = [&] {
    if (suite_node) SetCounts(suite_node, suite_counts);
  };
  for (const TestResult* result : results) {
    const TestCase& test = tests[result->test];
    if (!suite_node || test.binary != suite_binary || test.suite != suite_name) {
      close_suite();
      suite_node = root.append_child("testsuite");
      suite_node.append_attribute("name") = XmlSafe(test.suite).c_str();
      suite_node.append_attribute("timestamp") = report.timestamp.c_str();
      suite_node.append_attribute("hostname") = XmlSafe(report.hostname).c_str();
      suite_node.append_attribute("file") = XmlSafe(test.file).c_str();
      pugi::xml_node properties = suite_node.append_child("properties");
      pugi::xml_node property = properties.append_child("property");
      property.append_attribute("name") = "binary";
      property.append_attribute("value") =
          XmlSafe((*report.binaries)[test.binary].label).c_str();
      suite_counts = Counts{};
      suite_binary = test.binary;
      suite_name = test.suite;
    }
    pugi::xml_node testcase = suite_node.append_child("testcase");
    std::string name = test.name;
    if (result->repetition > 0) name += " (repetition " + std::to_string(result->repetition + 1) + ")";
    testcase.append_attribute("name") = XmlSafe(name).c_str();
    testcase.append_attribute("classname") = XmlSafe(test.suite).c_str();
    testcase.append_attribute("file") = XmlSafe(test.file).c_str();
    testcase.append_attribute("line") = test.line;
    const double seconds = ToSeconds(result->duration);
    testcase.append_attribute("time") = Seconds(seconds).c_str();

    ++suite_counts.tests;
    suite_counts.seconds += seconds;
    const auto add = [&](const char* element, const std::string& message,
                         const std::string& type, const std::string& body) {
      pugi::xml_node node = testcase.append_child(element);
      node.append_attribute("message") = XmlSafe(message).c_str();
      if (!type.empty()) node.append_attribute("type") = type.c_str();
      if (!body.empty()) node.text() = XmlSafe(body).c_str();
    };
    std::visit(
        Overloaded{
            [&](const outcome::Passed&) {},
            [&](const outcome::Failed& failed) {
              ++suite_counts.failures;
              add("failure", FirstLine(failed.message), "failure", failed.message);
            },
            [&](const outcome::Skipped& skipped) {
              ++suite_counts.skipped;
              add("skipped", skipped.disabled ? "disabled" : FirstLine(skipped.message), "", "");
            },
            [&](const outcome::Crashed& crashed) {
              ++suite_counts.errors;
              add("error", DescribeOutcome(result->outcome), SignalName(crashed.signal),
                  Tail(result->output));
            },
            [&](const outcome::TimedOut&) {
              ++suite_counts.errors;
              add("error", DescribeOutcome(result->outcome), "timeout", Tail(result->output));
            },
            [&](const outcome::ExitedMidTest&) {
              ++suite_counts.errors;
              add("error", DescribeOutcome(result->outcome), "exit", Tail(result->output));
            },
            [&](const outcome::FailedToStart&) {
              ++suite_counts.errors;
              add("error", DescribeOutcome(result->outcome), "start", "");
            },
            [&](const outcome::Interrupted&) {
              ++suite_counts.errors;
              add("error", "interrupted", "interrupted", Tail(result->output));
            }},
        result->outcome);
    if (result->flaky) {
      pugi::xml_node properties = testcase.append_child("properties");
      pugi::xml_node property = properties.append_child("property");
      property.append_attribute("name") = "flaky";
      property.append_attribute("value") =
          ("passed on attempt " + std::to_string(result->attempts)).c_str();
    }
    if (!result->output.empty()) {
      testcase.append_child("system-out").text() = XmlSafe(result->output).c_str();
    }
    total.tests += 1;
  }
  close_suite();
  for (pugi::xml_node suite : root.children("testsuite")) {
    total.failures += suite.attribute("failures").as_int();
    total.errors += suite.attribute("errors").as_int();
    total.skipped += suite.attribute("skipped").as_int();
  }
  total.seconds = report.wall_seconds;
  SetCounts(root, total);
  root.append_attribute("timestamp") = report.timestamp.c_str();
  std::ostringstream out;
  document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace xdist::run
