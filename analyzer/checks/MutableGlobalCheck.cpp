#include "checks/MutableGlobalCheck.h"

#include <cctype>

#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

// One write to a variable with static storage duration.
struct Write {
  const VarDecl* variable = nullptr;
  const Expr* at = nullptr;         ///< Where it is written.
  const Expr* reference = nullptr;  ///< The expression naming the variable.
  const FunctionDecl* function = nullptr;
  bool through_accessor = false;  ///< A function-local static reached by a call.
};

bool InXdist(const Decl* declaration) {
  for (const DeclContext* context = declaration->getDeclContext(); context != nullptr;
       context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) {
      if (space->getName() == "xdist") return true;
    }
  }
  return false;
}

bool IsNonConstReference(QualType type) {
  if (const auto* reference = type->getAs<ReferenceType>()) {
    return !reference->getPointeeType().isConstQualified();
  }
  return false;
}

bool IsPointerToNonConst(QualType type) {
  return type->isPointerType() && !type->getPointeeType().isConstQualified();
}

// The parameter type `argument` binds to in `call`, if it is an argument of it.
std::optional<QualType> ParameterType(const Expr* call, const Expr* argument) {
  const FunctionDecl* callee = nullptr;
  llvm::ArrayRef<const Expr*> arguments;
  unsigned offset = 0;
  if (const auto* construct = dyn_cast<CXXConstructExpr>(call)) {
    callee = construct->getConstructor();
    arguments = llvm::ArrayRef(construct->getArgs(), construct->getNumArgs());
  } else if (const auto* invocation = dyn_cast<CallExpr>(call)) {
    callee = invocation->getDirectCallee();
    arguments = llvm::ArrayRef(invocation->getArgs(), invocation->getNumArgs());
    // A member operator's object is argument 0 of the call but not a parameter.
    if (isa<CXXOperatorCallExpr>(invocation) && isa_and_nonnull<CXXMethodDecl>(callee)) offset = 1;
  }
  if (callee == nullptr) return std::nullopt;
  for (unsigned index = 0; index < arguments.size(); ++index) {
    if (arguments[index] != argument) continue;
    if (index < offset) {
      const auto* method = cast<CXXMethodDecl>(callee);
      return method->isConst() ? QualType() : QualType(method->getThisType());
    }
    if (index - offset >= callee->getNumParams()) return std::nullopt;
    // A forwarding reference (`Args&&...` of make_unique, emplace_back) passes the
    // value on; whether it is written is decided where it lands, not seen here.
    if (const FunctionDecl* pattern = callee->getTemplateInstantiationPattern()) {
      const unsigned position = index - offset;
      const ParmVarDecl* parameter = nullptr;
      if (position < pattern->getNumParams()) {
        parameter = pattern->getParamDecl(position);
      } else if (pattern->getNumParams() > 0) {
        parameter = pattern->getParamDecl(pattern->getNumParams() - 1);
      }
      if (parameter != nullptr) {
        QualType type = parameter->getType();
        if (const auto* expansion = type->getAs<PackExpansionType>())
          type = expansion->getPattern();
        if (const auto* reference = type->getAs<RValueReferenceType>()) {
          if (reference->getPointeeType()->getAs<TemplateTypeParmType>() != nullptr &&
              !reference->getPointeeType().hasQualifiers()) {
            return QualType();
          }
        }
      }
    }
    return callee->getParamDecl(index - offset)->getType();
  }
  return std::nullopt;
}

bool IsScopedRestore(const CXXConstructExpr* construct) {
  const CXXRecordDecl* record = construct->getConstructor()->getParent();
  return record->getIdentifier() != nullptr && record->getName() == "ScopedRestore" &&
         InXdist(record);
}

// Climbs from a use of a variable to decide whether it writes it. Returns the
// writing expression, or nullptr for a read.
const Expr* WriteOf(const TestModel& model, const Expr* use) {
  const Expr* current = use;
  while (true) {
    const Stmt* parent = model.ParentOf(current);
    if (parent == nullptr) return nullptr;
    if (const auto* cast = dyn_cast<ImplicitCastExpr>(parent)) {
      if (cast->getCastKind() == CK_LValueToRValue) return nullptr;
      current = cast;
      continue;
    }
    if (isa<ParenExpr, ArraySubscriptExpr>(parent)) {
      if (const auto* subscript = dyn_cast<ArraySubscriptExpr>(parent);
          subscript != nullptr && subscript->getBase() != current &&
          subscript->getLHS() != current) {
        return nullptr;
      }
      current = cast<Expr>(parent);
      continue;
    }
    if (const auto* member = dyn_cast<MemberExpr>(parent)) {
      if (const auto* method = dyn_cast<CXXMethodDecl>(member->getMemberDecl())) {
        if (method->isStatic() || method->isConst()) return nullptr;
        const Stmt* call = model.ParentOf(member);
        return call != nullptr ? cast<Expr>(call) : nullptr;
      }
      if (member->isArrow()) return nullptr;  // Writes through a pointer member: not the variable.
      current = member;
      continue;
    }
    if (const auto* binary = dyn_cast<BinaryOperator>(parent)) {
      return binary->isAssignmentOp() && binary->getLHS() == current ? binary : nullptr;
    }
    if (const auto* unary = dyn_cast<UnaryOperator>(parent)) {
      if (unary->isIncrementDecrementOp()) return unary;
      if (unary->getOpcode() != UO_AddrOf) return nullptr;
      // `&g` spelled in a macro of a header (glog's DVLOG passes &FLAGS_v to
      // InitVLOG3__ to cache it) is the library's business, not the test's write.
      const SourceManager& sources = model.Context().getSourceManager();
      if (unary->getOperatorLoc().isMacroID() &&
          !sources.isInMainFile(sources.getSpellingLoc(unary->getOperatorLoc()))) {
        return nullptr;
      }
      current = unary;
      const Stmt* call = model.ParentOf(unary);
      while (call != nullptr && isa<ImplicitCastExpr, ParenExpr>(call)) {
        current = cast<Expr>(call);
        call = model.ParentOf(call);
      }
      if (call == nullptr || !isa<CallExpr, CXXConstructExpr>(call)) return nullptr;
      const auto type = ParameterType(cast<Expr>(call), current);
      return type && IsPointerToNonConst(*type) ? cast<Expr>(call) : nullptr;
    }
    if (isa<CallExpr, CXXConstructExpr>(parent)) {
      const auto* call = cast<Expr>(parent);
      if (const auto* construct = dyn_cast<CXXConstructExpr>(call);
          construct && IsScopedRestore(construct)) {
        return nullptr;
      }
      const auto type = ParameterType(call, current);
      if (!type || type->isNull()) return nullptr;
      if (IsNonConstReference(*type) || (*type)->isRValueReferenceType() ||
          ((*type)->isPointerType() && isa<CXXMemberCallExpr, CXXOperatorCallExpr>(call))) {
        return call;
      }
      return nullptr;
    }
    return nullptr;
  }
}

// A function-local static returned by reference: `Config& Get() { static Config c; return c; }`.
const VarDecl* StaticReturnedBy(const FunctionDecl* function) {
  if (function == nullptr || !function->getReturnType()->isLValueReferenceType()) return nullptr;
  const FunctionDecl* definition = function->getDefinition();
  if (definition == nullptr || definition->getBody() == nullptr) return nullptr;
  for (const Stmt* statement : definition->getBody()->children()) {
    const auto* result = dyn_cast_or_null<ReturnStmt>(statement);
    if (result == nullptr || result->getRetValue() == nullptr) continue;
    const auto* reference = dyn_cast<DeclRefExpr>(result->getRetValue()->IgnoreParenImpCasts());
    const auto* variable = reference ? dyn_cast<VarDecl>(reference->getDecl()) : nullptr;
    if (variable != nullptr && variable->isStaticLocal()) return variable;
  }
  return nullptr;
}

bool IsTracked(const SourceManager& sources, const VarDecl* variable) {
  // A global reference to something mutable (gflags' `extern std::string& FLAGS_x`) is
  // global state too: writing through it changes what it refers to.
  const QualType type = variable->getType();
  if (!variable->hasGlobalStorage() || type.isConstQualified() ||
      type.getNonReferenceType().isConstQualified() || variable->isConstexpr() ||
      type->isRValueReferenceType()) {
    return false;
  }
  // Locking a global mutex is synchronisation, not state a test leaves behind.
  if (const CXXRecordDecl* record = type.getNonReferenceType()->getAsCXXRecordDecl();
      record != nullptr && record->getIdentifier() != nullptr && InNamespace(record, "std") &&
      llvm::is_contained(std::initializer_list<llvm::StringRef>{
                             "mutex", "recursive_mutex", "timed_mutex", "recursive_timed_mutex",
                             "shared_mutex", "shared_timed_mutex", "condition_variable",
                             "condition_variable_any", "once_flag"},
                         record->getName())) {
    return false;
  }
  // `std::ostream& out = std::cout;`: writing to a standard stream is output, not state.
  if (type->isReferenceType()) {
    const CXXRecordDecl* referent = type.getNonReferenceType()->getAsCXXRecordDecl();
    if (referent != nullptr && referent->getIdentifier() != nullptr &&
        InNamespace(referent, "std") &&
        llvm::is_contained(std::initializer_list<llvm::StringRef>{"basic_ostream", "basic_istream",
                                                                  "basic_iostream", "basic_ios"},
                           referent->getName())) {
      return false;
    }
  }
  return !sources.isInSystemHeader(variable->getLocation()) && !InXdist(variable);
}

bool IsCopyable(QualType type) {
  if (type->isArrayType()) return false;
  const CXXRecordDecl* record = type->getAsCXXRecordDecl();
  if (record == nullptr) return type->isScalarType();
  record = record->getDefinition();
  if (record == nullptr) return false;
  if (record->needsImplicitCopyConstructor() && record->defaultedCopyConstructorIsDeleted()) {
    return false;
  }
  for (const CXXConstructorDecl* constructor : record->ctors()) {
    if (constructor->isCopyConstructor() && constructor->isDeleted()) return false;
  }
  for (const CXXMethodDecl* method : record->methods()) {
    if (method->isCopyAssignmentOperator() && method->isDeleted()) return false;
  }
  // Library types that cannot be copied but do not say so in a way seen above.
  return !(record->getName() == "atomic" || record->getName() == "mutex" ||
           record->getName() == "unique_ptr");
}

// `a = b` (or `a.store(b)`, `a.assign(b)`), the shape of putting a saved value back.
bool IsPlainAssignment(const Expr* write) {
  if (const auto* binary = dyn_cast<BinaryOperator>(write)) return binary->getOpcode() == BO_Assign;
  if (const auto* op = dyn_cast<CXXOperatorCallExpr>(write)) return op->getOperator() == OO_Equal;
  if (const auto* call = dyn_cast<CXXMemberCallExpr>(write)) {
    const CXXMethodDecl* method = call->getMethodDecl();
    if (method == nullptr || method->getIdentifier() == nullptr) return false;
    if (method->getName() == "store" || method->getName() == "assign") return true;
    // Emptying the variable itself (not an element of it) puts back the empty state a
    // registry or a log starts in: g_log.push_back(x); ...; g_log.clear();
    const Expr* object = call->getImplicitObjectArgument();
    return (method->getName() == "clear" || method->getName() == "reset") &&
           llvm::all_of(call->arguments(),
                        [](const Expr* argument) { return isa<CXXDefaultArgExpr>(argument); }) &&
           object != nullptr &&
           isa<DeclRefExpr>(object->IgnoreParenImpCasts());
  }
  return false;
}

// True when `a` comes before `b` in the same function. Both may lie in one macro
// expansion (fmt's EXPECT_RETRY sets and resets a counter), where their file
// locations are equal: then the order of the statements under their nearest common
// ancestor decides, which is the order in which the macro spells them.
bool Precedes(const TestModel& model, const Stmt* a, const Stmt* b) {
  const SourceManager& sources = model.Context().getSourceManager();
  const SourceLocation file_a = sources.getFileLoc(a->getBeginLoc());
  const SourceLocation file_b = sources.getFileLoc(b->getBeginLoc());
  if (file_a != file_b) return sources.isBeforeInTranslationUnit(file_a, file_b);
  llvm::SmallVector<const Stmt*, 16> path_a;
  for (const Stmt* node = a; node != nullptr; node = model.ParentOf(node)) path_a.push_back(node);
  const Stmt* child_b = nullptr;
  for (const Stmt* node = b; node != nullptr; child_b = node, node = model.ParentOf(node)) {
    const auto* found = llvm::find(path_a, node);
    if (found == path_a.end()) continue;
    if (found == path_a.begin() || child_b == nullptr) return false;  // One contains the other.
    const Stmt* child_a = *(found - 1);
    for (const Stmt* child : node->children()) {
      if (child == child_a) return true;
      if (child == child_b) return false;
    }
    return false;
  }
  return false;
}

// A local object whose class's destructor writes a global: `NewHook hook;`.
struct Lifetime {
  const CXXRecordDecl* record = nullptr;
  const Expr* construct = nullptr;      ///< Where the object is constructed.
  const CompoundStmt* scope = nullptr;  ///< The block it lives in.
  const FunctionDecl* function = nullptr;
};

bool IsInside(const TestModel& model, const Stmt* statement, const Stmt* ancestor) {
  for (const Stmt* node = statement; node != nullptr; node = model.ParentOf(node)) {
    if (node == ancestor) return true;
  }
  return false;
}

// Code that runs before each test of a fixture: its constructors and SetUp.
bool IsPerTestSetUp(const TestModel& model, const FunctionDecl* function) {
  const auto* method = dyn_cast_or_null<CXXMethodDecl>(function);
  if (method == nullptr || !model.IsFixture(method->getParent())) return false;
  return isa<CXXConstructorDecl>(method) ||
         (method->getIdentifier() != nullptr && method->getName() == "SetUp");
}

std::string QualifiedName(const VarDecl* variable) {
  if (const auto* owner = dyn_cast<FunctionDecl>(variable->getDeclContext())) {
    return owner->getQualifiedNameAsString() + "::" + variable->getNameAsString();
  }
  return variable->getQualifiedNameAsString();
}

std::string Describe(const Write& write) {
  const VarDecl* variable = write.variable;
  if (write.through_accessor) {
    const auto* owner = dyn_cast<FunctionDecl>(variable->getDeclContext());
    return "function-local static '" + variable->getNameAsString() + "'" +
           (owner != nullptr ? " of " + owner->getNameAsString() + "()" : std::string());
  }
  if (variable->isStaticDataMember())
    return "static member '" + variable->getQualifiedNameAsString() + "'";
  return "global '" + variable->getQualifiedNameAsString() + "'";
}

}  // namespace

std::vector<PlannedFinding> MutableGlobalCheck::Analyze(const TestModel& model) {
  const ASTContext& context = model.Context();
  const SourceManager& sources = context.getSourceManager();
  std::vector<Write> writes;
  std::vector<std::pair<const VarDecl*, const FunctionDecl*>> guards;
  std::vector<std::pair<const VarDecl*, const CXXRecordDecl*>> restoring_destructors;

  for (const auto& [declaration, uses] : model.AllUses()) {
    const auto* variable = dyn_cast<VarDecl>(declaration);
    if (variable == nullptr || !IsTracked(sources, variable)) continue;
    for (const Use& use : uses) {
      if (use.function == nullptr || InXdist(use.function)) continue;
      // A guard: xdist::ScopedRestore over the variable.
      const Stmt* parent = model.ParentOf(use.expression);
      while (parent != nullptr && isa<ImplicitCastExpr, ParenExpr>(parent))
        parent = model.ParentOf(parent);
      if (const auto* construct = dyn_cast_or_null<CXXConstructExpr>(parent);
          construct != nullptr && IsScopedRestore(construct)) {
        guards.emplace_back(variable, use.function);
        continue;
      }
      // A static local is the business of the function that declares it.
      if (variable->isStaticLocal()) continue;
      // Destructors run implicitly, so no call makes them test code; remember what
      // they write, for objects that restore a global when they go out of scope.
      if (const auto* destructor = dyn_cast<CXXDestructorDecl>(use.function);
          destructor != nullptr && WriteOf(model, use.expression) != nullptr) {
        restoring_destructors.emplace_back(variable->getCanonicalDecl(),
                                           destructor->getParent()->getCanonicalDecl());
      }
      if (model.OwnersOf(use.function).empty()) continue;
      if (const Expr* at = WriteOf(model, use.expression)) {
        writes.push_back({variable, at, use.expression, use.function, false});
      }
    }
  }
  for (const Call& call : model.Calls()) {
    if (call.function == nullptr || model.OwnersOf(call.function).empty()) continue;
    const VarDecl* variable = StaticReturnedBy(call.callee);
    if (variable == nullptr || !IsTracked(sources, variable)) continue;
    if (const Expr* at = WriteOf(model, call.expression)) {
      writes.push_back({variable, at, call.expression, call.function, true});
    }
  }

  std::vector<Lifetime> lifetimes;
  for (const Call& call : model.Calls()) {
    const auto* constructor = dyn_cast_or_null<CXXConstructorDecl>(call.callee);
    if (constructor == nullptr || call.function == nullptr) continue;
    const CXXRecordDecl* record = constructor->getParent()->getCanonicalDecl();
    if (!llvm::any_of(restoring_destructors,
                      [&](const auto& restorer) { return restorer.second == record; })) {
      continue;
    }
    const auto* local = dyn_cast_or_null<VarDecl>(model.InitialisedBy(call.expression));
    if (local == nullptr || !local->hasLocalStorage()) continue;
    const Stmt* scope = model.ParentOf(call.expression);
    while (scope != nullptr && !isa<CompoundStmt>(scope)) scope = model.ParentOf(scope);
    if (scope != nullptr) {
      lifetimes.push_back({record, call.expression, cast<CompoundStmt>(scope), call.function});
    }
  }

  const auto shares_tests = [&](const FunctionDecl* a, const FunctionDecl* b) {
    const std::vector<const TestCase*> owners = model.OwnersOf(a);
    for (const TestCase* test : model.OwnersOf(b)) {
      if (llvm::is_contained(owners, test)) return true;
    }
    return false;
  };
  std::vector<PlannedFinding> findings;
  for (const Write& write : writes) {
    const VarDecl* variable = write.variable->getCanonicalDecl();
    // Undone: assigned back later in the same function (that assignment is the
    // restore, not a finding), or written in a tear-down for the same tests.
    const auto before = [&](const Expr* a, const Expr* b) { return Precedes(model, a, b); };
    const bool undone = llvm::any_of(writes, [&](const Write& other) {
      if (&other == &write || other.variable->getCanonicalDecl() != variable) return false;
      if (other.function == write.function) {
        return (IsPlainAssignment(other.at) && before(write.at, other.at)) ||
               (IsPlainAssignment(write.at) && before(other.at, write.at));
      }
      // A fixture that assigns the variable before each of its tests resets what
      // the previous test of the fixture left.
      const bool reset_by_setup = IsPerTestSetUp(model, other.function) &&
                                  IsPlainAssignment(other.at) &&
                                  !IsPerTestSetUp(model, write.function);
      return ((model.IsTearDown(other.function) || reset_by_setup) &&
              shares_tests(other.function, write.function)) ||
             (model.IsTearDown(write.function) && shares_tests(other.function, write.function));
    });
    // A local object whose destructor writes the variable restores what its
    // constructor wrote, and what the block writes while the object lives.
    const bool restored_by_destructor = llvm::any_of(lifetimes, [&](const Lifetime& lifetime) {
      const bool restores =
          llvm::is_contained(restoring_destructors, std::make_pair(variable, lifetime.record));
      if (!restores) return false;
      if (const auto* constructor = dyn_cast<CXXConstructorDecl>(write.function)) {
        return constructor->getParent()->getCanonicalDecl() == lifetime.record &&
               shares_tests(lifetime.function, write.function);
      }
      return lifetime.function == write.function && IsInside(model, write.at, lifetime.scope) &&
             Precedes(model, lifetime.construct, write.at);
    });
    const bool guarded = llvm::any_of(guards, [&](const auto& guard) {
      return guard.first->getCanonicalDecl() == variable &&
             (guard.second == write.function || shares_tests(guard.second, write.function));
    });
    // Suite set-up of a fixture's own static member is the intended pattern, and so
    // is resetting it in the fixture's constructor or SetUp before each test.
    const auto* method = dyn_cast<CXXMethodDecl>(write.function);
    const bool suite_setup =
        method != nullptr && variable->isStaticDataMember() &&
        ((method->getIdentifier() != nullptr &&
          (method->getName() == "SetUpTestSuite" || method->getName() == "TearDownTestSuite" ||
           method->getName() == "SetUpTestCase" || method->getName() == "TearDownTestCase")) ||
         IsPerTestSetUp(model, method)) &&
        variable->getDeclContext() == method->getParent();
    if (undone || restored_by_destructor || guarded || suite_setup) continue;

    const std::string what = Describe(write);
    const std::string key = "global:" + QualifiedName(variable);
    std::optional<FixItHint> guard;
    const TestCase* body_test = model.TestOfBody(write.function);
    if (body_test != nullptr && !write.through_accessor &&
        IsCopyable(variable->getType().getNonReferenceType())) {
      const auto* body = dyn_cast_or_null<CompoundStmt>(write.function->getBody());
      const CharSourceRange name_range = Lexer::makeFileCharRange(
          CharSourceRange::getTokenRange(write.reference->getSourceRange()), sources,
          context.getLangOpts());
      if (body != nullptr && body->getLBracLoc().isFileID() && name_range.isValid()) {
        const std::string spelled =
            Lexer::getSourceText(name_range, sources, context.getLangOpts()).str();
        std::string guard_name = "restore_";
        for (const char c : variable->getName()) {
          guard_name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        }
        const unsigned column = sources.getSpellingColumnNumber(body_test->macro_location);
        guard = FixItHint::CreateInsertion(body->getLBracLoc().getLocWithOffset(1),
                                           "\n" + std::string(column + 1, ' ') +
                                               "xdist::ScopedRestore " + guard_name + "(" +
                                               spelled + ");");
      }
    }
    for (const TestCase* test : model.OwnersOf(write.function)) {
      PlannedFinding finding;
      finding.location = write.at->getBeginLoc();
      finding.test = test;
      finding.scope = Scope::kInProcess;
      finding.resource_key = key;
      finding.resource = QualifiedName(variable);
      finding.message = "test '" + test->DisplayName() + "' writes " + what +
                        " and does not restore it; later tests in the same process see the change";
      if (guard && test == body_test) finding.fix_it.push_back(*guard);
      finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", key);
      findings.push_back(std::move(finding));
    }
  }
  return findings;
}

}  // namespace xdist::analyzer
