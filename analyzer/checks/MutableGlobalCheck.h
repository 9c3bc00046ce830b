// MutableGlobalCheck.h — xdist-mutable-global (docs/checks/xdist-mutable-global.md).
#ifndef XDIST_ANALYZER_CHECKS_MUTABLEGLOBALCHECK_H
#define XDIST_ANALYZER_CHECKS_MUTABLEGLOBALCHECK_H

#include <vector>

#include "XdistCheck.h"

namespace xdist::analyzer {

/// Finds test code that writes a variable with static storage duration (namespace
/// scope, static data member, or a function-local static reached through a
/// reference) and does not restore it: not later in the same function (in spelling
/// order, also within one macro expansion), a tear-down, a reset in the fixture's
/// constructor or SetUp, a local object's destructor, or xdist::ScopedRestore. Fix:
/// `xdist::ScopedRestore restore_x(x);` at the top of the test body when the write is in
/// the body and the type is copyable, else a marker.
class MutableGlobalCheck : public XdistCheck {
 public:
  using XdistCheck::XdistCheck;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;
};

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_MUTABLEGLOBALCHECK_H
