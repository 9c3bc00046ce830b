// A small result type: library code returns errors as values; only main() picks exit codes.
#ifndef XDIST_RUNNER_EXPECTED_H
#define XDIST_RUNNER_EXPECTED_H

#include <string>
#include <utility>
#include <variant>

namespace xdist::run {

/// An error for the user: a complete sentence fragment naming the file or binary concerned.
struct Error {
  std::string message;
};

/// Either a value or an Error. Check with has_value() before dereferencing.
template <typename T>
class Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  // has_value() and error() are spelled as in std::expected, which this stands in for.
  bool has_value() const {  // NOLINT(readability-identifier-naming)
    return std::holds_alternative<T>(state_);
  }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return std::get<T>(state_); }
  const T& operator*() const { return std::get<T>(state_); }
  T* operator->() { return &std::get<T>(state_); }
  const T* operator->() const { return &std::get<T>(state_); }
  const Error& error() const {  // NOLINT(readability-identifier-naming)
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_EXPECTED_H
