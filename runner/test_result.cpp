#include "test_result.h"

#include <csignal>
#include <cstdio>

namespace xdist::run {

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
}  // namespace

bool IsFailure(const Outcome& outcome) {
  return std::visit(
      Overloaded{[](const outcome::Passed&) { return false; },
                 [](const outcome::Failed&) { return true; },
                 [](const outcome::Skipped&) { return false; },
                 [](const outcome::Crashed&) { return true; },
                 [](const outcome::TimedOut&) { return true; },
                 [](const outcome::ExitedMidTest&) { return true; },
                 [](const outcome::FailedToStart&) { return true; },
                 [](const outcome::Interrupted&) { return false; }},
      outcome);
}

std::string_view OutcomeWord(const Outcome& outcome) {
  return std::visit(
      Overloaded{[](const outcome::Passed&) { return std::string_view("passed"); },
                 [](const outcome::Failed&) { return std::string_view("failed"); },
                 [](const outcome::Skipped&) { return std::string_view("skipped"); },
                 [](const outcome::Crashed&) { return std::string_view("crashed"); },
                 [](const outcome::TimedOut&) { return std::string_view("timed out"); },
                 [](const outcome::ExitedMidTest&) { return std::string_view("exited"); },
                 [](const outcome::FailedToStart&) {
                   return std::string_view("failed to start");
                 },
                 [](const outcome::Interrupted&) { return std::string_view("interrupted"); }},
      outcome);
}

std::string SignalName(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGALRM: return "SIGALRM";
    case SIGSYS: return "SIGSYS";
    default: return "signal " + std::to_string(signal);
  }
}

std::string DescribeOutcome(const Outcome& outcome) {
  return std::visit(
      Overloaded{
          [](const outcome::Passed&) { return std::string("passed"); },
          [](const outcome::Failed&) { return std::string("failed"); },
          [](const outcome::Skipped& skipped) {
            return std::string(skipped.disabled ? "skipped (disabled)" : "skipped");
          },
          [](const outcome::Crashed& crashed) {
            return "crashed with " + SignalName(crashed.signal);
          },
          [](const outcome::TimedOut& timed_out) {
            char text[64];
            std::snprintf(text, sizeof text, "timed out after %g s", timed_out.limit_seconds);
            return std::string(text);
          },
          [](const outcome::ExitedMidTest& exited) {
            return "exited with status " + std::to_string(exited.status) +
                   " before the test finished";
          },
          [](const outcome::FailedToStart& failed) {
            return "failed to start: " + failed.error;
          },
          [](const outcome::Interrupted&) { return std::string("interrupted"); }},
      outcome);
}

}  // namespace xdist::run
