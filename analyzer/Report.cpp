#include "Report.h"

#include <map>
#include <set>

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace xdist::analyzer {

namespace {

llvm::json::Object ToJson(const Finding& finding, bool internal) {
  llvm::json::Array notes;
  for (const Note& note : finding.notes) {
    notes.push_back(llvm::json::Object{{"file", note.file},
                                       {"line", note.line},
                                       {"column", note.column},
                                       {"message", note.message}});
  }
  llvm::json::Object object{
      {"check", finding.check},
      {"file", finding.file},
      {"line", finding.line},
      {"column", finding.column},
      {"test", finding.test ? llvm::json::Value(*finding.test) : llvm::json::Value(nullptr)},
      {"resource", finding.resource},
      {"scope", ScopeName(finding.scope)},
      {"message", finding.message},
      {"fix", FixKindName(finding.fix)},
      {"handled", finding.handled},
      {"notes", std::move(notes)},
  };
  if (internal) {
    llvm::json::Array edits;
    for (const Edit& edit : finding.edits) {
      edits.push_back(llvm::json::Object{{"file", edit.file},
                                         {"offset", edit.offset},
                                         {"length", edit.length},
                                         {"text", edit.text}});
    }
    object["offset"] = finding.offset;
    object["edits"] = std::move(edits);
  }
  return object;
}

std::string Print(llvm::json::Value value, bool pretty) {
  std::string text;
  llvm::raw_string_ostream out(text);
  if (pretty) {
    out << llvm::formatv("{0:2}", value);
  } else {
    out << value;
  }
  return text;
}

template <typename T>
bool Read(const llvm::json::Object& object, llvm::StringRef key, T& out);

template <>
bool Read(const llvm::json::Object& object, llvm::StringRef key, std::string& out) {
  const auto value = object.getString(key);
  if (!value) return false;
  out = value->str();
  return true;
}

template <>
bool Read(const llvm::json::Object& object, llvm::StringRef key, unsigned& out) {
  const auto value = object.getInteger(key);
  if (!value || *value < 0) return false;
  out = static_cast<unsigned>(*value);
  return true;
}

std::optional<Finding> FromJson(const llvm::json::Object& object) {
  Finding finding;
  std::string scope;
  std::string fix;
  if (!Read(object, "check", finding.check) || !Read(object, "file", finding.file) ||
      !Read(object, "line", finding.line) || !Read(object, "column", finding.column) ||
      !Read(object, "offset", finding.offset) || !Read(object, "resource", finding.resource) ||
      !Read(object, "message", finding.message) || !Read(object, "scope", scope) ||
      !Read(object, "fix", fix)) {
    return std::nullopt;
  }
  if (const auto test = object.getString("test")) finding.test = test->str();
  finding.scope = scope == "in-process" ? Scope::kInProcess : Scope::kCrossProcess;
  finding.fix = fix == "fix-it" ? FixKind::kFixIt : fix == "marker" ? FixKind::kMarker : FixKind::kNone;
  finding.handled = object.getBoolean("handled").value_or(false);
  if (const llvm::json::Array* notes = object.getArray("notes")) {
    for (const llvm::json::Value& value : *notes) {
      const llvm::json::Object* note = value.getAsObject();
      Note parsed;
      if (note == nullptr || !Read(*note, "file", parsed.file) || !Read(*note, "line", parsed.line) ||
          !Read(*note, "column", parsed.column) || !Read(*note, "message", parsed.message)) {
        return std::nullopt;
      }
      finding.notes.push_back(std::move(parsed));
    }
  }
  if (const llvm::json::Array* edits = object.getArray("edits")) {
    for (const llvm::json::Value& value : *edits) {
      const llvm::json::Object* edit = value.getAsObject();
      Edit parsed;
      if (edit == nullptr || !Read(*edit, "file", parsed.file) ||
          !Read(*edit, "offset", parsed.offset) || !Read(*edit, "length", parsed.length) ||
          !Read(*edit, "text", parsed.text)) {
        return std::nullopt;
      }
      finding.edits.push_back(std::move(parsed));
    }
  }
  return finding;
}

}  // namespace

std::string FindingsJson(const std::vector<Finding>& findings) {
  llvm::json::Array array;
  for (const Finding& finding : findings) array.push_back(ToJson(finding, /*internal=*/false));
  return Print(std::move(array), /*pretty=*/true) + "\n";
}

std::string FindingsText(const std::vector<Finding>& findings) {
  std::string text;
  llvm::raw_string_ostream out(text);
  for (const Finding& finding : findings) {
    if (finding.handled) continue;
    out << finding.file << ":" << finding.line << ":" << finding.column
        << ": warning: " << finding.message << " [" << finding.check << "]\n";
    for (const Note& note : finding.notes) {
      out << note.file << ":" << note.line << ":" << note.column << ": note: " << note.message
          << "\n";
    }
  }
  return text;
}

std::vector<std::string> SharedResources(const std::vector<Finding>& findings) {
  // resource -> test -> first place it is used
  std::map<std::string, std::map<std::string, std::string>> users;
  for (const Finding& finding : findings) {
    if (!finding.test || finding.resource.empty()) continue;
    users[finding.resource].emplace(*finding.test,
                                    finding.file + ":" + std::to_string(finding.line));
  }
  std::vector<std::string> lines;
  for (const auto& [resource, tests] : users) {
    if (tests.size() < 2) continue;
    std::string line = std::to_string(tests.size()) + " tests use " + resource + ":";
    const char* separator = " ";
    for (const auto& [test, place] : tests) {
      line += separator + test + " (" + place + ")";
      separator = ", ";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string SerializeAnalysis(const Analysis& analysis) {
  llvm::json::Array findings;
  for (const Finding& finding : analysis.findings) findings.push_back(ToJson(finding, true));
  llvm::json::Array errors;
  for (const std::string& error : analysis.errors) errors.push_back(error);
  return Print(llvm::json::Object{{"findings", std::move(findings)}, {"errors", std::move(errors)}},
               /*pretty=*/false);
}

std::optional<Analysis> DeserializeAnalysis(const std::string& text) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return std::nullopt;
  }
  const llvm::json::Object* root = parsed->getAsObject();
  if (root == nullptr) return std::nullopt;
  Analysis analysis;
  if (const llvm::json::Array* findings = root->getArray("findings")) {
    for (const llvm::json::Value& value : *findings) {
      const llvm::json::Object* object = value.getAsObject();
      if (object == nullptr) return std::nullopt;
      std::optional<Finding> finding = FromJson(*object);
      if (!finding) return std::nullopt;
      analysis.findings.push_back(std::move(*finding));
    }
  }
  if (const llvm::json::Array* errors = root->getArray("errors")) {
    for (const llvm::json::Value& value : *errors) {
      if (const auto error = value.getAsString()) analysis.errors.push_back(error->str());
    }
  }
  return analysis;
}

}  // namespace xdist::analyzer
