// XdistModule.h — the registry of xdist-* checks.
#ifndef XDIST_ANALYZER_XDISTMODULE_H
#define XDIST_ANALYZER_XDISTMODULE_H

namespace xdist::analyzer {

/// Adds the xdist module to clang-tidy's module registry (once; later calls do
/// nothing). Both front ends call it: xdist-lint before running the engine, the plugin
/// when it is loaded into a compatible clang-tidy.
void RegisterXdistModule();

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_XDISTMODULE_H
