#include "checks/HardcodedTmpPathCheck.h"

#include <set>

#include "ValueFlow.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

constexpr llvm::StringLiteral kDefaultTempDirectories = "/tmp;/var/tmp;/dev/shm";

// The outermost namespace of `declaration` is std.
bool InStd(const Decl* declaration) {
  const DeclContext* context = declaration->getDeclContext();
  const NamespaceDecl* outermost = nullptr;
  for (; context != nullptr; context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) outermost = space;
  }
  return outermost != nullptr && outermost->getName() == "std";
}

bool InFilesystemNamespace(const Decl* declaration) {
  for (const DeclContext* context = declaration->getDeclContext(); context != nullptr;
       context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) {
      if (space->getName() == "filesystem") return InStd(declaration);
    }
  }
  return false;
}

bool IsNamed(const NamedDecl* declaration, std::initializer_list<llvm::StringRef> names) {
  return declaration != nullptr && declaration->getIdentifier() != nullptr &&
         llvm::is_contained(names, declaration->getName());
}

bool IsStream(const CXXRecordDecl* record) {
  return IsNamed(record, {"basic_ofstream", "basic_ifstream", "basic_fstream", "basic_filebuf"}) &&
         InStd(record);
}

bool IsStringOrPath(const CXXRecordDecl* record) {
  return record != nullptr && InStd(record) &&
         (IsNamed(record, {"basic_string"}) ||
          (IsNamed(record, {"path"}) && InFilesystemNamespace(record)));
}

const CXXRecordDecl* RecordOf(QualType type) {
  return type.getNonReferenceType()->getAsCXXRecordDecl();
}

// C library calls that create, open, remove or inspect the path they are given, and
// which of their arguments are paths.
struct PathFunction {
  llvm::StringRef name;
  unsigned first_path;
  unsigned last_path;
};
constexpr PathFunction kPathFunctions[] = {
    {"fopen", 0, 0},    {"fopen64", 0, 0},   {"freopen", 0, 0},  {"open", 0, 0},
    {"open64", 0, 0},   {"openat", 1, 1},    {"creat", 0, 0},    {"creat64", 0, 0},
    {"mkdir", 0, 0},    {"mkdirat", 1, 1},   {"rmdir", 0, 0},    {"unlink", 0, 0},
    {"unlinkat", 1, 1}, {"remove", 0, 0},    {"rename", 0, 1},   {"renameat", 1, 3},
    {"mkfifo", 0, 0},   {"mkfifoat", 1, 1},  {"mknod", 0, 0},    {"truncate", 0, 0},
    {"chmod", 0, 0},    {"chown", 0, 0},     {"link", 0, 1},     {"symlink", 0, 1},
    {"opendir", 0, 0},  {"stat", 0, 0},      {"lstat", 0, 0},    {"access", 0, 0},
    {"utime", 0, 0},    {"sqlite3_open", 0, 0}, {"sqlite3_open_v2", 0, 0}, {"dlopen", 0, 0},
};
constexpr llvm::StringLiteral kIpcFunctions[] = {"shm_open",   "sem_open",  "mq_open",
                                                 "shm_unlink", "sem_unlink", "mq_unlink"};
constexpr llvm::StringLiteral kSocketPathSink = "sockaddr_un::sun_path";

bool IsIpcSink(llvm::StringRef sink) { return llvm::is_contained(kIpcFunctions, sink); }

const ValueDecl* CopiedIntoMember(const Expr* destination) {
  const Expr* stripped = IgnoreWrappers(destination);
  if (const auto* cast = dyn_cast<ImplicitCastExpr>(stripped)) stripped = cast->getSubExpr();
  if (const auto* member = dyn_cast<MemberExpr>(stripped->IgnoreParenImpCasts())) {
    return member->getMemberDecl();
  }
  return nullptr;
}

class TmpPathPolicy : public SinkPolicy {
 public:
  explicit TmpPathPolicy(const std::vector<std::string>& extra_sinks) : extra_sinks_(extra_sinks) {}

  std::optional<std::string> ArgumentSink(const Expr* call, const FunctionDecl* callee,
                                          unsigned index) const override {
    if (const auto* constructor = dyn_cast<CXXConstructorDecl>(callee)) {
      const CXXRecordDecl* record = constructor->getParent();
      if (IsStream(record) && index == 0) return "std::" + record->getName().substr(6).str();
      if (InFilesystemNamespace(record) && !IsNamed(record, {"path"})) {
        return "std::filesystem::" + record->getName().str();
      }
      return std::nullopt;
    }
    if (const auto* method = dyn_cast<CXXMethodDecl>(callee)) {
      if (IsNamed(method, {"open"}) && IsStream(method->getParent()) && index == 0) return "open";
      return std::nullopt;
    }
    if (callee->getIdentifier() == nullptr) return std::nullopt;
    const llvm::StringRef name = callee->getName();
    if (InFilesystemNamespace(callee)) return "std::filesystem::" + name.str();
    if (callee->getDeclContext()->isRecord()) return std::nullopt;
    for (const PathFunction& function : kPathFunctions) {
      if (function.name == name && index >= function.first_path && index <= function.last_path) {
        return name.str();
      }
    }
    if (llvm::is_contained(kIpcFunctions, name) && index == 0) return name.str();
    if (IsNamed(callee, {"strcpy", "strncpy", "memcpy", "snprintf", "strlcpy"}) && index >= 1) {
      const auto* invocation = cast<CallExpr>(call);
      const ValueDecl* destination = CopiedIntoMember(invocation->getArg(0));
      if (IsNamed(destination, {"sun_path"})) return kSocketPathSink.str();
    }
    if (index == 0 && llvm::is_contained(extra_sinks_, name)) return name.str();
    return std::nullopt;
  }

  bool MakesUnique(const Expr* other) const override {
    return ContainsCall(other, [](const FunctionDecl* function) {
      return IsNamed(function, {"getpid", "gettid", "TempDir", "TempPath", "mkdtemp", "mkstemp",
                                "mkstemps", "mkostemp", "current_test_info", "UniqueTempDir"});
    });
  }

  bool IsCarrier(const CXXRecordDecl* record) const override {
    return IsStringOrPath(record) || (IsNamed(record, {"basic_string_view"}) && InStd(record));
  }

 private:
  const std::vector<std::string>& extra_sinks_;
};

// The part of `path` below one of `directories`, or std::nullopt when it is not below
// any (or names the directory itself).
std::optional<std::string> BelowTempDirectory(llvm::StringRef path,
                                              const std::vector<std::string>& directories) {
  for (const std::string& directory : directories) {
    llvm::StringRef prefix = llvm::StringRef(directory).rtrim('/');
    if (!path.starts_with(prefix)) continue;
    llvm::StringRef rest = path.drop_front(prefix.size());
    if (!rest.starts_with("/")) continue;
    rest = rest.ltrim('/');
    if (rest.empty()) continue;
    return rest.str();
  }
  return std::nullopt;
}

// The field whose initialiser contains `expression`, if any.
const FieldDecl* InitialisedField(const TestModel& model, const Expr* expression) {
  const Stmt* current = expression;
  while (current != nullptr) {
    if (const auto* expr = dyn_cast<Expr>(current)) {
      if (const auto* field = dyn_cast_or_null<FieldDecl>(model.InitialisedBy(expr))) {
        return field;
      }
    }
    current = model.ParentOf(current);
  }
  return nullptr;
}

// The rewrite of `literal` to xdist::TempPath(rest), when its immediate consumer keeps
// the same meaning with a std::string in its place; std::nullopt otherwise.
std::optional<FixItHint> TempPathRewrite(const TestModel& model, const StringLiteral* literal,
                                         llvm::StringRef rest) {
  const SourceManager& sources = model.Context().getSourceManager();
  if (literal->getNumConcatenated() != 1 || sources.isMacroBodyExpansion(literal->getBeginLoc())) {
    return std::nullopt;
  }
  const CharSourceRange range = Lexer::makeFileCharRange(
      CharSourceRange::getTokenRange(literal->getSourceRange()), sources,
      model.Context().getLangOpts());
  if (range.isInvalid()) return std::nullopt;

  const Stmt* current = literal;
  const Stmt* parent = model.ParentOf(current);
  while (parent != nullptr && isa<ImplicitCastExpr, ParenExpr>(parent)) {
    current = parent;
    parent = model.ParentOf(current);
  }
  std::string suffix;
  if (const auto* construct = dyn_cast_or_null<CXXConstructExpr>(parent)) {
    const CXXRecordDecl* record = construct->getConstructor()->getParent();
    unsigned written = 0;
    for (const Expr* argument : construct->arguments()) {
      if (!isa<CXXDefaultArgExpr>(argument)) ++written;
    }
    const bool single = written == 1 || IsStream(record);
    if (construct->getNumArgs() == 0 || construct->getArg(0) != current || !single ||
        !(IsStringOrPath(record) || IsStream(record))) {
      return std::nullopt;
    }
  } else if (const auto* op = dyn_cast_or_null<CXXOperatorCallExpr>(parent)) {
    if ((op->getOperator() != OO_Plus && op->getOperator() != OO_Slash) ||
        !IsStringOrPath(RecordOf(op->getType()))) {
      return std::nullopt;
    }
  } else if (const auto* call = dyn_cast_or_null<CallExpr>(parent)) {
    const FunctionDecl* callee = call->getDirectCallee();
    if (callee == nullptr) return std::nullopt;
    unsigned index = 0;
    while (index < call->getNumArgs() && call->getArg(index) != current) ++index;
    if (index >= callee->getNumParams()) return std::nullopt;
    const QualType type = callee->getParamDecl(index)->getType();
    if (type->isPointerType() && type->getPointeeType()->isCharType() &&
        type->getPointeeType().isConstQualified()) {
      suffix = ".c_str()";
    } else if (!IsStringOrPath(RecordOf(type))) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  return FixItHint::CreateReplacement(range,
                                      "xdist::TempPath(" + QuoteString(rest) + ")" + suffix);
}

}  // namespace

HardcodedTmpPathCheck::HardcodedTmpPathCheck(llvm::StringRef name,
                                             clang::tidy::ClangTidyContext* context)
    : XdistCheck(name, context),
      temp_directories_option_(Options.get("TempDirectories", kDefaultTempDirectories).str()),
      extra_sinks_option_(Options.get("ExtraSinkFunctions", "").str()),
      temp_directories_(SplitList(temp_directories_option_)),
      extra_sinks_(SplitList(extra_sinks_option_)) {}

void HardcodedTmpPathCheck::storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) {
  Options.store(options, "TempDirectories", temp_directories_option_);
  Options.store(options, "ExtraSinkFunctions", extra_sinks_option_);
}

std::vector<PlannedFinding> HardcodedTmpPathCheck::Analyze(const TestModel& model) {
  const SourceManager& sources = model.Context().getSourceManager();
  const TmpPathPolicy policy(extra_sinks_);
  std::vector<PlannedFinding> findings;

  for (const Use& site : model.StringLiterals()) {
    const auto* literal = cast<StringLiteral>(site.expression);
    if (!literal->isOrdinary()) continue;
    const llvm::StringRef value = literal->getString();
    if (!value.starts_with("/") || value.ends_with("XXXXXX")) continue;
    // __FILE__ and other macro-made literals are not the user's.
    const SourceLocation spelling = sources.getSpellingLoc(literal->getBeginLoc());
    if (sources.isWrittenInScratchSpace(spelling) || sources.isInSystemHeader(spelling)) continue;

    const std::optional<std::string> below = BelowTempDirectory(value, temp_directories_);
    const FlowResult flow = TraceValue(model, policy, literal, site.function);
    if (flow.made_unique) continue;

    std::set<const TestCase*> reported;
    bool fixable = !flow.data_use && !flow.static_storage && below.has_value();
    std::vector<std::pair<const SinkHit*, std::pair<const TestCase*, SourceLocation>>> planned;
    for (const SinkHit& hit : flow.hits) {
      const bool ipc = IsIpcSink(hit.sink);
      if (!ipc && !below) continue;
      if (ipc || hit.sink == kSocketPathSink || hit.concatenated) fixable = false;
      // Attribute the hit to the tests owning the first step that runs in test code.
      for (const Use& step : hit.path) {
        const std::vector<const TestCase*> owners = model.OwnersOf(step.function);
        if (owners.empty()) continue;
        for (const TestCase* test : owners) {
          if (reported.insert(test).second) {
            planned.push_back({&hit, {test, step.expression->getBeginLoc()}});
          }
        }
        break;
      }
    }
    if (planned.empty()) continue;

    if (fixable) {
      const bool per_test = site.function != nullptr
                                ? model.RunsPerTest(site.function)
                                : [&] {
                                    const FieldDecl* field = InitialisedField(model, literal);
                                    return field != nullptr &&
                                           model.IsFixture(dyn_cast<CXXRecordDecl>(field->getParent()));
                                  }();
      fixable = per_test;
    }
    std::optional<FixItHint> rewrite;
    if (fixable) rewrite = TempPathRewrite(model, literal, *below);

    for (const auto& [hit, target] : planned) {
      const auto& [test, location] = target;
      PlannedFinding finding;
      finding.location = location;
      finding.test = test;
      finding.scope = Scope::kCrossProcess;
      const std::string shown = "'" + value.str() + "'";
      const std::string sink = hit->sink == kSocketPathSink ? "sun_path" : hit->sink;
      const std::string who = "test '" + test->DisplayName() + "'";
      if (IsIpcSink(hit->sink)) {
        finding.resource_key = "ipc:" + value.str();
        finding.message = who + " passes fixed IPC name " + shown + " to " + sink +
                          "; tests running in parallel share it";
        finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
      } else if (hit->concatenated) {
        finding.resource_key = "file:" + value.str() + "*";
        finding.message = who + " builds a path on fixed prefix " + shown + " for " + sink +
                          "; tests running in parallel share it";
        finding.marker =
            MarkerStatement("XDIST_NO_PARALLEL", "uses paths under " + value.str());
      } else {
        finding.resource_key = "file:" + value.str();
        finding.message = who + " passes fixed path " + shown + " to " + sink +
                          "; tests running in parallel share it";
        finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
      }
      finding.resource = value.str();
      if (rewrite) finding.fix_it.push_back(*rewrite);
      findings.push_back(std::move(finding));
    }
  }
  return findings;
}

}  // namespace xdist::analyzer
