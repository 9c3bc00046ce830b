#include "gtest_stream.h"

#include <utility>

namespace xdist::run {

namespace {

constexpr std::string_view kRunTag = "[ RUN      ] ";
constexpr std::string_view kOkTag = "[       OK ] ";
constexpr std::string_view kFailedTag = "[  FAILED  ] ";
constexpr std::string_view kSkippedTag = "[  SKIPPED ] ";
// A line longer than this without a newline is passed on as output in pieces, so a test
// that floods without newlines cannot grow the buffer without bound. The kept end is
// long enough to hold an end line that follows the flood.
constexpr std::size_t kMaxPartialLine = std::size_t{64} * 1024;
constexpr std::size_t kKeptPartialEnd = std::size_t{4} * 1024;

// Removes ANSI CSI sequences (ESC [ ... final byte), which --gtest_color=yes adds.
std::string StripAnsi(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\x1b' && i + 1 < line.size() && line[i + 1] == '[') {
      i += 2;
      while (i < line.size() && !(line[i] >= '@' && line[i] <= '~')) ++i;
      continue;
    }
    out += line[i];
  }
  return out;
}

std::string_view TrimEnd(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

// True when `rest` starts with `name` followed by the end, a space or a comma (GoogleTest
// appends ", where GetParam() = ..." for parameterized tests).
bool NameMatches(std::string_view rest, std::string_view name) {
  rest = TrimEnd(rest);
  if (rest.substr(0, name.size()) != name) return false;
  if (rest.size() == name.size()) return true;
  const char next = rest[name.size()];
  return next == ' ' || next == ',';
}

// An end line names the test and ends with its time, "(N ms)"; the summary at the end of
// a run repeats "[  FAILED  ] Suite.Name" without a time, which must not count.
bool EndLineMatches(std::string_view rest, std::string_view name) {
  rest = TrimEnd(rest);
  return NameMatches(rest, name) && rest.size() > name.size() &&
         rest.substr(rest.size() - 4) == " ms)";
}

}  // namespace

void AppendTail(std::string& out, std::string_view text, std::size_t limit) {
  if (text.size() >= limit) {
    out.assign(text.substr(text.size() - limit));
    return;
  }
  out.append(text);
  // Trim by half the limit at a time, so the cost stays linear in the input.
  if (out.size() > limit + limit / 2) out.erase(0, out.size() - limit);
}

GTestStreamParser::GTestStreamParser(std::vector<std::string> expected)
    : expected_(std::move(expected)), outputs_(expected_.size()) {}

void GTestStreamParser::AppendOutput(std::string_view text) {
  if (last_started_ >= 0 && !last_ended_) {
    AppendTail(outputs_[static_cast<std::size_t>(last_started_)], text, kMaxOutput);
  } else {
    AppendTail(stray_, text, kMaxOutput);
  }
}

std::vector<StreamEvent> GTestStreamParser::Feed(std::string_view bytes) {
  std::vector<StreamEvent> events;
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      if (partial_.size() > kMaxPartialLine) {
        const std::size_t cut = partial_.size() - kKeptPartialEnd;
        AppendOutput(std::string_view(partial_).substr(0, cut));
        partial_.erase(0, cut);
      }
      break;
    }
    if (partial_.empty()) {
      ParseLine(bytes.substr(0, newline), true, events);
    } else {
      partial_.append(bytes.substr(0, newline));
      std::string line = std::move(partial_);
      partial_.clear();
      ParseLine(line, true, events);
    }
    bytes.remove_prefix(newline + 1);
  }
  return events;
}

std::vector<StreamEvent> GTestStreamParser::Finish() {
  std::vector<StreamEvent> events;
  if (!partial_.empty()) {
    std::string line = std::move(partial_);
    partial_.clear();
    ParseLine(line, false, events);
  }
  return events;
}

void GTestStreamParser::ParseLine(std::string_view raw, bool complete,
                                  std::vector<StreamEvent>& events) {
  const std::string line = StripAnsi(raw);
  const std::string_view text = line;
  if (text.substr(0, kRunTag.size()) == kRunTag && next_ < expected_.size() &&
      NameMatches(text.substr(kRunTag.size()), expected_[next_])) {
    last_started_ = static_cast<int>(next_);
    last_ended_ = false;
    stray_.clear();
    ++next_;
    events.push_back({StreamEvent::Kind::kStarted, static_cast<std::size_t>(last_started_),
                      StreamStatus::kPassed});
    return;
  }
  if (last_started_ >= 0) {
    const std::string& current = expected_[static_cast<std::size_t>(last_started_)];
    const std::pair<std::string_view, StreamStatus> end_tags[] = {
        {kOkTag, StreamStatus::kPassed},
        {kFailedTag, StreamStatus::kFailed},
        {kSkippedTag, StreamStatus::kSkipped}};
    for (const auto& [tag, status] : end_tags) {
      const std::size_t at = text.find(tag);
      if (at == std::string_view::npos ||
          !EndLineMatches(text.substr(at + tag.size()), current)) {
        continue;
      }
      // Text before the tag is the test's own output that lacked a newline.
      if (at > 0) {
        if (last_ended_) {
          AppendTail(outputs_[static_cast<std::size_t>(last_started_)], text.substr(0, at),
                     kMaxOutput);
        } else {
          AppendOutput(text.substr(0, at));
        }
      }
      if (last_ended_ && !stray_.empty()) {
        // A second end line of the same test: what was printed in between was the test's.
        AppendTail(outputs_[static_cast<std::size_t>(last_started_)], stray_, kMaxOutput);
        stray_.clear();
      }
      last_ended_ = true;
      events.push_back(
          {StreamEvent::Kind::kEnded, static_cast<std::size_t>(last_started_), status});
      return;
    }
  }
  AppendOutput(raw);
  if (complete) AppendOutput("\n");
}

}  // namespace xdist::run
