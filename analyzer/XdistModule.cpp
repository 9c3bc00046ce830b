#include "XdistModule.h"

#include "checks/HardcodedTmpPathCheck.h"
#include "checks/ProcessStateCheck.h"
#include "checks/MutableGlobalCheck.h"
#include "checks/FixedPortCheck.h"
#include "clang-tidy/ClangTidyModule.h"
#include "clang-tidy/ClangTidyModuleRegistry.h"

namespace xdist::analyzer {
namespace {

class XdistModule : public clang::tidy::ClangTidyModule {
 public:
  void addCheckFactories(clang::tidy::ClangTidyCheckFactories& factories) override {
    factories.registerCheck<HardcodedTmpPathCheck>("xdist-hardcoded-tmp-path");
    factories.registerCheck<ProcessStateCheck>("xdist-process-state");
    factories.registerCheck<MutableGlobalCheck>("xdist-mutable-global");
    factories.registerCheck<FixedPortCheck>("xdist-fixed-port");
  }
};

}  // namespace

void RegisterXdistModule() {
  // Registered from a function rather than a static initialiser so the plugin can
  // refuse to register into an incompatible clang-tidy.
  static const auto* const registration = new clang::tidy::ClangTidyModuleRegistry::Add<XdistModule>(
      "xdist-module", "Checks that make GoogleTest suites safe to run in parallel.");
  (void)registration;
}

}  // namespace xdist::analyzer
