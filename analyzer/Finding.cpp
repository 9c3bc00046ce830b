#include "Finding.h"

namespace xdist::analyzer {
namespace {
FindingSink* g_sink = nullptr;
}  // namespace

const char* ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kCrossProcess: return "cross-process";
    case Scope::kInProcess: return "in-process";
  }
  return "cross-process";
}

const char* FixKindName(FixKind kind) {
  switch (kind) {
    case FixKind::kFixIt: return "fix-it";
    case FixKind::kMarker: return "marker";
    case FixKind::kNone: return "none";
  }
  return "none";
}

FindingSink* CurrentFindingSink() { return g_sink; }
void SetFindingSink(FindingSink* sink) { g_sink = sink; }

}  // namespace xdist::analyzer
