// PluginMain.cpp — the entry of libxdist-tidy.so, the clang-tidy plugin.
//
// Loaded with `clang-tidy --load=libxdist-tidy.so`, the plugin registers the xdist
// module into the host's check registry. Its clang symbols resolve against the host,
// so a plugin built for one clang major version must not run inside another: it would
// load, list its checks and then report nothing. At load time the plugin compares its
// build version with the host's clang::getClangFullVersion(); on a mismatch it prints
// why to stderr and ends the process with exit status 2 before registering anything,
// so that a pre-commit hook or CI job fails loudly instead of passing silently.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "VersionGuard.h"
#include "XdistModule.h"

namespace {

// Looked up by name so that a host without the symbol is reported, not a failed load.
std::string HostClangVersion() {
  using VersionFunction = std::string (*)();
  // clang::getClangFullVersion(), with and without libstdc++'s cxx11 ABI tag.
  for (const char* name : {"_ZN5clang19getClangFullVersionB5cxx11Ev",
                           "_ZN5clang19getClangFullVersionEv"}) {
    if (void* symbol = dlsym(RTLD_DEFAULT, name)) {
      return reinterpret_cast<VersionFunction>(symbol)();
    }
  }
  return "";
}

const bool kRegistered = [] {
  if (const auto mismatch = xdist::analyzer::VersionMismatch(XDIST_CLANG_MAJOR, HostClangVersion())) {
    std::fprintf(stderr, "%s\n", mismatch->c_str());
    std::fflush(stderr);
    std::_Exit(2);
  }
  xdist::analyzer::RegisterXdistModule();
  return true;
}();

}  // namespace
