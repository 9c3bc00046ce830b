#include "Worker.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace xdist::analyzer {

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

std::vector<WorkerOutcome> RunInWorkers(const std::vector<std::string>& items, unsigned jobs,
                                        const std::function<std::string(const std::string&)>& work) {
  std::vector<WorkerOutcome> outcomes(items.size());
  if (items.empty()) return outcomes;
  if (jobs == 0) jobs = 1;

  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  std::string pattern = (base / "xdist-lint-XXXXXX").string();
  if (error || ::mkdtemp(pattern.data()) == nullptr) {
    for (WorkerOutcome& outcome : outcomes) {
      outcome.failure = std::string("cannot create a temporary directory: ") + std::strerror(errno);
    }
    return outcomes;
  }
  const std::filesystem::path directory = pattern;
  std::fflush(nullptr);

  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  const auto reap_one = [&] {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) return;
      // No child left to wait for: mark the rest as lost rather than spin.
      for (const auto& [lost, index] : running) outcomes[index].failure = "worker lost";
      running.clear();
      return;
    }
    const auto found = running.find(pid);
    if (found == running.end()) return;
    const std::size_t index = found->second;
    running.erase(found);
    const std::filesystem::path result = directory / (std::to_string(index) + ".out");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      outcomes[index].output = ReadAll(result);
    } else if (WIFSIGNALED(status)) {
      outcomes[index].failure = "the analyzer crashed (signal " + std::to_string(WTERMSIG(status)) +
                                ", " + strsignal(WTERMSIG(status)) + ")";
    } else {
      outcomes[index].failure =
          "the analyzer exited with status " + std::to_string(WEXITSTATUS(status));
    }
  };

  while (next < items.size() || !running.empty()) {
    while (next < items.size() && running.size() < jobs) {
      const std::size_t index = next++;
      const pid_t pid = ::fork();
      if (pid < 0) {
        outcomes[index].failure = std::string("cannot fork: ") + std::strerror(errno);
        continue;
      }
      if (pid == 0) {
        const std::string output = work(items[index]);
        std::ofstream out(directory / (std::to_string(index) + ".out"), std::ios::binary);
        out << output;
        out.close();
        std::_Exit(out ? 0 : 3);
      }
      running.emplace(pid, index);
    }
    if (!running.empty()) reap_one();
  }
  std::filesystem::remove_all(directory, error);
  return outcomes;
}

}  // namespace xdist::analyzer
