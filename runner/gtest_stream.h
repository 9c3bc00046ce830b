// Reads GoogleTest's console output live: which test of a batch is running, which ended how,
// and what each test printed.
#ifndef XDIST_RUNNER_GTEST_STREAM_H
#define XDIST_RUNNER_GTEST_STREAM_H

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xdist::run {

/// How the stream says a test ended.
enum class StreamStatus : std::uint8_t { kPassed, kFailed, kSkipped };

/// A parsed `[ RUN      ]` or end line of the batch's tests.
struct StreamEvent {
  enum class Kind : std::uint8_t { kStarted, kEnded };
  Kind kind = Kind::kStarted;
  std::size_t index = 0;  ///< index into the batch's expected tests
  StreamStatus status = StreamStatus::kPassed;  ///< for kEnded
};

/// Parses the stdout+stderr stream of one test process that runs a known list of tests.
///
/// Tests may print anything, including text that looks like GoogleTest's own lines, so:
/// a `[ RUN      ] X` line is accepted only when X is the next test of the batch in run
/// (registration) order; an end line (`[       OK ]`, `[  FAILED  ]`, `[  SKIPPED ]`) only
/// for the test that was started last and only with its time ("(N ms)", so the closing
/// summary's list does not count); it may stand after text with no newline. An
/// end line is tentative: a later end line of the same test replaces it. Input may arrive
/// in arbitrary pieces; ANSI colour sequences are ignored.
class GTestStreamParser {
 public:
  /// `expected`: the batch's tests as "Suite.Name", in the order GoogleTest runs them.
  explicit GTestStreamParser(std::vector<std::string> expected);

  /// Consumes a piece of the stream and returns the events it completed, in order.
  std::vector<StreamEvent> Feed(std::string_view bytes);
  /// Consumes a last line that has no newline (call once the process has exited).
  std::vector<StreamEvent> Finish();

  /// Index of the test started last, or -1 before the first accepted `[ RUN      ]`.
  int LastStarted() const { return last_started_; }
  /// True when the test started last has an end line (it may still be followed by a crash).
  bool LastEnded() const { return last_ended_; }
  /// Index of the next test expected to start.
  std::size_t NextExpected() const { return next_; }
  /// What test `index` printed, without GoogleTest's RUN/end lines; when that is more than
  /// kMaxOutput bytes, only a tail of kMaxOutput to 1.5 × kMaxOutput bytes is kept.
  const std::string& Output(std::size_t index) const { return outputs_[index]; }
  /// What was printed outside a test since the last accepted `[ RUN      ]` line ended
  /// (or since the start): set-up output, or what led to a crash between tests.
  const std::string& StrayOutput() const { return stray_; }

  static constexpr std::size_t kMaxOutput = std::size_t{256} * 1024;

 private:
  void ParseLine(std::string_view line, bool complete, std::vector<StreamEvent>& events);
  void AppendOutput(std::string_view text);

  std::vector<std::string> expected_;
  std::vector<std::string> outputs_;
  std::string stray_;
  std::string partial_;
  std::size_t next_ = 0;
  int last_started_ = -1;
  bool last_ended_ = false;
};

/// Appends `text` to `out`; once `out` exceeds 1.5 × `limit` bytes, only its last `limit`
/// bytes are kept (trimming in steps keeps the cost linear).
void AppendTail(std::string& out, std::string_view text, std::size_t limit);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_GTEST_STREAM_H
