// tool_runner.h — runs a command line through /bin/sh for the end-to-end tests and
// captures its exit status, stdout and stderr.
#ifndef XDIST_TESTS_ANALYZER_TOOL_RUNNER_H
#define XDIST_TESTS_ANALYZER_TOOL_RUNNER_H

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace xdist::testing_support {

struct ToolResult {
  int status = -1;  ///< Exit status, or -1 when the command did not exit normally.
  std::string out;
  std::string err;
};

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

/// Runs `command` in `directory`; stdout and stderr go to files beside it.
inline ToolResult RunTool(const std::filesystem::path& directory, const std::string& command) {
  const std::filesystem::path out = directory / "tool.out";
  const std::filesystem::path err = directory / "tool.err";
  const std::string line = "cd " + Quote(directory.string()) + " && " + command + " >" +
                           Quote(out.string()) + " 2>" + Quote(err.string());
  const int raw = std::system(line.c_str());
  ToolResult result;
  result.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = ReadText(out);
  result.err = ReadText(err);
  return result;
}

}  // namespace xdist::testing_support

#endif  // XDIST_TESTS_ANALYZER_TOOL_RUNNER_H
