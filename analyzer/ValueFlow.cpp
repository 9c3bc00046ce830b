#include "ValueFlow.h"

#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

// Member functions that hand out the value they are called on, unchanged.
bool IsValueAccessor(llvm::StringRef name) {
  return llvm::is_contained(std::initializer_list<llvm::StringRef>{"c_str", "data", "string",
                                                                    "native", "generic_string",
                                                                    "u8string", "str"},
                            name);
}

std::optional<unsigned> ArgumentIndex(const Expr* const* arguments, unsigned count,
                                      const Expr* argument) {
  for (unsigned index = 0; index < count; ++index) {
    if (arguments[index] == argument) return index;
  }
  return std::nullopt;
}

// The field that `value`, an element of the aggregate initialiser `list`, initialises.
const FieldDecl* InitialisedField(const InitListExpr* list, const Expr* value) {
  const RecordDecl* record = list->getType()->getAsRecordDecl();
  if (record == nullptr || record->isUnion()) return nullptr;
  const auto elements = list->inits();
  const auto at = llvm::find(elements, value);
  if (at == elements.end()) return nullptr;
  auto index = static_cast<unsigned>(at - elements.begin());
  // In C++17 aggregates, the bases come first.
  if (const auto* cxx = dyn_cast<CXXRecordDecl>(record); cxx != nullptr && cxx->hasDefinition()) {
    if (index < cxx->getNumBases()) return nullptr;
    index -= cxx->getNumBases();
  }
  for (const FieldDecl* field : record->fields()) {
    if (field->isUnnamedBitField()) continue;
    if (index-- == 0) return field;
  }
  return nullptr;
}

class Tracer {
 public:
  Tracer(const TestModel& model, const SinkPolicy& policy) : model_(model), policy_(policy) {}

  void Follow(const Expr* value, const FunctionDecl* function, std::vector<Use> path,
              bool concatenated, int depth) {
    if (depth > kMaxDepth) {
      result.data_use = true;
      return;
    }
    const Expr* current = value;
    while (true) {
      if (const ValueDecl* declaration = model_.InitialisedBy(current)) {
        FollowDeclaration(declaration, path, concatenated, depth);
        return;
      }
      const Stmt* parent = model_.ParentOf(current);
      if (parent == nullptr) {
        result.data_use = true;
        return;
      }
      if (isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr, CXXBindTemporaryExpr,
              FullExpr, CXXFunctionalCastExpr, CXXStaticCastExpr>(parent)) {
        current = cast<Expr>(parent);
        continue;
      }
      if (const auto* conditional = dyn_cast<ConditionalOperator>(parent)) {
        if (conditional->getCond() == current) {
          result.data_use = true;
          return;
        }
        current = conditional;
        continue;
      }
      if (const auto* construct = dyn_cast<CXXConstructExpr>(parent)) {
        const auto index = ArgumentIndex(construct->getArgs(), construct->getNumArgs(), current);
        const CXXConstructorDecl* constructor = construct->getConstructor();
        if (!index) {
          result.data_use = true;
          return;
        }
        if (policy_.StopsAt(construct, constructor, *index)) {
          result.data_use = true;
          return;
        }
        if (auto sink = policy_.ArgumentSink(construct, constructor, *index)) {
          AddHit(*sink, construct, path, concatenated);
          return;
        }
        if (policy_.IsCarrier(constructor->getParent())) {
          current = construct;
          continue;
        }
        FollowParameter(constructor, *index, path, concatenated, depth);
        return;
      }
      if (const auto* op = dyn_cast<CXXOperatorCallExpr>(parent)) {
        FollowOperator(op, current, function, path, concatenated, depth);
        return;
      }
      if (const auto* member = dyn_cast<MemberExpr>(parent)) {
        const auto* call = dyn_cast_or_null<CXXMemberCallExpr>(model_.ParentOf(member));
        const NamedDecl* method = member->getMemberDecl();
        if (call != nullptr && method->getIdentifier() && IsValueAccessor(method->getName())) {
          current = call;
          continue;
        }
        result.data_use = true;
        return;
      }
      if (const auto* call = dyn_cast<CallExpr>(parent)) {
        const auto index = ArgumentIndex(call->getArgs(), call->getNumArgs(), current);
        const FunctionDecl* callee = call->getDirectCallee();
        if (!index || callee == nullptr) {
          result.data_use = true;
          return;
        }
        if (policy_.StopsAt(call, callee, *index)) {
          result.data_use = true;
          return;
        }
        if (auto sink = policy_.ArgumentSink(call, callee, *index)) {
          AddHit(*sink, call, path, concatenated);
          return;
        }
        FollowParameter(callee, *index, path, concatenated, depth);
        return;
      }
      if (const auto* binary = dyn_cast<BinaryOperator>(parent)) {
        if (binary->isAssignmentOp()) {
          FollowAssignment(binary->getLHS(), binary->getRHS() == current, binary, path,
                           concatenated, depth);
          return;
        }
        // kBasePort + 1 reaches the sink as a port too, but the sum is not the literal: a
        // rewrite of the literal alone would not keep the two apart, so it counts as data.
        if (binary->isAdditiveOp() && policy_.FollowsOffsets() &&
            binary->getType()->isIntegerType()) {
          result.data_use = true;
          AddOffset(binary, current);
          current = binary;
          continue;
        }
        result.data_use = true;
        return;
      }
      if (const auto* designated = dyn_cast<DesignatedInitExpr>(parent)) {
        // `Options{.port = 8080}` in the syntactic form of an initialiser list.
        const DesignatedInitExpr::Designator* last =
            designated->size() > 0 ? designated->getDesignator(designated->size() - 1) : nullptr;
        const FieldDecl* field = last != nullptr && last->isFieldDesignator()
                                     ? last->getFieldDecl()
                                     : nullptr;
        if (field != nullptr) {
          if (auto sink = policy_.MemberSink(field)) {
            AddHit(*sink, designated, path, concatenated);
            return;
          }
        }
        result.data_use = true;
        return;
      }
      if (const auto* list = dyn_cast<InitListExpr>(parent)) {
        // `Options{"127.0.0.1", 8080}`: the value initialises the field at its position.
        if (const FieldDecl* field = InitialisedField(list, current)) {
          if (auto sink = policy_.MemberSink(field)) {
            AddHit(*sink, list, path, concatenated);
            return;
          }
        }
        result.data_use = true;
        return;
      }
      if (isa<ReturnStmt>(parent)) {
        FollowReturn(function, path, concatenated, depth);
        return;
      }
      result.data_use = true;
      return;
    }
  }

  FlowResult result;

 private:
  static constexpr int kMaxDepth = 8;

  void AddHit(const std::string& sink, const Expr* at, const std::vector<Use>& path,
              bool concatenated) {
    result.hits.push_back({sink, at, path, concatenated, offset_.has_value(),
                           offset_ ? *offset_ : std::nullopt});
  }

  // The value, `operand` of `binary`, is offset by the other operand: by a known amount
  // when that is a constant (value + 1, 1 + value, value - 1), otherwise by an unknown one.
  void AddOffset(const BinaryOperator* binary, const Expr* operand) {
    std::optional<std::int64_t> amount;
    const bool value_left = binary->getLHS() == operand;
    const Expr* other = value_left ? binary->getRHS() : binary->getLHS();
    Expr::EvalResult constant;
    if (!other->isValueDependent() && other->EvaluateAsInt(constant, model_.Context()) &&
        (value_left || binary->getOpcode() == BO_Add)) {
      const std::int64_t value = constant.Val.getInt().getExtValue();
      amount = binary->getOpcode() == BO_Add ? value : -value;
    }
    const std::optional<std::int64_t> before = offset_.value_or(std::int64_t{0});
    offset_ = before && amount ? std::optional<std::int64_t>(*before + *amount) : std::nullopt;
  }

  void FollowOperator(const CXXOperatorCallExpr* op, const Expr* current,
                      const FunctionDecl* function, const std::vector<Use>& path,
                      bool concatenated, int depth) {
    const auto index = ArgumentIndex(op->getArgs(), op->getNumArgs(), current);
    if (!index) {
      result.data_use = true;
      return;
    }
    switch (op->getOperator()) {
      case OO_Plus:
      case OO_Slash: {
        for (unsigned other = 0; other < op->getNumArgs(); ++other) {
          if (other != *index && policy_.MakesUnique(op->getArg(other))) {
            result.made_unique = true;
            return;
          }
        }
        Follow(op, function, path, /*concatenated=*/true, depth);
        return;
      }
      case OO_Equal:
        FollowAssignment(op->getArg(0), *index == 1, op, path, concatenated, depth);
        return;
      case OO_PlusEqual:
      case OO_SlashEqual:
        // Appending to the variable that holds the value changes it in place; the
        // variable's other uses are followed from its initialiser already.
        if (*index == 1) result.data_use = true;
        return;
      default:
        result.data_use = true;
        return;
    }
  }

  void FollowAssignment(const Expr* target, bool value_is_source, const Expr* assignment,
                        const std::vector<Use>& path, bool concatenated, int depth) {
    if (!value_is_source) return;  // The value is overwritten, not read.
    const Expr* stripped = IgnoreWrappers(target);
    if (const auto* member = dyn_cast<MemberExpr>(stripped)) {
      if (auto sink = policy_.MemberSink(member->getMemberDecl())) {
        AddHit(*sink, assignment, path, concatenated);
        return;
      }
      FollowDeclaration(member->getMemberDecl(), path, concatenated, depth);
      return;
    }
    if (const auto* reference = dyn_cast<DeclRefExpr>(stripped)) {
      FollowDeclaration(reference->getDecl(), path, concatenated, depth);
      return;
    }
    result.data_use = true;
  }

  void FollowDeclaration(const ValueDecl* declaration, const std::vector<Use>& path,
                         bool concatenated, int depth) {
    if (const auto* variable = dyn_cast<VarDecl>(declaration)) {
      if (variable->hasGlobalStorage()) result.static_storage = true;
    }
    if (!visited_.insert(declaration->getCanonicalDecl()).second) return;
    const auto offset = offset_;
    for (const Use& use : model_.UsesOf(declaration)) {
      std::vector<Use> extended = path;
      extended.push_back(use);
      offset_ = offset;  // each use is a path of its own
      Follow(use.expression, use.function, std::move(extended), concatenated, depth + 1);
    }
    offset_ = offset;
  }

  void FollowParameter(const FunctionDecl* callee, unsigned index, const std::vector<Use>& path,
                       bool concatenated, int depth) {
    const FunctionDecl* definition = callee->getDefinition();
    if (definition == nullptr || !model_.IsUserFunction(definition) ||
        index >= definition->getNumParams()) {
      result.data_use = true;
      return;
    }
    FollowDeclaration(definition->getParamDecl(index), path, concatenated, depth);
  }

  void FollowReturn(const FunctionDecl* function, const std::vector<Use>& path,
                    bool concatenated, int depth) {
    if (function == nullptr || !visited_.insert(function->getCanonicalDecl()).second) return;
    const auto offset = offset_;
    for (const Use& call : model_.CallsTo(function)) {
      std::vector<Use> extended = path;
      extended.push_back(call);
      offset_ = offset;
      Follow(call.expression, call.function, std::move(extended), concatenated, depth + 1);
    }
    offset_ = offset;
  }

  const TestModel& model_;
  const SinkPolicy& policy_;
  llvm::SmallPtrSet<const Decl*, 16> visited_;
  /// Set once the current path went through an offset: its amount, when known.
  std::optional<std::optional<std::int64_t>> offset_;
};

bool ContainsCallImpl(const Stmt* statement,
                      const std::function<bool(const FunctionDecl*)>& is_unique_call, int depth) {
  if (statement == nullptr) return false;
  if (const auto* call = dyn_cast<CallExpr>(statement)) {
    if (const FunctionDecl* callee = call->getDirectCallee(); callee && is_unique_call(callee)) {
      return true;
    }
  }
  if (const auto* reference = dyn_cast<DeclRefExpr>(statement); reference && depth == 0) {
    if (const auto* variable = dyn_cast<VarDecl>(reference->getDecl())) {
      if (ContainsCallImpl(variable->getInit(), is_unique_call, depth + 1)) return true;
    }
  }
  for (const Stmt* child : statement->children()) {
    if (ContainsCallImpl(child, is_unique_call, depth)) return true;
  }
  return false;
}

}  // namespace

FlowResult TraceValue(const TestModel& model, const SinkPolicy& policy, const Expr* start,
                      const FunctionDecl* function) {
  Tracer tracer(model, policy);
  tracer.Follow(start, function, {Use{start, function}}, /*concatenated=*/false, 0);
  return std::move(tracer.result);
}

bool ContainsCall(const Expr* expression,
                  const std::function<bool(const FunctionDecl*)>& is_unique_call) {
  return ContainsCallImpl(expression, is_unique_call, 0);
}

}  // namespace xdist::analyzer
