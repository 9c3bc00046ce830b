// One xdist-run invocation: discovery, planning, the session, reports, history, clean-up.
#ifndef XDIST_RUNNER_DRIVER_H
#define XDIST_RUNNER_DRIVER_H

#include <cstdio>
#include <string>
#include <vector>

#include "run_options.h"

namespace xdist::run {

/// The process's surroundings, as inputs (so the driver reads no globals).
struct RunContext {
  std::vector<std::string> env;  ///< "NAME=value", the runner's own environment
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool out_is_terminal = false;
};

/// Runs `options`, printing to the context's streams; never exits the process.
RunStatus RunTests(const RunOptions& options, const RunContext& context);

}  // namespace xdist::run

#endif  // XDIST_RUNNER_DRIVER_H
