#include "checks/HardcodedTmpPathCheck.h"

#include <fcntl.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <set>

#include "ValueFlow.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

constexpr llvm::StringLiteral kDefaultTempDirectories = "/tmp;/var/tmp;/dev/shm";
constexpr llvm::StringLiteral kDefaultPathParameterPattern =
    "^(path|pathname|file|filename|file_name|filepath|file_path|dir|dirname|directory|db|"
    "database|.*_path|.*_file|.*_filename|.*_dir|.*_directory)$";
constexpr llvm::StringLiteral kDefaultReadFunctionPattern =
    "^([Rr]ead|[Ll]oad|[Pp]arse|[Gg]et|[Ff]ind|[Ll]ist|[Cc]ount|[Ee]xists|[Ii]s|[Hh]as|[Ss]tat)"
    "([A-Z0-9_]|$)";

// sqlite3_open_v2 flags that let it change the file (sqlite3.h; stable interface).
constexpr int64_t kSqliteOpenReadWrite = 0x2;
constexpr int64_t kSqliteOpenCreate = 0x4;

const NamespaceDecl* OutermostNamespace(const Decl* declaration) {
  const NamespaceDecl* outermost = nullptr;
  for (const DeclContext* context = declaration->getDeclContext(); context != nullptr;
       context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) outermost = space;
  }
  return outermost;
}

bool IsNamed(const NamedDecl* declaration, std::initializer_list<llvm::StringRef> names) {
  return declaration != nullptr && declaration->getIdentifier() != nullptr &&
         llvm::is_contained(names, declaration->getName());
}

bool InStd(const Decl* declaration) { return IsNamed(OutermostNamespace(declaration), {"std"}); }

bool InFilesystemNamespace(const Decl* declaration) {
  for (const DeclContext* context = declaration->getDeclContext(); context != nullptr;
       context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) {
      if (space->getName() == "filesystem") return InStd(declaration);
    }
  }
  return false;
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

// A library's class that wraps a string (fmt::cstring_view, llvm::StringRef, base::FilePath):
// named like one and constructible from a char pointer alone.
bool IsStringWrapper(const CXXRecordDecl* record) {
  if (record == nullptr || record->getIdentifier() == nullptr || InStd(record)) return false;
  static const llvm::Regex kName("(string|str|path)", llvm::Regex::IgnoreCase);
  if (!kName.match(record->getName())) return false;
  const CXXRecordDecl* definition = record->getDefinition();
  if (definition == nullptr) return false;
  return llvm::any_of(definition->ctors(), [](const CXXConstructorDecl* constructor) {
    if (constructor->getNumParams() == 0 || constructor->getMinRequiredArguments() > 1 ||
        constructor->isCopyOrMoveConstructor()) {
      return false;
    }
    const QualType parameter = constructor->getParamDecl(0)->getType().getNonReferenceType();
    return parameter->isPointerType() && parameter->getPointeeType()->isCharType();
  });
}

// True when the literal itself becomes a string wrapper: whether that class also takes the
// std::string that xdist::TempPath returns is not known, so it is not rewritten.
bool ConvertedToStringWrapper(const TestModel& model, const Expr* literal) {
  const Stmt* parent = model.ParentOf(literal);
  while (parent != nullptr && isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
                                  CXXBindTemporaryExpr>(parent)) {
    parent = model.ParentOf(parent);
  }
  const auto* construct = dyn_cast_or_null<CXXConstructExpr>(parent);
  return construct != nullptr && IsStringWrapper(construct->getConstructor()->getParent());
}

// std::string, std::string_view, std::filesystem::path or a char pointer, by value
// or by reference.
bool IsStringLike(QualType type) {
  const QualType value = type.getNonReferenceType();
  if (value->isPointerType()) return value->getPointeeType()->isCharType();
  const CXXRecordDecl* record = value->getAsCXXRecordDecl();
  return IsStringOrPath(record) || (IsNamed(record, {"basic_string_view"}) && InStd(record)) ||
         IsStringWrapper(record);
}

std::optional<int64_t> ConstantArgument(const CallExpr& call, unsigned index,
                                        const ASTContext& context) {
  if (index >= call.getNumArgs()) return std::nullopt;
  const Expr* argument = call.getArg(index);
  Expr::EvalResult result;
  if (argument->isValueDependent() || !argument->EvaluateAsInt(result, context)) {
    return std::nullopt;
  }
  return result.Val.getInt().getExtValue();
}

// What a C library call does with the path it is given.
enum class Access : std::uint8_t {
  kRead,           // inspects or reads it
  kWrite,          // creates, changes or removes the path arguments from `detail` on
  kModeArgument,   // fopen-like: writes when the mode string (argument `detail`) has w, a or +
  kFlagsArgument,  // open-like: writes when the flags (argument `detail`) ask for it
  kSqliteFlags,    // sqlite3_open_v2: writes unless the flags (argument `detail`) are read-only
};

struct PathFunction {
  llvm::StringRef name;
  unsigned first_path;
  unsigned last_path;
  Access access;
  unsigned detail;
};
constexpr PathFunction kPathFunctions[] = {
    {"fopen", 0, 0, Access::kModeArgument, 1},
    {"fopen64", 0, 0, Access::kModeArgument, 1},
    {"freopen", 0, 0, Access::kModeArgument, 1},
    {"open", 0, 0, Access::kFlagsArgument, 1},
    {"open64", 0, 0, Access::kFlagsArgument, 1},
    {"openat", 1, 1, Access::kFlagsArgument, 2},
    {"creat", 0, 0, Access::kWrite, 0},
    {"creat64", 0, 0, Access::kWrite, 0},
    {"mkdir", 0, 0, Access::kWrite, 0},
    {"mkdirat", 1, 1, Access::kWrite, 1},
    {"rmdir", 0, 0, Access::kWrite, 0},
    {"unlink", 0, 0, Access::kWrite, 0},
    {"unlinkat", 1, 1, Access::kWrite, 1},
    {"remove", 0, 0, Access::kWrite, 0},
    {"rename", 0, 1, Access::kWrite, 0},
    {"renameat", 1, 3, Access::kWrite, 1},
    {"mkfifo", 0, 0, Access::kWrite, 0},
    {"mkfifoat", 1, 1, Access::kWrite, 1},
    {"mknod", 0, 0, Access::kWrite, 0},
    {"truncate", 0, 0, Access::kWrite, 0},
    {"chmod", 0, 0, Access::kWrite, 0},
    {"chown", 0, 0, Access::kWrite, 0},
    {"link", 0, 1, Access::kWrite, 1},
    {"symlink", 0, 1, Access::kWrite, 1},
    {"opendir", 0, 0, Access::kRead, 0},
    {"stat", 0, 0, Access::kRead, 0},
    {"lstat", 0, 0, Access::kRead, 0},
    {"access", 0, 0, Access::kRead, 0},
    {"utime", 0, 0, Access::kWrite, 0},
    {"sqlite3_open", 0, 0, Access::kWrite, 0},
    {"sqlite3_open_v2", 0, 0, Access::kSqliteFlags, 2},
    {"dlopen", 0, 0, Access::kRead, 0},
};

// std::filesystem operations that change the file system, and which of their
// arguments they change (copy's source and a link's target are only read).
struct FilesystemWrite {
  llvm::StringRef name;
  unsigned first_written;
  unsigned last_written;
};
constexpr FilesystemWrite kFilesystemWrites[] = {
    {"create_directory", 0, 0},
    {"create_directories", 0, 0},
    {"create_directory_symlink", 1, 1},
    {"create_hard_link", 1, 1},
    {"create_symlink", 1, 1},
    {"remove", 0, 0},
    {"remove_all", 0, 0},
    {"rename", 0, 1},
    {"copy", 1, 1},
    {"copy_file", 1, 1},
    {"copy_symlink", 1, 1},
    {"resize_file", 0, 0},
    {"permissions", 0, 0},
};

constexpr llvm::StringLiteral kIpcFunctions[] = {"shm_open",   "sem_open",   "mq_open",
                                                 "shm_unlink", "sem_unlink", "mq_unlink"};
constexpr llvm::StringLiteral kSocketPathSink = "sockaddr_un::sun_path";

bool WritesThrough(const PathFunction& function, const CallExpr& call, unsigned index,
                   const ASTContext& context) {
  switch (function.access) {
    case Access::kRead:
      return false;
    case Access::kWrite:
      return index >= function.detail;
    case Access::kModeArgument: {
      const StringLiteral* mode =
          function.detail < call.getNumArgs()
              ? dyn_cast<StringLiteral>(IgnoreWrappers(call.getArg(function.detail)))
              : nullptr;
      return mode == nullptr || mode->getString().find_first_of("wa+") != llvm::StringRef::npos;
    }
    case Access::kFlagsArgument: {
      const std::optional<int64_t> flags = ConstantArgument(call, function.detail, context);
      return !flags || (*flags & O_ACCMODE) != O_RDONLY || (*flags & (O_CREAT | O_TRUNC)) != 0;
    }
    case Access::kSqliteFlags: {
      const std::optional<int64_t> flags = ConstantArgument(call, function.detail, context);
      return !flags || (*flags & (kSqliteOpenReadWrite | kSqliteOpenCreate)) != 0;
    }
  }
  return true;
}

bool FilesystemWrites(llvm::StringRef name, unsigned index) {
  for (const FilesystemWrite& operation : kFilesystemWrites) {
    if (operation.name == name) {
      return index >= operation.first_written && index <= operation.last_written;
    }
  }
  return false;
}

const ValueDecl* CopiedIntoMember(const Expr* destination) {
  const Expr* stripped = IgnoreWrappers(destination);
  if (const auto* cast = dyn_cast<ImplicitCastExpr>(stripped)) stripped = cast->getSubExpr();
  if (const auto* member = dyn_cast<MemberExpr>(stripped->IgnoreParenImpCasts())) {
    return member->getMemberDecl();
  }
  return nullptr;
}

enum class SinkKind : std::uint8_t { kFile, kIpc, kSocketPath };

/// A sink and what it does with the value.
struct SinkInfo {
  std::string name;
  SinkKind kind = SinkKind::kFile;
  bool writes = false;  ///< Creates, changes or removes the path (kFile).
};

// True when `expression` comes from `__LINE__` or `__COUNTER__`: a number of its own per
// place in the source.
bool IsPerSiteNumber(const ASTContext& context, const Expr* expression) {
  const SourceLocation location = expression->IgnoreParenImpCasts()->getBeginLoc();
  if (!location.isMacroID()) return false;
  const llvm::StringRef macro = Lexer::getImmediateMacroName(
      location, context.getSourceManager(), context.getLangOpts());
  return macro == "__LINE__" || macro == "__COUNTER__";
}

// True when `expression` contains `__LINE__`/`__COUNTER__`, or a parameter that every call
// of its function binds to one: `uniq_file_name(__LINE__)` names a file per call site.
bool NamesItsSourceLine(const TestModel& model, const Stmt* expression) {
  if (expression == nullptr) return false;
  if (const auto* number = dyn_cast<IntegerLiteral>(expression)) {
    return IsPerSiteNumber(model.Context(), number);
  }
  if (const auto* reference = dyn_cast<DeclRefExpr>(expression)) {
    const auto* parameter = dyn_cast<ParmVarDecl>(reference->getDecl());
    const auto* function =
        parameter ? dyn_cast<FunctionDecl>(parameter->getDeclContext()) : nullptr;
    if (function == nullptr) return false;
    const unsigned index = parameter->getFunctionScopeIndex();
    const llvm::ArrayRef<Use> calls = model.CallsTo(function);
    return !calls.empty() && llvm::all_of(calls, [&](const Use& use) {
      const auto* call = dyn_cast<CallExpr>(use.expression);
      return call != nullptr && index < call->getNumArgs() &&
             IsPerSiteNumber(model.Context(), call->getArg(index));
    });
  }
  return llvm::any_of(expression->children(),
                      [&](const Stmt* child) { return NamesItsSourceLine(model, child); });
}

class TmpPathPolicy : public SinkPolicy {
 public:
  TmpPathPolicy(const TestModel& model, const std::vector<std::string>& extra_sinks,
                const llvm::Regex& path_parameter, const llvm::Regex& read_function)
      : model_(model),
        context_(model.Context()),
        extra_sinks_(extra_sinks),
        path_parameter_(path_parameter),
        read_function_(read_function) {}

  std::optional<std::string> ArgumentSink(const Expr* call, const FunctionDecl* callee,
                                          unsigned index) const override {
    std::optional<SinkInfo> info = Describe(call, callee, index);
    if (!info) return std::nullopt;
    return std::move(info->name);
  }

  /// The sink that argument `index` of `call` reaches, or std::nullopt.
  std::optional<SinkInfo> Describe(const Expr* call, const FunctionDecl* callee,
                                   unsigned index) const {
    if (const auto* constructor = dyn_cast<CXXConstructorDecl>(callee)) {
      const CXXRecordDecl* record = constructor->getParent();
      if (IsStream(record)) {
        if (index != 0) return std::nullopt;
        return SinkInfo{"std::" + record->getName().substr(6).str(), SinkKind::kFile,
                        !IsNamed(record, {"basic_ifstream"})};
      }
      if (InFilesystemNamespace(record)) {
        if (IsNamed(record, {"path"})) return std::nullopt;
        return SinkInfo{"std::filesystem::" + record->getName().str(), SinkKind::kFile, false};
      }
      return DefinedElsewhere(call, constructor, index, record->getQualifiedNameAsString(),
                              record->getName());
    }
    if (const auto* method = dyn_cast<CXXMethodDecl>(callee)) {
      if (IsNamed(method, {"open"}) && IsStream(method->getParent())) {
        if (index != 0) return std::nullopt;
        return SinkInfo{"open", SinkKind::kFile, !IsNamed(method->getParent(), {"basic_ifstream"})};
      }
      if (method->getIdentifier() == nullptr) return std::nullopt;
      return DefinedElsewhere(call, method, index, method->getQualifiedNameAsString(),
                              method->getName());
    }
    if (callee->getIdentifier() == nullptr) return std::nullopt;
    const llvm::StringRef name = callee->getName();
    if (InFilesystemNamespace(callee)) {
      return SinkInfo{"std::filesystem::" + name.str(), SinkKind::kFile,
                      FilesystemWrites(name, index)};
    }
    for (const PathFunction& function : kPathFunctions) {
      if (function.name == name && index >= function.first_path && index <= function.last_path) {
        return SinkInfo{name.str(), SinkKind::kFile,
                        WritesThrough(function, *cast<CallExpr>(call), index, context_)};
      }
    }
    if (llvm::is_contained(kIpcFunctions, name) && index == 0) {
      return SinkInfo{name.str(), SinkKind::kIpc, true};
    }
    if (IsNamed(callee, {"strcpy", "strncpy", "memcpy", "snprintf", "strlcpy"}) && index >= 1) {
      const ValueDecl* destination = CopiedIntoMember(cast<CallExpr>(call)->getArg(0));
      if (IsNamed(destination, {"sun_path"})) {
        return SinkInfo{kSocketPathSink.str(), SinkKind::kSocketPath, true};
      }
    }
    if (index == 0 && llvm::is_contained(extra_sinks_, name)) {
      return SinkInfo{name.str(), SinkKind::kFile, true};
    }
    return DefinedElsewhere(call, callee, index, callee->getQualifiedNameAsString(), name);
  }

  bool MakesUnique(const Expr* other) const override {
    return ContainsCall(other,
                        [](const FunctionDecl* function) {
                          return IsNamed(function, {"getpid", "gettid", "TempDir", "TempPath",
                                                    "mkdtemp", "mkstemp", "mkstemps", "mkostemp",
                                                    "current_test_info", "UniqueTempDir"});
                        }) ||
           NamesItsSourceLine(model_, other);
  }

  bool IsCarrier(const CXXRecordDecl* record) const override {
    return IsStringOrPath(record) || (IsNamed(record, {"basic_string_view"}) && InStd(record)) ||
           IsStringWrapper(record);
  }

 private:
  // A user function whose body is in another translation unit: argument `index` is
  // a sink when its parameter takes a string and is named like a path, unless the
  // function returns a string (then it is taken to compute with the path, like
  // NormalizePath). It writes unless its name says it reads (ReadFunctionPattern).
  std::optional<SinkInfo> DefinedElsewhere(const Expr* call, const FunctionDecl* function,
                                           unsigned index, std::string shown,
                                           llvm::StringRef name) const {
    if (context_.getSourceManager().isInSystemHeader(function->getLocation()) ||
        IsNamed(OutermostNamespace(function), {"std", "testing", "xdist"}) ||
        index >= function->getNumParams() || IsDefinedHere(function) ||
        !IsStringLike(function->getParamDecl(index)->getType())) {
      return std::nullopt;
    }
    if (!isa<CXXConstructorDecl>(function) && IsStringLike(function->getReturnType())) {
      return std::nullopt;
    }
    const bool path_named = llvm::any_of(function->redecls(), [&](const FunctionDecl* redecl) {
      const IdentifierInfo* parameter = redecl->getParamDecl(index)->getIdentifier();
      return parameter != nullptr && path_parameter_.match(parameter->getName());
    });
    if (!path_named) return std::nullopt;
    return SinkInfo{std::move(shown), SinkKind::kFile,
                    !read_function_.match(name) && !OpensReadOnly(call, index)};
  }

  // Another argument asks for reading only: `File f(path, File::RDONLY)`, `Open(path, O_RDONLY)`.
  bool OpensReadOnly(const Expr* call, unsigned index) const {
    llvm::ArrayRef<const Expr*> arguments;
    if (const auto* construct = dyn_cast<CXXConstructExpr>(call)) {
      arguments = llvm::ArrayRef(construct->getArgs(), construct->getNumArgs());
    } else if (const auto* invocation = dyn_cast<CallExpr>(call)) {
      arguments = llvm::ArrayRef(invocation->getArgs(), invocation->getNumArgs());
    }
    static const llvm::Regex kReadOnly("(^|[^A-Za-z0-9_])(O_)?RDONLY($|[^A-Za-z0-9_])");
    static const llvm::Regex kWrites("WRONLY|RDWR|CREAT|TRUNC|APPEND");
    for (unsigned other = 0; other < arguments.size(); ++other) {
      if (other == index) continue;
      const std::string text = SourceText(context_, arguments[other]);
      if (kReadOnly.match(text) && !kWrites.match(text)) return true;
    }
    return false;
  }

  static bool IsDefinedHere(const FunctionDecl* function) {
    if (function->isDefined()) return true;
    const FunctionDecl* pattern = function->getTemplateInstantiationPattern();
    return pattern != nullptr && pattern->isDefined();
  }

  const TestModel& model_;
  const ASTContext& context_;
  const std::vector<std::string>& extra_sinks_;
  const llvm::Regex& path_parameter_;
  const llvm::Regex& read_function_;
};

// What the sink of `hit` does with the value: the argument the value arrives
// through is the ancestor of the last step that is a direct child of the call.
std::optional<SinkInfo> DescribeHit(const TestModel& model, const TmpPathPolicy& policy,
                                    const SinkHit& hit) {
  const FunctionDecl* callee = nullptr;
  llvm::ArrayRef<const Expr*> arguments;
  if (const auto* construct = dyn_cast<CXXConstructExpr>(hit.at)) {
    callee = construct->getConstructor();
    arguments = llvm::ArrayRef(construct->getArgs(), construct->getNumArgs());
  } else if (const auto* call = dyn_cast<CallExpr>(hit.at)) {
    callee = call->getDirectCallee();
    arguments = llvm::ArrayRef(call->getArgs(), call->getNumArgs());
  }
  if (callee == nullptr || hit.path.empty()) return std::nullopt;
  const Stmt* current = hit.path.back().expression;
  const Stmt* parent = model.ParentOf(current);
  while (parent != nullptr && parent != hit.at) {
    current = parent;
    parent = model.ParentOf(current);
  }
  const auto* found = llvm::find(arguments, current);
  if (parent == nullptr || found == arguments.end()) return std::nullopt;
  return policy.Describe(hit.at, callee, static_cast<unsigned>(found - arguments.begin()));
}

// True when the value, somewhere on its way to the sink, is appended to another value
// (`directory / "out.txt"`): it then names a path below that value, not one of its own.
bool AppendedToOther(const TestModel& model, const TmpPathPolicy& policy, const SinkHit& hit) {
  for (const Use& step : hit.path) {
    const Stmt* current = step.expression;
    for (const Stmt* parent = model.ParentOf(current); parent != nullptr && parent != hit.at;
         current = parent, parent = model.ParentOf(current)) {
      if (const auto* op = dyn_cast<CXXOperatorCallExpr>(parent)) {
        if (op->getOperator() != OO_Plus && op->getOperator() != OO_Slash) break;
        if (op->getNumArgs() > 0 && op->getArg(0) != current) return true;
        continue;
      }
      if (const auto* construct = dyn_cast<CXXConstructExpr>(parent)) {
        if (!policy.IsCarrier(construct->getConstructor()->getParent())) break;
        continue;
      }
      if (const auto* call = dyn_cast<CXXMemberCallExpr>(parent)) {
        if (call->getCallee() != current) break;
        continue;
      }
      if (!isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr, CXXBindTemporaryExpr,
               FullExpr, CXXFunctionalCastExpr, CXXStaticCastExpr, MemberExpr, ConditionalOperator>(
              parent)) {
        break;
      }
    }
  }
  return false;
}

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

// True when `path` names one of `directories` itself ("/tmp", "/tmp/").
bool IsTempDirectory(llvm::StringRef path, const std::vector<std::string>& directories) {
  return llvm::any_of(directories, [&](const std::string& directory) {
    return path.rtrim('/') == llvm::StringRef(directory).rtrim('/') && !path.rtrim('/').empty();
  });
}

// A relative path without its leading "./" (the resource key adds one back).
llvm::StringRef WithoutDotSlash(llvm::StringRef path) {
  while (path.consume_front("./")) path = path.ltrim('/');
  return path;
}

// The name a relative path keeps below xdist::TempPath, or std::nullopt when it has
// none or climbs out of the directory ("..").
std::optional<std::string> RelativeName(llvm::StringRef path) {
  const llvm::StringRef name = WithoutDotSlash(path);
  if (name.empty()) return std::nullopt;
  llvm::SmallVector<llvm::StringRef, 8> parts;
  name.split(parts, '/');
  if (llvm::is_contained(parts, "..")) return std::nullopt;
  return name.str();
}

// Whether a literal not starting with '/' can name a file in the working directory:
// "." and ".." name the directory itself or one above it, not a file in it.
bool CouldBeRelativePath(llvm::StringRef value) {
  if (value.empty() || value.size() >= 4096 || llvm::any_of(value, [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    return false;
  }
  llvm::SmallVector<llvm::StringRef, 8> parts;
  value.split(parts, '/');
  return llvm::any_of(
      parts, [](llvm::StringRef part) { return !part.empty() && part != "." && part != ".."; });
}

// The tests that refer to the working directory itself ("." or getcwd()): moving their
// files out of it can change what they check (a server that serves "."), so their
// relative paths get markers rather than rewrites.
std::set<const TestCase*> TestsNamingWorkingDirectory(const TestModel& model) {
  std::set<const TestCase*> tests;
  const auto add = [&](const FunctionDecl* function) {
    const std::vector<const TestCase*> owners = model.OwnersOf(function);
    tests.insert(owners.begin(), owners.end());
  };
  for (const Use& site : model.StringLiterals()) {
    const auto* literal = cast<StringLiteral>(site.expression);
    if (literal->isOrdinary() && (literal->getString() == "." || literal->getString() == "./")) {
      add(site.function);
    }
  }
  for (const Call& call : model.Calls()) {
    const bool reads_cwd =
        IsNamed(call.callee, {"getcwd", "get_current_dir_name"}) ||
        (IsNamed(call.callee, {"current_path"}) && InFilesystemNamespace(call.callee) &&
         !call.callee->getReturnType()->isVoidType());
    if (reads_cwd) add(call.function);
  }
  return tests;
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
  const CharSourceRange range =
      Lexer::makeFileCharRange(CharSourceRange::getTokenRange(literal->getSourceRange()), sources,
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
  return FixItHint::CreateReplacement(range, "xdist::TempPath(" + QuoteString(rest) + ")" + suffix);
}

// One use of a shared path that is reported: a sink hit, the test it runs in, and
// where in that test's code the value enters.
struct Reported {
  const TestCase* test = nullptr;
  SourceLocation location;
  std::string sink;
  SinkKind kind = SinkKind::kFile;
  bool concatenated = false;
};

// A literal that may name a shared path, and what the analysis learnt about it.
struct Candidate {
  enum class Role : std::uint8_t {
    kFinding,    // reaches a sink that counts
    kCompanion,  // only reads the path (relative paths): rewritten with the findings
    kData,       // used as data: rewriting it would change what the test checks
  };
  const StringLiteral* literal = nullptr;
  std::string value;
  bool relative = false;
  Role role = Role::kData;
  std::vector<Reported> reported;
  std::set<const TestCase*> tests;   ///< The tests it runs in.
  std::optional<FixItHint> rewrite;  ///< Its own xdist::TempPath rewrite, when safe.
};

// The path a candidate names, the same for "export.csv" and "./export.csv".
std::string SharedPath(const Candidate& candidate) {
  return candidate.relative ? "./" + WithoutDotSlash(candidate.value).str() : candidate.value;
}

// The tests whose code the value of `hit` passes through first, with the location.
template <typename Callback>
void AttributeToTests(const TestModel& model, const SinkHit& hit, Callback&& callback) {
  for (const Use& step : hit.path) {
    const std::vector<const TestCase*> owners = model.OwnersOf(step.function);
    if (owners.empty()) continue;
    for (const TestCase* test : owners) callback(test, step.expression->getBeginLoc());
    return;
  }
}

// Union-find over candidate indexes.
class Components {
 public:
  explicit Components(size_t size) : parent_(size) {
    std::iota(parent_.begin(), parent_.end(), size_t{0});
  }
  size_t Find(size_t index) {
    while (parent_[index] != index) index = parent_[index] = parent_[parent_[index]];
    return index;
  }
  void Join(size_t a, size_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<size_t> parent_;
};

PlannedFinding Plan(const Candidate& candidate, const Reported& use) {
  PlannedFinding finding;
  finding.location = use.location;
  finding.test = use.test;
  finding.scope = Scope::kCrossProcess;
  finding.resource = candidate.value;
  const std::string shown = "'" + candidate.value + "'";
  const std::string sink = use.kind == SinkKind::kSocketPath ? "sun_path" : use.sink;
  const std::string who = "test '" + use.test->DisplayName() + "'";
  if (use.kind == SinkKind::kIpc) {
    finding.resource_key = "ipc:" + candidate.value;
    finding.message = who + " passes fixed IPC name " + shown + " to " + sink +
                      "; tests running in parallel share it";
    finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
  } else if (candidate.relative) {
    // The working directory is only known when the test runs: "./" stands for it.
    const std::string path = SharedPath(candidate);
    if (use.concatenated) {
      finding.resource_key = "file:" + path + "*";
      finding.message = who + " builds a path on fixed prefix " + shown +
                        " in the working directory for " + sink + "; parallel workers share it";
      finding.marker = MarkerStatement("XDIST_NO_PARALLEL", "uses paths under " + path);
    } else {
      finding.resource_key = "file:" + path;
      finding.message = who + " writes fixed path " + shown +
                        " in the working directory; parallel workers share it";
      finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
    }
  } else if (use.concatenated) {
    finding.resource_key = "file:" + candidate.value + "*";
    finding.message = who + " builds a path on fixed prefix " + shown + " for " + sink +
                      "; tests running in parallel share it";
    finding.marker = MarkerStatement("XDIST_NO_PARALLEL", "uses paths under " + candidate.value);
  } else {
    finding.resource_key = "file:" + candidate.value;
    finding.message = who + " passes fixed path " + shown + " to " + sink +
                      "; tests running in parallel share it";
    finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
  }
  return finding;
}

}  // namespace

HardcodedTmpPathCheck::HardcodedTmpPathCheck(llvm::StringRef name,
                                             clang::tidy::ClangTidyContext* context)
    : XdistCheck(name, context),
      temp_directories_option_(Options.get("TempDirectories", kDefaultTempDirectories).str()),
      extra_sinks_option_(Options.get("ExtraSinkFunctions", "").str()),
      path_parameter_option_(
          Options.get("PathParameterPattern", kDefaultPathParameterPattern).str()),
      read_function_option_(Options.get("ReadFunctionPattern", kDefaultReadFunctionPattern).str()),
      relative_paths_(ParseBool("RelativePaths", Options.get("RelativePaths", "true"), true)),
      temp_directories_(SplitList(temp_directories_option_)),
      extra_sinks_(SplitList(extra_sinks_option_)),
      path_parameter_pattern_(Compile("PathParameterPattern", path_parameter_option_,
                                      kDefaultPathParameterPattern, llvm::Regex::IgnoreCase)),
      read_function_pattern_(Compile("ReadFunctionPattern", read_function_option_,
                                     kDefaultReadFunctionPattern, llvm::Regex::NoFlags)) {}

// OptionsView::get<bool> is not usable here: g++ and clang mangle its enable_if
// return type differently, so the symbol in libclangTidy.a does not link.
bool HardcodedTmpPathCheck::ParseBool(llvm::StringRef option, llvm::StringRef value,
                                      bool fallback) const {
  if (value.equals_insensitive("true") || value == "1") return true;
  if (value.equals_insensitive("false") || value == "0") return false;
  configurationDiag("invalid value '%0' for option '%1': expected true or false",
                    DiagnosticIDs::Error)
      << value << option;
  return fallback;
}

llvm::Regex HardcodedTmpPathCheck::Compile(llvm::StringRef option, const std::string& pattern,
                                           llvm::StringRef fallback,
                                           llvm::Regex::RegexFlags flags) const {
  llvm::Regex regex(pattern, flags);
  std::string error;
  if (regex.isValid(error)) return regex;
  configurationDiag("invalid regular expression '%0' for option '%1': %2; using the default",
                    DiagnosticIDs::Error)
      << pattern << option << error;
  return llvm::Regex(fallback, flags);
}

void HardcodedTmpPathCheck::storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) {
  Options.store(options, "TempDirectories", temp_directories_option_);
  Options.store(options, "ExtraSinkFunctions", extra_sinks_option_);
  Options.store(options, "PathParameterPattern", path_parameter_option_);
  Options.store(options, "ReadFunctionPattern", read_function_option_);
  Options.store(options, "RelativePaths", relative_paths_ ? "true" : "false");
}

std::vector<PlannedFinding> HardcodedTmpPathCheck::Analyze(const TestModel& model) {
  const SourceManager& sources = model.Context().getSourceManager();
  const TmpPathPolicy policy(model, extra_sinks_, path_parameter_pattern_,
                             read_function_pattern_);
  const std::set<const TestCase*> naming_cwd =
      relative_paths_ ? TestsNamingWorkingDirectory(model) : std::set<const TestCase*>{};
  std::vector<Candidate> candidates;

  for (const Use& site : model.StringLiterals()) {
    const auto* literal = cast<StringLiteral>(site.expression);
    if (!literal->isOrdinary()) continue;
    const llvm::StringRef value = literal->getString();
    const bool relative = !value.starts_with("/");
    if (relative && (!relative_paths_ || !CouldBeRelativePath(value))) continue;
    if (value.ends_with("XXXXXX")) continue;
    // A literal not spelled in a source file is not the user's: __FILE__, and -D macros
    // of the build, which name the build tree (under /tmp when the tree is there).
    const SourceLocation spelling = sources.getSpellingLoc(literal->getBeginLoc());
    if (!sources.getFileEntryRefForID(sources.getFileID(spelling)) ||
        sources.isInSystemHeader(spelling)) {
      continue;
    }

    const std::optional<std::string> below =
        relative ? std::nullopt : BelowTempDirectory(value, temp_directories_);
    const std::optional<std::string> name = relative ? RelativeName(value) : below;
    const bool temp_directory = !relative && IsTempDirectory(value, temp_directories_);
    // The fallback inside a provider of per-test directories (an inline TempDir() that
    // returns "/tmp/" when TEST_TMPDIR is unset) is that provider's business.
    if (temp_directory && IsNamed(site.function, {"TempDir", "TempPath", "UniqueTempDir"})) {
      continue;
    }
    const FlowResult flow = TraceValue(model, policy, literal, site.function);
    if (flow.made_unique) continue;

    Candidate candidate;
    candidate.literal = literal;
    candidate.value = value.str();
    candidate.relative = relative;
    bool rewritable = !flow.data_use && !flow.static_storage && name.has_value() &&
                      !ConvertedToStringWrapper(model, literal);
    bool reads = false;
    for (const SinkHit& hit : flow.hits) {
      const std::optional<SinkInfo> info = DescribeHit(model, policy, hit);
      if (!info) {
        rewritable = false;
        continue;
      }
      const bool appended = relative && AppendedToOther(model, policy, hit);
      if (info->kind != SinkKind::kFile || hit.concatenated || appended) rewritable = false;
      // A relative path is shared only where something writes it: tests read their
      // data files from the working directory legitimately.
      // The temporary directory itself counts when a fixed name is appended to it
      // (fs::path("/tmp") / "cache.db"); alone it names the directory, which is no hazard.
      const bool counts = relative ? info->kind == SinkKind::kFile && info->writes && !appended
                                   : info->kind == SinkKind::kIpc || below.has_value() ||
                                         (temp_directory && hit.concatenated);
      const bool read = relative && info->kind == SinkKind::kFile && !info->writes && !appended;
      if (!counts && !read) continue;
      reads = reads || read;
      AttributeToTests(model, hit, [&](const TestCase* test, SourceLocation location) {
        candidate.tests.insert(test);
        // One finding per test and literal, at the first way the test uses it.
        if (counts && llvm::none_of(candidate.reported,
                                    [&](const Reported& other) { return other.test == test; })) {
          candidate.reported.push_back({test, location, info->name, info->kind, hit.concatenated});
        }
      });
    }

    if (!candidate.reported.empty()) {
      candidate.role = Candidate::Role::kFinding;
    } else if (reads && !candidate.tests.empty()) {
      candidate.role = Candidate::Role::kCompanion;
    } else if (flow.data_use || flow.hits.empty()) {
      candidate.role = Candidate::Role::kData;
      const std::vector<const TestCase*> owners = model.OwnersOf(site.function);
      candidate.tests.insert(owners.begin(), owners.end());
    } else {
      continue;  // Only reaches other paths or names: not this path.
    }
    if (candidate.tests.empty()) continue;

    if (candidate.role != Candidate::Role::kData && rewritable) {
      // TempPath names the current test's directory: only code that runs while a
      // test is current (not SetUpTestSuite, not static initialisers) may call it.
      const bool per_test = site.function != nullptr ? model.RunsPerTest(site.function) : [&] {
        const FieldDecl* field = InitialisedField(model, literal);
        return field != nullptr && model.IsFixture(dyn_cast<CXXRecordDecl>(field->getParent()));
      }();
      const bool names_cwd = relative && llvm::any_of(candidate.tests, [&](const TestCase* test) {
                               return naming_cwd.count(test) != 0;
                             });
      if (per_test && !names_cwd) candidate.rewrite = TempPathRewrite(model, literal, *name);
    }
    candidates.push_back(std::move(candidate));
  }

  // Every use of one path in one test is rewritten together or not at all: a test
  // that writes "/tmp/r.txt" and reads it back must read the file it wrote, and a
  // test that also compares the path as data keeps the path (and gets a marker).
  Components components(candidates.size());
  std::map<std::pair<std::string, const TestCase*>, std::vector<size_t>> uses;
  for (size_t index = 0; index < candidates.size(); ++index) {
    for (const TestCase* test : candidates[index].tests) {
      uses[{SharedPath(candidates[index]), test}].push_back(index);
    }
  }
  for (const auto& [key, members] : uses) {
    const bool reported = llvm::any_of(
        members, [&](size_t index) { return candidates[index].role == Candidate::Role::kFinding; });
    if (!reported) continue;
    for (size_t member : members) components.Join(member, members.front());
  }
  std::map<size_t, std::vector<size_t>> members_of;
  for (size_t index = 0; index < candidates.size(); ++index) {
    members_of[components.Find(index)].push_back(index);
  }

  std::vector<PlannedFinding> findings;
  for (const auto& [root, members] : members_of) {
    const bool fixable =
        llvm::all_of(members, [&](size_t index) { return candidates[index].rewrite.has_value(); });
    bool anchored = false;
    for (size_t index : members) {
      const Candidate& candidate = candidates[index];
      if (candidate.role != Candidate::Role::kFinding) continue;
      std::vector<FixItHint> fix_it;
      if (fixable) {
        fix_it.push_back(*candidate.rewrite);
        // The companions' rewrites travel with one finding, so they apply once.
        if (!anchored) {
          for (size_t other : members) {
            if (candidates[other].role == Candidate::Role::kCompanion) {
              fix_it.push_back(*candidates[other].rewrite);
            }
          }
          anchored = true;
        }
      }
      for (const Reported& use : candidate.reported) {
        PlannedFinding finding = Plan(candidate, use);
        finding.fix_it = fix_it;
        findings.push_back(std::move(finding));
      }
    }
  }
  return findings;
}

}  // namespace xdist::analyzer
