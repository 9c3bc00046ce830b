// What the runner knows about one collected test: identity, location and markers.
#ifndef XDIST_RUNNER_TEST_CASE_H
#define XDIST_RUNNER_TEST_CASE_H

#include <cstddef>
#include <string>
#include <vector>

namespace xdist::run {

/// A resource lock from XDIST_RESOURCE_LOCK / XDIST_RESOURCE_LOCK_SHARED.
struct ResourceLock {
  std::string key;
  bool shared = false;
  bool operator==(const ResourceLock&) const = default;
};

/// One test of one binary, as listed by GoogleTest and marked per docs/markers.md.
struct TestCase {
  std::size_t binary = 0;         ///< index into the run's list of binaries
  std::size_t order = 0;          ///< registration order inside its binary (GoogleTest's run order)
  std::string suite;              ///< "Prefix/Suite/0" as GoogleTest names it
  std::string name;               ///< "Name/1" as GoogleTest names it
  std::string file;               ///< __FILE__ of the TEST macro, as listed
  int line = 0;
  std::string type_param;         ///< typed tests: the type, as GoogleTest prints it
  std::string value_param;        ///< parameterized tests: the value, as GoogleTest prints it
  bool disabled = false;          ///< DISABLED_ test or suite: reported as skipped, never run
  bool no_parallel = false;       ///< runs alone, in a fresh process
  bool needs_network = false;     ///< needs the real network under --isolate net
  std::string group;              ///< XDIST_GROUP name, empty if none
  std::vector<ResourceLock> locks;
  std::vector<std::string> markers;  ///< human-readable markers, for --collect-only

  /// "Suite.Name", the form --gtest_filter and the output stream use.
  std::string FullName() const { return suite + "." + name; }
};

/// A binary handed to the runner.
struct Binary {
  std::string path;  ///< absolute path
  std::string label; ///< the path as the user wrote it, for messages
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_TEST_CASE_H
