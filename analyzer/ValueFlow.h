// ValueFlow.h — follows a value (a literal) from where it is spelled to the
// operations that consume it: through implicit conversions, std::string /
// std::filesystem::path construction and concatenation, locals, namespace-scope
// variables and constants, fixture members, same-TU helper parameters and return
// values. A check supplies the policy that says which consumers are sinks (uses of a
// shared resource) and which values make a name unique.
#ifndef XDIST_ANALYZER_VALUEFLOW_H
#define XDIST_ANALYZER_VALUEFLOW_H

#include <functional>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "TestModel.h"

namespace xdist::analyzer {

/// What a check considers a use of the resource.
class SinkPolicy {
 public:
  virtual ~SinkPolicy() = default;
  /// The sink's name ("fopen", "std::ofstream") when passing the value as argument
  /// `index` of `call` (a CallExpr or CXXConstructExpr) to `callee` uses the
  /// resource; std::nullopt otherwise.
  virtual std::optional<std::string> ArgumentSink(const clang::Expr* call,
                                                  const clang::FunctionDecl* callee,
                                                  unsigned index) const = 0;
  /// True when the call shows the value is used for something else (a port of
  /// another machine): neither a sink nor followed into `callee`; a data use.
  /// Asked before ArgumentSink.
  virtual bool StopsAt(const clang::Expr* /*call*/, const clang::FunctionDecl* /*callee*/,
                       unsigned /*index*/) const {
    return false;
  }
  /// The sink's name when the value is assigned to `member` (e.g. sin_port).
  virtual std::optional<std::string> MemberSink(const clang::ValueDecl* /*member*/) const {
    return std::nullopt;
  }
  /// True when combining the value with `other` yields a per-process or per-test
  /// name (getpid(), testing::TempDir(), xdist::TempPath, ...).
  virtual bool MakesUnique(const clang::Expr* other) const = 0;
  /// True when a class carries the value unchanged (std::string, path, string_view).
  virtual bool IsCarrier(const clang::CXXRecordDecl* record) const = 0;
  /// True when the value offset by another (`kBasePort + 1`) still counts as the value.
  virtual bool FollowsOffsets() const { return false; }
};

/// One way the value reaches a sink.
struct SinkHit {
  std::string sink;                    ///< The policy's name for the sink.
  const clang::Expr* at = nullptr;     ///< The consuming call or assignment.
  std::vector<Use> path;               ///< Expressions the value passed, first to last.
  bool concatenated = false;           ///< Something was appended to the value.
  /// The value was offset on the way (`kBasePort + 1`)...
  bool offset = false;
  /// ... by this much, when every offset was a constant.
  std::optional<std::int64_t> offset_amount;
};

/// Everything the value reaches.
struct FlowResult {
  std::vector<SinkHit> hits;
  bool data_use = false;        ///< Some path ends in a use that is not a sink, or offsets it.
  bool made_unique = false;     ///< Combined with a per-process/per-test part.
  bool static_storage = false;  ///< Stored in a variable with static storage duration.
};

/// Follows `start` (spelled inside `function`, or in an initialiser when nullptr).
FlowResult TraceValue(const TestModel& model, const SinkPolicy& policy, const clang::Expr* start,
                      const clang::FunctionDecl* function);

/// True when `expression` (or, one level deep, a variable it names) contains a call
/// for which `is_unique_call` returns true.
bool ContainsCall(const clang::Expr* expression,
                  const std::function<bool(const clang::FunctionDecl*)>& is_unique_call);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_VALUEFLOW_H
