// Worker.h — runs one unit of work per item in a child process, a few at a time.
// xdist-lint analyses each file in its own forked process: compilations run in
// parallel without sharing clang's process-wide state (ClangTool changes the working
// directory), and a crash while analysing one file is reported against that file
// instead of ending the run.
#ifndef XDIST_ANALYZER_WORKER_H
#define XDIST_ANALYZER_WORKER_H

#include <functional>
#include <string>
#include <vector>

namespace xdist::analyzer {

struct WorkerOutcome {
  std::string output;   ///< What the work returned, when it finished.
  std::string failure;  ///< Why it did not ("crashed with signal 11"); empty on success.
};

/// Calls `work(item)` for every item in a forked child, at most `jobs` at once, and
/// returns the outcomes in the order of `items`. Call it before starting threads.
std::vector<WorkerOutcome> RunInWorkers(const std::vector<std::string>& items, unsigned jobs,
                                        const std::function<std::string(const std::string&)>& work);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_WORKER_H
