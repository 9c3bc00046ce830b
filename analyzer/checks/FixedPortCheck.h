// FixedPortCheck.h — xdist-fixed-port (docs/checks/xdist-fixed-port.md).
#ifndef XDIST_ANALYZER_CHECKS_FIXEDPORTCHECK_H
#define XDIST_ANALYZER_CHECKS_FIXEDPORTCHECK_H

#include <string>
#include <vector>

#include "XdistCheck.h"

namespace xdist::analyzer {

/// Finds a fixed port number (1-65535) that reaches a port sink from test code:
/// htons(), sin_port/sin6_port, a parameter whose name matches PortParameterPattern,
/// or an address string with an explicit port ("localhost:8080") passed to a function.
/// Fix: xdist::UnusedTcpPort() (through one variable when the test uses the number
/// several times) when the value is only used as a port; else XDIST_RESOURCE_LOCK("port:N").
///
/// Options: PortParameterPattern (regular expression for parameter names),
/// AllowedPorts (";"-separated ports that are never reported).
class FixedPortCheck : public XdistCheck {
 public:
  FixedPortCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context);
  void storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) override;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;

 private:
  const std::string parameter_pattern_;
  const std::string allowed_ports_option_;
  std::vector<unsigned> allowed_ports_;
};

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_FIXEDPORTCHECK_H
