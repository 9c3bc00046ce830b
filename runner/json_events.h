// A base for reading JSON as a stream of events (nlohmann's SAX interface), without building
// a document: for GoogleTest's reports and the duration history, read once per process or
// per run.
#ifndef XDIST_RUNNER_JSON_EVENTS_H
#define XDIST_RUNNER_JSON_EVENTS_H

#include <cstddef>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace xdist::run {

/// Remembers the last object key; a parse error ends the reading (sax_parse returns false).
class JsonEventReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool key(string_t& value) override {
    key_ = std::move(value);
    return true;
  }
  bool binary(binary_t& /*value*/) override { return true; }  // JSON text has none
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) override {
    return false;
  }

 protected:
  /// The key of the value being read (or of the last value read in this object).
  const std::string& Key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace xdist::run

#endif  // XDIST_RUNNER_JSON_EVENTS_H
