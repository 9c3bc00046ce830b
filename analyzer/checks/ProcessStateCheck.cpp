#include "checks/ProcessStateCheck.h"

#include <cctype>
#include <functional>

#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

// One call that changes process state.
struct StateChange {
  const CallExpr* call = nullptr;
  const FunctionDecl* function = nullptr;
  std::string callee;
  std::string key;          ///< Resource key: "env:HOME", "cwd", "locale", ...
  std::string description;  ///< "environment variable 'HOME'", "the working directory"
  bool restorable = true;   ///< A later call of the same kind can restore it.
};

const StringLiteral* Literal(const Expr* expression) {
  return dyn_cast<StringLiteral>(IgnoreWrappers(expression)->IgnoreParenImpCasts());
}

bool IsNull(const ASTContext& context, const Expr* expression) {
  return expression->isNullPointerConstant(const_cast<ASTContext&>(context),
                                           Expr::NPC_ValueDependentIsNotNull) != Expr::NPCK_NotNull;
}

std::string EnvKey(const Expr* name_argument, bool is_putenv) {
  const StringLiteral* literal = Literal(name_argument);
  if (literal == nullptr || !literal->isOrdinary()) return "env:*";
  llvm::StringRef name = literal->getString();
  if (is_putenv) name = name.split('=').first;
  return "env:" + name.str();
}

std::optional<StateChange> Classify(const ASTContext& context, const CallExpr* call,
                                    const FunctionDecl* callee,
                                    const std::vector<std::string>& extra) {
  StateChange change;
  change.call = call;
  if (const auto* method = dyn_cast<CXXMethodDecl>(callee)) {
    if (method->getIdentifier() && method->getName() == "global" && method->isStatic() &&
        method->getParent()->getName() == "locale" && InNamespace(method, "std")) {
      change.callee = "std::locale::global";
      change.key = "cpp-locale";
      change.description = "the global C++ locale";
      return change;
    }
    return std::nullopt;
  }
  if (callee->getIdentifier() == nullptr || callee->getDeclContext()->isRecord()) {
    return std::nullopt;
  }
  const llvm::StringRef name = callee->getName();
  change.callee = name.str();
  const unsigned arguments = call->getNumArgs();
  if ((name == "setenv" || name == "unsetenv") && arguments >= 1) {
    change.key = EnvKey(call->getArg(0), false);
  } else if (name == "putenv" && arguments == 1) {
    change.key = EnvKey(call->getArg(0), true);
  } else if (name == "clearenv") {
    change.key = "env:*";
  } else if (name == "chdir" || name == "fchdir") {
    change.key = "cwd";
    change.description = "the working directory";
  } else if (name == "current_path" && InNamespace(callee, "std") && arguments >= 1 &&
             callee->getReturnType()->isVoidType()) {
    // std::filesystem::current_path(p[, ec]); the overloads returning a path only ask.
    change.callee = "std::filesystem::current_path";
    change.key = "cwd";
    change.description = "the working directory";
  } else if (name == "umask") {
    change.key = "umask";
    change.description = "the file mode creation mask";
  } else if (name == "setlocale" && arguments == 2) {
    if (IsNull(context, call->getArg(1))) return std::nullopt;  // A query.
    change.key = "locale";
    change.description = "the C locale";
  } else if ((name == "signal" || name == "sigaction") && arguments >= 2) {
    if (name == "sigaction" && IsNull(context, call->getArg(1))) return std::nullopt;
    const std::string signal = SourceText(context, call->getArg(0));
    change.key = "signal:" + (signal.empty() ? std::string("*") : signal);
    change.description = "the disposition of " + (signal.empty() ? std::string("a signal") : signal);
  } else if (name == "set_terminate" && InNamespace(callee, "std")) {
    change.key = "terminate-handler";
    change.description = "the terminate handler";
  } else if (name == "set_new_handler" && InNamespace(callee, "std")) {
    change.key = "new-handler";
    change.description = "the new handler";
  } else if (name == "srand") {
    change.key = "rand-seed";
    change.description = "the rand() seed";
    change.restorable = false;
  } else if (name == "tzset") {
    change.key = "env:TZ";
    change.description = "the time zone";
  } else if (llvm::is_contained(extra, name)) {
    change.key = "call:" + name.str();
    change.description = "process state through " + name.str();
  } else {
    return std::nullopt;
  }
  if (change.description.empty()) {
    change.description = change.key == "env:*"
                             ? "the environment"
                             : "environment variable '" + change.key.substr(4) + "'";
  }
  return change;
}

// True when the block around `call` ends the process (`_exit`, `exit`, an `exec*`):
// the child branch after fork(), whose changes never reach the test's process.
bool InExitingBlock(const TestModel& model, const CallExpr* call) {
  const Stmt* current = call;
  while (current != nullptr && !isa<CompoundStmt>(current)) current = model.ParentOf(current);
  if (current == nullptr) return false;
  for (const Stmt* statement : cast<CompoundStmt>(current)->body()) {
    const auto* expression = dyn_cast<Expr>(statement);
    const auto* other = expression ? dyn_cast<CallExpr>(expression->IgnoreImplicit()) : nullptr;
    const FunctionDecl* callee = other ? other->getDirectCallee() : nullptr;
    if (callee != nullptr && callee->getIdentifier() != nullptr &&
        (llvm::is_contained(std::initializer_list<llvm::StringRef>{"_exit", "_Exit", "exit",
                                                                   "abort"},
                            callee->getName()) ||
         callee->getName().starts_with("exec"))) {
      return true;
    }
  }
  return false;
}

// `call` stands alone as a statement directly in the body of a test.
bool IsTestBodyStatement(const TestModel& model, const StateChange& change) {
  if (model.TestOfBody(change.function) == nullptr) return false;
  const Stmt* parent = model.ParentOf(change.call);
  while (parent != nullptr && isa<ExprWithCleanups>(parent)) parent = model.ParentOf(parent);
  return parent != nullptr && parent == change.function->getBody();
}

std::string GuardName(const std::string& key) {
  if (key == "cwd") return "cwd_guard";
  std::string name = "env_";
  for (const char c : llvm::StringRef(key).drop_front(4)) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  }
  return name;
}

// The ScopedEnv / ScopedCwd rewrite of a setenv, unsetenv, chdir or current_path statement.
std::optional<FixItHint> ScopedGuardRewrite(const TestModel& model, const StateChange& change) {
  const ASTContext& context = model.Context();
  const CallExpr* call = change.call;
  if (!IsTestBodyStatement(model, change) || call->getBeginLoc().isMacroID() ||
      change.key == "env:*") {
    return std::nullopt;
  }
  const CharSourceRange range = Lexer::makeFileCharRange(
      CharSourceRange::getTokenRange(call->getSourceRange()), context.getSourceManager(),
      context.getLangOpts());
  if (range.isInvalid()) return std::nullopt;
  std::string replacement;
  if (change.callee == "setenv" && call->getNumArgs() == 3) {
    // setenv(n, v, 0) keeps an existing value: not what a guard does.
    Expr::EvalResult overwrite;
    if (!call->getArg(2)->EvaluateAsInt(overwrite, context) || overwrite.Val.getInt() == 0) {
      return std::nullopt;
    }
    replacement = "xdist::ScopedEnv " + GuardName(change.key) + "(" +
                  SourceText(context, call->getArg(0)) + ", " + SourceText(context, call->getArg(1)) +
                  ")";
  } else if (change.callee == "unsetenv" && call->getNumArgs() == 1) {
    replacement = "xdist::ScopedEnv " + GuardName(change.key) + "(" +
                  SourceText(context, call->getArg(0)) + ", std::nullopt)";
  } else if ((change.callee == "chdir" || change.callee == "std::filesystem::current_path") &&
             call->getNumArgs() == 1) {
    replacement = "xdist::ScopedCwd " + GuardName(change.key) + "(" +
                  SourceText(context, call->getArg(0)) + ")";
  } else {
    return std::nullopt;
  }
  return FixItHint::CreateReplacement(range, replacement);
}

// A class of the user's that changes state in a member function (its constructor) and
// changes the same state in its destructor is a scoped guard, like xdist::ScopedEnv. The
// destructor runs implicitly, so it is looked at here rather than among the test's calls.
bool RestoredByDestructor(const ASTContext& context, const StateChange& change,
                          const std::vector<std::string>& extra) {
  const auto* method = dyn_cast<CXXMethodDecl>(change.function);
  if (method == nullptr || isa<CXXDestructorDecl>(method)) return false;
  const CXXDestructorDecl* destructor = method->getParent()->getDestructor();
  const FunctionDecl* definition = nullptr;
  if (destructor == nullptr || !destructor->hasBody(definition)) return false;
  const std::function<bool(const Stmt*)> changes_same_state = [&](const Stmt* statement) {
    if (statement == nullptr) return false;
    if (const auto* call = dyn_cast<CallExpr>(statement)) {
      const FunctionDecl* callee = call->getDirectCallee();
      if (callee != nullptr) {
        const std::optional<StateChange> other = Classify(context, call, callee, extra);
        if (other && other->key == change.key) return true;
      }
    }
    return llvm::any_of(statement->children(), changes_same_state);
  };
  return changes_same_state(definition->getBody());
}

// Changes come in pairs when state is restored: two calls changing the same state in
// one function (set, then set back), or one in a test and one in a tear-down that runs
// for the same test. Neither call of a pair is reported. tzset() restores nothing; it
// is restored when TZ itself is set and set back.
bool IsRestored(const TestModel& model, const StateChange& change,
                const std::vector<StateChange>& all) {
  if (!change.restorable) return false;
  const std::vector<const TestCase*> owners = model.OwnersOf(change.function);
  const auto shares_tests = [&](const FunctionDecl* function) {
    for (const TestCase* test : model.OwnersOf(function)) {
      if (llvm::is_contained(owners, test)) return true;
    }
    return false;
  };
  unsigned partners = 0;
  for (const StateChange& other : all) {
    if (&other == &change || other.key != change.key || other.callee == "tzset") continue;
    const bool same_function = other.function == change.function;
    const bool tear_down = (model.IsTearDown(other.function) && shares_tests(other.function)) ||
                           (model.IsTearDown(change.function) && shares_tests(other.function));
    if (same_function || tear_down) ++partners;
  }
  return partners >= (change.callee == "tzset" ? 2u : 1u);
}

}  // namespace

ProcessStateCheck::ProcessStateCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context)
    : XdistCheck(name, context),
      functions_option_(Options.get("Functions", "").str()),
      functions_(SplitList(functions_option_)) {}

void ProcessStateCheck::storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) {
  Options.store(options, "Functions", functions_option_);
}

std::vector<PlannedFinding> ProcessStateCheck::Analyze(const TestModel& model) {
  std::vector<StateChange> changes;
  for (const Call& call : model.Calls()) {
    const auto* expression = dyn_cast<CallExpr>(call.expression);
    if (expression == nullptr || call.function == nullptr ||
        InNamespace(call.function, "xdist") || model.OwnersOf(call.function).empty()) {
      continue;
    }
    if (InExitingBlock(model, expression)) continue;
    if (auto change = Classify(model.Context(), expression, call.callee, functions_)) {
      change->function = call.function;
      changes.push_back(std::move(*change));
    }
  }
  // tzset() matters only after the test changed TZ.
  std::erase_if(changes, [&](const StateChange& change) {
    return change.callee == "tzset" &&
           std::none_of(changes.begin(), changes.end(), [&](const StateChange& other) {
             return other.callee != "tzset" && other.key == "env:TZ" &&
                    other.function == change.function;
           });
  });

  std::vector<PlannedFinding> findings;
  for (const StateChange& change : changes) {
    if (IsRestored(model, change, changes) ||
        (change.restorable && RestoredByDestructor(model.Context(), change, functions_))) {
      continue;
    }
    const std::optional<FixItHint> rewrite = ScopedGuardRewrite(model, change);
    for (const TestCase* test : model.OwnersOf(change.function)) {
      PlannedFinding finding;
      finding.location = change.call->getBeginLoc();
      finding.test = test;
      finding.scope = Scope::kInProcess;
      finding.resource_key = change.key;
      finding.resource = change.key;
      finding.message = "test '" + test->DisplayName() + "' changes " + change.description +
                        " with " + change.callee +
                        " and does not restore it; later tests in the same process see the change";
      if (rewrite && model.TestOfBody(change.function) == test) finding.fix_it.push_back(*rewrite);
      finding.marker = change.key == "env:*" || change.key.rfind("call:", 0) == 0
                           ? MarkerStatement("XDIST_NO_PARALLEL", "changes " + change.description)
                           : MarkerStatement("XDIST_RESOURCE_LOCK", change.key);
      findings.push_back(std::move(finding));
    }
  }
  return findings;
}

}  // namespace xdist::analyzer
