// A scripted Launcher and a manual Clock: test processes that "run" in simulated time.
#ifndef XDIST_TESTS_RUNNER_FAKE_LAUNCHER_H
#define XDIST_TESTS_RUNNER_FAKE_LAUNCHER_H

#include <cstdint>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock.h"
#include "launcher.h"

namespace xdist::run::testing {

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void Advance(Duration by) { now_ += by; }
  void Set(TimePoint to) { now_ = to; }

 private:
  TimePoint now_{};
};

/// What a scripted test does.
struct Behaviour {
  enum class Kind : std::uint8_t { kPass, kFail, kSkip, kCrash, kExitZero, kHang, kFakeOkThenCrash };
  Kind kind = Kind::kPass;
  double seconds = 1;
  /// The time in the JSON report; nullopt: `seconds`.
  std::optional<double> reported_seconds = std::nullopt;
};

/// One started fake process, as the tests inspect it afterwards.
struct FakeProcess {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::vector<std::string> tests;       ///< from --gtest_filter, in order
  std::vector<std::string> ran;         ///< tests that started
  std::vector<TimePoint> test_start;    ///< per entry of `ran`
  TimePoint start{};
  TimePoint end{};
  bool ended = false;
  const ChildSetup* child_setup = nullptr;

  std::string Env(const std::string& name) const {
    for (const std::string& entry : env) {
      if (entry.rfind(name + "=", 0) == 0) return entry.substr(name.size() + 1);
    }
    return "";
  }
};

/// Runs each batch in simulated time: per test a `[ RUN      ]` line, then after its
/// duration an end line (or a crash, exit, hang), and a JSON report at a normal end. A
/// test's behaviours are used one per run (the last one repeats), for reruns.
class FakeLauncher final : public Launcher {
 public:
  explicit FakeLauncher(FakeClock& clock) : clock_(clock) {}

  void Script(const std::string& test, std::vector<Behaviour> runs) {
    script_[test] = std::move(runs);
  }
  void InterruptAt(TimePoint when) { interrupt_at_ = when; }

  ProcessId Start(const ProcessSpec& spec) override {
    const ProcessId id = static_cast<ProcessId>(processes_.size());
    FakeProcess process;
    process.argv = spec.argv;
    process.env = spec.env;
    process.child_setup = spec.child_setup;
    process.start = clock_.Now();
    std::string report;
    for (const std::string& arg : spec.argv) {
      if (arg.rfind("--gtest_filter=", 0) == 0) {
        std::string list = arg.substr(15);
        std::size_t start = 0;
        for (std::size_t colon; (colon = list.find(':', start)) != std::string::npos;
             start = colon + 1) {
          process.tests.push_back(list.substr(start, colon - start));
        }
        process.tests.push_back(list.substr(start));
      } else if (arg.rfind("--gtest_output=json:", 0) == 0) {
        report = arg.substr(20);
      }
    }
    processes_.push_back(process);
    Plan(id, report);
    return id;
  }

  void Terminate(ProcessId id) override {
    auto& queue = events_[id];
    queue.clear();
    queue.push_back({clock_.Now(), ProcessEvent{id, "", exit_status::Signaled{SIGTERM}}, "", "", {}});
  }

  std::vector<ProcessEvent> Wait(std::optional<Duration> timeout) override {
    std::optional<TimePoint> next;
    for (const auto& [id, queue] : events_) {
      if (!queue.empty() && (!next || queue.front().at < *next)) next = queue.front().at;
    }
    const TimePoint limit = timeout ? clock_.Now() + *timeout : TimePoint::max();
    if (interrupt_at_ && *interrupt_at_ <= std::min(limit, next.value_or(limit))) {
      clock_.Set(std::max(clock_.Now(), *interrupt_at_));
      interrupted_ = true;
      interrupt_at_.reset();
      return {};
    }
    if (!next || *next > limit) {
      if (timeout) clock_.Set(limit);
      return {};
    }
    clock_.Set(std::max(clock_.Now(), *next));
    std::vector<ProcessEvent> out;
    for (auto& [id, queue] : events_) {
      while (!queue.empty() && queue.front().at <= clock_.Now()) {
        Pending pending = std::move(queue.front());
        queue.pop_front();
        if (!pending.started_test.empty()) {
          processes_[static_cast<std::size_t>(id)].ran.push_back(pending.started_test);
          processes_[static_cast<std::size_t>(id)].test_start.push_back(clock_.Now());
        }
        if (pending.event.exit) {
          processes_[static_cast<std::size_t>(id)].end = clock_.Now();
          processes_[static_cast<std::size_t>(id)].ended = true;
          if (!pending.report_path.empty()) WriteReport(pending.report_path, pending.report);
        }
        out.push_back(std::move(pending.event));
      }
    }
    return out;
  }

  bool Interrupted() const override { return interrupted_; }

  const std::vector<FakeProcess>& Processes() const { return processes_; }

 private:
  struct Pending {
    TimePoint at{};
    ProcessEvent event;
    std::string started_test;
    std::string report_path;
    nlohmann::json report;
  };

  Behaviour Next(const std::string& test) {
    auto it = script_.find(test);
    if (it == script_.end() || it->second.empty()) return Behaviour{};
    Behaviour behaviour = it->second.front();
    if (it->second.size() > 1) it->second.erase(it->second.begin());
    return behaviour;
  }

  static void WriteReport(const std::string& path, const nlohmann::json& report) {
    std::ofstream(path) << report.dump();
  }

  void Plan(ProcessId id, const std::string& report_path) {
    auto& queue = events_[id];
    TimePoint at = clock_.Now();
    std::map<std::string, nlohmann::json> suites;
    std::vector<std::string> suite_order;
    const auto line = [&](TimePoint when, std::string text, std::string started = "") {
      queue.push_back({when, ProcessEvent{id, std::move(text), std::nullopt}, std::move(started), "", {}});
    };
    for (const std::string& test : processes_[static_cast<std::size_t>(id)].tests) {
      const Behaviour behaviour = Next(test);
      line(at, "[ RUN      ] " + test + "\n", test);
      at += FromSeconds(behaviour.seconds);
      const std::string suite = test.substr(0, test.find('.'));
      if (!suites.count(suite)) suite_order.push_back(suite);
      nlohmann::json entry = {{"name", test.substr(test.find('.') + 1)},
                              {"status", "RUN"},
                              {"result", "COMPLETED"},
                              {"time", std::to_string(behaviour.reported_seconds.value_or(behaviour.seconds)) + "s"}};
      switch (behaviour.kind) {
        case Behaviour::Kind::kPass:
          line(at, "[       OK ] " + test + " (1 ms)\n");
          break;
        case Behaviour::Kind::kFail:
          line(at, "boom\n[  FAILED  ] " + test + " (1 ms)\n");
          entry["failures"] = nlohmann::json::array({{{"failure", "boom"}, {"type", ""}}});
          break;
        case Behaviour::Kind::kSkip:
          line(at, "[  SKIPPED ] " + test + " (1 ms)\n");
          entry["result"] = "SKIPPED";
          break;
        case Behaviour::Kind::kCrash:
          queue.push_back({at, ProcessEvent{id, "", exit_status::Signaled{SIGSEGV}}, "", "", {}});
          return;
        case Behaviour::Kind::kFakeOkThenCrash:
          line(at, "[       OK ] " + test + " (1 ms)\n");
          queue.push_back({at, ProcessEvent{id, "", exit_status::Signaled{SIGABRT}}, "", "", {}});
          return;
        case Behaviour::Kind::kExitZero:
          queue.push_back({at, ProcessEvent{id, "", exit_status::Exited{0}}, "", "", {}});
          return;
        case Behaviour::Kind::kHang:
          return;  // nothing more until Terminate()
      }
      suites[suite]["name"] = suite;
      suites[suite]["testsuite"].push_back(entry);
    }
    nlohmann::json report = {{"testsuites", nlohmann::json::array()}};
    for (const std::string& suite : suite_order) report["testsuites"].push_back(suites[suite]);
    Pending end{at, ProcessEvent{id, "", exit_status::Exited{0}}, "", report_path, report};
    queue.push_back(std::move(end));
  }

  FakeClock& clock_;
  std::map<std::string, std::vector<Behaviour>> script_;
  std::map<ProcessId, std::deque<Pending>> events_;
  std::vector<FakeProcess> processes_;
  std::optional<TimePoint> interrupt_at_;
  bool interrupted_ = false;
};

}  // namespace xdist::run::testing

#endif  // XDIST_TESTS_RUNNER_FAKE_LAUNCHER_H
