#include "TestModel.h"

#include <algorithm>
#include <deque>

#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringRef.h"

namespace xdist::analyzer {

using namespace clang;

bool InNamespace(const Decl* declaration, llvm::StringRef name) {
  for (const DeclContext* context = declaration->getDeclContext(); context != nullptr;
       context = context->getParent()) {
    if (const auto* space = dyn_cast<NamespaceDecl>(context)) {
      if (space->getName() == name) return true;
    }
  }
  return false;
}

const Expr* IgnoreWrappers(const Expr* expression) {
  const Expr* current = expression;
  while (current != nullptr) {
    const Expr* next = current->IgnoreImplicit()->IgnoreParens();
    if (next == current) break;
    current = next;
  }
  return current;
}

namespace {

bool IsTestingTest(const CXXRecordDecl* record) {
  return record != nullptr && record->getName() == "Test" &&
         record->getQualifiedNameAsString() == "testing::Test";
}

// The record a base specifier names; for dependent bases (TYPED_TEST's
// `Fixture<gtest_TypeParam_>`) the class template's pattern.
const CXXRecordDecl* BaseRecord(const CXXBaseSpecifier& base) {
  const QualType type = base.getType();
  if (const CXXRecordDecl* record = type->getAsCXXRecordDecl()) return record;
  if (const auto* specialization = type->getAs<TemplateSpecializationType>()) {
    if (const TemplateDecl* templ = specialization->getTemplateName().getAsTemplateDecl()) {
      return dyn_cast_or_null<CXXRecordDecl>(templ->getTemplatedDecl());
    }
  }
  return nullptr;
}

// Collects the user classes among `record`'s bases; true when one of the bases is
// testing::Test.
bool CollectFixtures(const CXXRecordDecl* record, const SourceManager& sources,
                     std::vector<const CXXRecordDecl*>& fixtures, int depth = 0) {
  if (record == nullptr || depth > 16) return false;
  const CXXRecordDecl* definition = record->getDefinition();
  if (definition == nullptr) return false;
  bool derives = false;
  for (const CXXBaseSpecifier& base : definition->bases()) {
    const CXXRecordDecl* base_record = BaseRecord(base);
    if (base_record == nullptr) continue;
    if (IsTestingTest(base_record)) {
      derives = true;
      continue;
    }
    if (!sources.isInSystemHeader(base_record->getLocation())) {
      fixtures.push_back(base_record->getCanonicalDecl());
    }
    derives = CollectFixtures(base_record, sources, fixtures, depth + 1) || derives;
  }
  return derives;
}

// Reads `MACRO(a, b, ...)` at `location` and returns the trimmed arguments.
std::vector<std::string> MacroArguments(const SourceManager& sources, SourceLocation location) {
  bool invalid = false;
  const char* data = sources.getCharacterData(location, &invalid);
  if (invalid || data == nullptr) return {};
  const llvm::StringRef buffer = sources.getBufferData(sources.getFileID(location), &invalid);
  if (invalid) return {};
  const char* end = buffer.data() + buffer.size();
  const char* cursor = data;
  while (cursor < end && (std::isalnum(static_cast<unsigned char>(*cursor)) || *cursor == '_')) {
    ++cursor;
  }
  while (cursor < end && std::isspace(static_cast<unsigned char>(*cursor))) ++cursor;
  if (cursor >= end || *cursor != '(') return {};
  ++cursor;
  std::vector<std::string> arguments(1);
  int depth = 0;
  for (; cursor < end; ++cursor) {
    const char c = *cursor;
    if (c == '(' || c == '<' || c == '[') ++depth;
    if ((c == ')' || c == '>' || c == ']') && depth > 0) {
      --depth;
    } else if (c == ')') {
      break;
    }
    if (c == ',' && depth == 0) {
      arguments.emplace_back();
      continue;
    }
    arguments.back() += c;
  }
  for (std::string& argument : arguments) argument = llvm::StringRef(argument).trim().str();
  return arguments;
}

const StringLiteral* LiteralArgument(const CXXConstructExpr* construct, unsigned index) {
  if (construct == nullptr || index >= construct->getNumArgs()) return nullptr;
  return dyn_cast<StringLiteral>(IgnoreWrappers(construct->getArg(index)));
}

}  // namespace

class ModelBuilder : public RecursiveASTVisitor<ModelBuilder> {
 public:
  explicit ModelBuilder(TestModel& model)
      : model_(model), sources_(model.context_.getSourceManager()) {}

  bool TraverseDecl(Decl* declaration) {
    if (declaration == nullptr) return true;
    if (!isa<TranslationUnitDecl>(declaration)) {
      if (declaration->isImplicit()) return true;
      const SourceLocation location = declaration->getLocation();
      if (location.isValid() && sources_.isInSystemHeader(location)) return true;
    }
    auto* function = dyn_cast<FunctionDecl>(declaration);
    if (function != nullptr && function->doesThisDeclarationHaveABody()) {
      const FunctionDecl* saved = current_;
      current_ = function;
      model_.user_functions_.insert(function->getCanonicalDecl());
      NoteTestBody(function);
      const bool result = RecursiveASTVisitor::TraverseDecl(declaration);
      current_ = saved;
      return result;
    }
    return RecursiveASTVisitor::TraverseDecl(declaration);
  }

  bool TraverseConstructorInitializer(CXXCtorInitializer* initializer) {
    if (initializer->isWritten() && initializer->getMember() != nullptr &&
        initializer->getInit() != nullptr) {
      model_.initialisers_[initializer->getInit()] = initializer->getMember();
    }
    return RecursiveASTVisitor::TraverseConstructorInitializer(initializer);
  }

  bool VisitStmt(Stmt* statement) {
    for (const Stmt* child : statement->children()) {
      if (child != nullptr) model_.parents_[child] = statement;
    }
    return true;
  }

  bool VisitStringLiteral(StringLiteral* literal) {
    model_.string_literals_.push_back({literal, current_});
    return true;
  }

  bool VisitIntegerLiteral(IntegerLiteral* literal) {
    model_.integer_literals_.push_back({literal, current_});
    return true;
  }

  bool VisitDeclRefExpr(DeclRefExpr* reference) {
    model_.uses_[reference->getDecl()->getCanonicalDecl()].push_back({reference, current_});
    return true;
  }

  bool VisitMemberExpr(MemberExpr* member) {
    model_.uses_[member->getMemberDecl()->getCanonicalDecl()].push_back({member, current_});
    return true;
  }

  bool VisitCallExpr(CallExpr* call) {
    if (const FunctionDecl* callee = call->getDirectCallee()) NoteCall(call, callee);
    return true;
  }

  bool VisitCXXConstructExpr(CXXConstructExpr* construct) {
    NoteCall(construct, construct->getConstructor());
    return true;
  }

  bool VisitVarDecl(VarDecl* variable) {
    if (const Expr* init = variable->getInit()) model_.initialisers_[init] = variable;
    NoteMarker(variable);
    return true;
  }

  bool VisitEnumConstantDecl(EnumConstantDecl* enumerator) {
    if (const Expr* init = enumerator->getInitExpr()) model_.initialisers_[init] = enumerator;
    return true;
  }

  bool VisitFieldDecl(FieldDecl* field) {
    if (field->hasInClassInitializer() && field->getInClassInitializer() != nullptr) {
      model_.initialisers_[field->getInClassInitializer()] = field;
    }
    return true;
  }

  void Finish() {
    AttachMarkers();
    ComputeOwners();
  }

 private:
  void NoteCall(const Expr* call, const FunctionDecl* callee) {
    const FunctionDecl* canonical = callee->getCanonicalDecl();
    model_.calls_[canonical].push_back({call, current_});
    model_.all_calls_.push_back({call, callee, current_});
    if (current_ != nullptr) edges_[current_->getCanonicalDecl()].push_back(canonical);
  }

  void NoteTestBody(const FunctionDecl* function) {
    const auto* method = dyn_cast<CXXMethodDecl>(function);
    if (method == nullptr || !method->getIdentifier() || method->getName() != "TestBody" ||
        !method->getLocation().isMacroID()) {
      return;
    }
    std::vector<const CXXRecordDecl*> fixtures;
    if (!CollectFixtures(method->getParent(), sources_, fixtures)) return;
    auto test = std::make_unique<TestCase>();
    test->macro_location = sources_.getExpansionLoc(method->getLocation());
    test->test_class = method->getParent();
    test->body = method;
    const std::vector<std::string> arguments = MacroArguments(sources_, test->macro_location);
    if (arguments.size() >= 2 && !arguments[0].empty() && !arguments[1].empty()) {
      test->suite = arguments[0];
      test->name = arguments[1];
    } else {
      test->suite = method->getParent()->getNameAsString();
      test->name = "TestBody";
    }
    fixtures_of_[test.get()] = std::move(fixtures);
    model_.test_of_body_[method->getCanonicalDecl()] = test.get();
    model_.tests_.push_back(std::move(test));
  }

  void NoteMarker(const VarDecl* variable) {
    const CXXRecordDecl* record = variable->getType()->getAsCXXRecordDecl();
    if (record == nullptr || !record->getIdentifier() || record->getName() != "MarkerRecord" ||
        record->getQualifiedNameAsString() != "xdist::detail::MarkerRecord") {
      return;
    }
    const auto* construct = dyn_cast_or_null<CXXConstructExpr>(
        variable->getInit() != nullptr ? IgnoreWrappers(variable->getInit()) : nullptr);
    const StringLiteral* kind = LiteralArgument(construct, 0);
    if (kind == nullptr) return;
    Marker marker;
    marker.kind = kind->getString().str();
    if (const StringLiteral* suite = LiteralArgument(construct, 3)) {
      marker.suite = suite->getString().str();
    }
    if (const StringLiteral* value = LiteralArgument(construct, 4)) {
      marker.value = value->getString().str();
    }
    marker.location = sources_.getExpansionLoc(variable->getLocation());
    markers_.push_back(std::move(marker));
  }

  // A marker belongs to the test with the smallest line greater than its own in the
  // same file (docs/markers.md).
  void AttachMarkers() {
    for (Marker& marker : markers_) {
      if (marker.kind == "no_parallel_suite") {
        model_.suite_markers_.push_back(std::move(marker));
        continue;
      }
      const FileID file = sources_.getFileID(marker.location);
      const unsigned line = sources_.getSpellingLineNumber(marker.location);
      TestCase* best = nullptr;
      unsigned best_line = 0;
      for (const auto& test : model_.tests_) {
        if (sources_.getFileID(test->macro_location) != file) continue;
        const unsigned test_line = sources_.getSpellingLineNumber(test->macro_location);
        if (test_line > line && (best == nullptr || test_line < best_line)) {
          best = test.get();
          best_line = test_line;
        }
      }
      if (best != nullptr) best->markers.push_back(std::move(marker));
    }
  }

  void ComputeOwners() {
    std::vector<std::pair<const FunctionDecl*, const TestCase*>> per_test_roots;
    std::vector<std::pair<const FunctionDecl*, const TestCase*>> suite_roots;
    for (const auto& test : model_.tests_) {
      per_test_roots.emplace_back(test->body->getCanonicalDecl(), test.get());
      for (const CXXRecordDecl* fixture : fixtures_of_[test.get()]) {
        model_.fixtures_.insert(fixture);
        const CXXRecordDecl* definition = fixture->getDefinition();
        if (definition == nullptr) continue;
        for (const CXXMethodDecl* method : definition->methods()) {
          const bool per_test = isa<CXXConstructorDecl>(method) ||
                                isa<CXXDestructorDecl>(method) ||
                                (method->getIdentifier() &&
                                 (method->getName() == "SetUp" || method->getName() == "TearDown"));
          const bool per_suite =
              method->getIdentifier() &&
              llvm::is_contained(std::initializer_list<llvm::StringRef>{
                                     "SetUpTestSuite", "TearDownTestSuite", "SetUpTestCase",
                                     "TearDownTestCase"},
                                 method->getName());
          if (per_test) per_test_roots.emplace_back(method->getCanonicalDecl(), test.get());
          if (per_suite) suite_roots.emplace_back(method->getCanonicalDecl(), test.get());
        }
      }
    }
    Propagate(per_test_roots, /*per_test=*/true);
    Propagate(suite_roots, /*per_test=*/false);
  }

  // Marks every function a root reaches as owned by the root's test. Helpers are
  // functions defined in the main file: code of included headers (the library under
  // test) is not the test's code, even when a test calls into it.
  void Propagate(const std::vector<std::pair<const FunctionDecl*, const TestCase*>>& roots,
                 bool per_test) {
    for (const auto& [root, test] : roots) {
      llvm::SmallPtrSet<const FunctionDecl*, 16> seen;
      std::deque<const FunctionDecl*> queue{root};
      while (!queue.empty()) {
        const FunctionDecl* function = queue.front();
        queue.pop_front();
        if (!seen.insert(function).second) continue;
        if (!model_.user_functions_.contains(function)) continue;
        if (function != root && !InMainFile(function)) continue;
        if (owned_.insert({function, test}).second) model_.owners_[function].push_back(test);
        if (per_test) per_test_function_candidates_.insert(function);
        if (!per_test) suite_functions_.insert(function);
        for (const FunctionDecl* callee : edges_[function]) queue.push_back(callee);
      }
    }
    if (!per_test) {
      for (const FunctionDecl* function : per_test_function_candidates_) {
        if (!suite_functions_.contains(function)) model_.per_test_.insert(function);
      }
    }
  }

  bool InMainFile(const FunctionDecl* function) const {
    const FunctionDecl* definition = function->getDefinition();
    return definition != nullptr &&
           sources_.isInMainFile(sources_.getExpansionLoc(definition->getLocation()));
  }

  TestModel& model_;
  const SourceManager& sources_;
  const FunctionDecl* current_ = nullptr;
  std::vector<Marker> markers_;
  llvm::DenseMap<const TestCase*, std::vector<const CXXRecordDecl*>> fixtures_of_;
  llvm::DenseMap<const FunctionDecl*, std::vector<const FunctionDecl*>> edges_;
  llvm::SmallPtrSet<const FunctionDecl*, 32> per_test_function_candidates_;
  llvm::SmallPtrSet<const FunctionDecl*, 32> suite_functions_;
  llvm::DenseSet<std::pair<const FunctionDecl*, const TestCase*>> owned_;
};

std::unique_ptr<TestModel> TestModel::Build(ASTContext& context) {
  std::unique_ptr<TestModel> model(new TestModel(context));
  ModelBuilder builder(*model);
  builder.TraverseDecl(context.getTranslationUnitDecl());
  builder.Finish();
  return model;
}

std::vector<const TestCase*> TestModel::OwnersOf(const FunctionDecl* function) const {
  if (function == nullptr) return {};
  const auto found = owners_.find(function->getCanonicalDecl());
  if (found == owners_.end()) return {};
  return found->second;
}

bool TestModel::RunsPerTest(const FunctionDecl* function) const {
  return function != nullptr && per_test_.contains(function->getCanonicalDecl());
}

bool TestModel::IsFixture(const CXXRecordDecl* record) const {
  return record != nullptr && fixtures_.contains(record->getCanonicalDecl());
}

const Stmt* TestModel::ParentOf(const Stmt* statement) const {
  const auto found = parents_.find(statement);
  return found == parents_.end() ? nullptr : found->second;
}

const ValueDecl* TestModel::InitialisedBy(const Expr* expression) const {
  const auto found = initialisers_.find(expression);
  return found == initialisers_.end() ? nullptr : found->second;
}

llvm::ArrayRef<Use> TestModel::UsesOf(const ValueDecl* declaration) const {
  const auto found = uses_.find(declaration->getCanonicalDecl());
  if (found == uses_.end()) return {};
  return found->second;
}

llvm::ArrayRef<Use> TestModel::CallsTo(const FunctionDecl* function) const {
  const auto found = calls_.find(function->getCanonicalDecl());
  if (found == calls_.end()) return {};
  return found->second;
}

bool TestModel::IsUserFunction(const FunctionDecl* function) const {
  return function != nullptr && user_functions_.contains(function->getCanonicalDecl());
}

const TestCase* TestModel::TestOfBody(const FunctionDecl* function) const {
  if (function == nullptr) return nullptr;
  const auto found = test_of_body_.find(function->getCanonicalDecl());
  return found == test_of_body_.end() ? nullptr : found->second;
}

bool TestModel::IsTearDown(const FunctionDecl* function) const {
  const auto* method = dyn_cast_or_null<CXXMethodDecl>(function);
  if (method == nullptr || !IsFixture(method->getParent())) return false;
  if (isa<CXXDestructorDecl>(method)) return true;
  return method->getIdentifier() != nullptr &&
         llvm::is_contained(std::initializer_list<llvm::StringRef>{"TearDown", "TearDownTestSuite",
                                                                   "TearDownTestCase"},
                            method->getName());
}

bool TestModel::IsHandled(const TestCase& test, llvm::StringRef resource_key) const {
  for (const Marker& marker : test.markers) {
    if (marker.kind == "no_parallel") return true;
    if ((marker.kind == "resource_lock" || marker.kind == "resource_lock_shared") &&
        marker.value == resource_key) {
      return true;
    }
  }
  return llvm::any_of(suite_markers_,
                      [&](const Marker& marker) { return marker.suite == test.suite; });
}

std::string SourceText(const clang::ASTContext& context, const clang::Expr* expression) {
  const clang::SourceManager& sources = context.getSourceManager();
  const clang::CharSourceRange range = clang::Lexer::makeFileCharRange(
      clang::CharSourceRange::getTokenRange(expression->getSourceRange()), sources,
      context.getLangOpts());
  if (range.isInvalid()) return "";
  return clang::Lexer::getSourceText(range, sources, context.getLangOpts()).str();
}

}  // namespace xdist::analyzer
