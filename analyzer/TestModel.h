// TestModel.h — test awareness: which code of a translation unit belongs to which
// GoogleTest test, plus the indexes the checks' value tracking needs.
//
// Glossary
//   test        one TEST/TEST_F/TEST_P/TYPED_TEST/TYPED_TEST_P. The macros expand to a
//               class `Suite_Name_Test` deriving from the fixture (or testing::Test),
//               whose `TestBody()` definition follows the macro.
//   fixture     a user class a test class derives from; its SetUp/TearDown,
//               constructors and destructor run once per test, its SetUpTestSuite /
//               TearDownTestSuite once per suite.
//   helper      a function defined in the main file and reached by calls from a test
//               body or fixture method. Code of included headers (the library under
//               test) is not test code, though values are still followed into it.
//   owners      the tests whose run executes a function.
//   marker      an XDIST_* marker; it expands to a static xdist::detail::MarkerRecord
//               and belongs to the next test below it in the same file.
#ifndef XDIST_ANALYZER_TESTMODEL_H
#define XDIST_ANALYZER_TESTMODEL_H

#include <memory>
#include <string>
#include <vector>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace xdist::analyzer {

/// An XDIST_* marker as written in the source.
struct Marker {
  std::string kind;   ///< "no_parallel", "resource_lock", ... (docs/markers.md)
  std::string suite;  ///< For no_parallel_suite.
  std::string value;  ///< Reason, group or lock key.
  clang::SourceLocation location;
};

/// One GoogleTest test defined in the translation unit.
struct TestCase {
  std::string suite;
  std::string name;
  clang::SourceLocation macro_location;  ///< File location of the TEST macro name.
  const clang::CXXRecordDecl* test_class = nullptr;
  const clang::CXXMethodDecl* body = nullptr;
  std::vector<Marker> markers;  ///< Markers directly above the test.

  std::string DisplayName() const { return suite + "." + name; }
};

/// A use of a variable, field or function: the expression and the function it is in
/// (nullptr for initialisers outside any function).
struct Use {
  const clang::Expr* expression = nullptr;
  const clang::FunctionDecl* function = nullptr;
};

/// A call in user code: a CallExpr or CXXConstructExpr, what it calls, and where.
struct Call {
  const clang::Expr* expression = nullptr;
  const clang::FunctionDecl* callee = nullptr;
  const clang::FunctionDecl* function = nullptr;
};

class TestModel {
 public:
  /// Builds the model by one traversal of the user code (everything outside system
  /// headers; template patterns, not instantiations).
  static std::unique_ptr<TestModel> Build(clang::ASTContext& context);

  clang::ASTContext& Context() const { return context_; }
  const std::vector<std::unique_ptr<TestCase>>& Tests() const { return tests_; }

  /// The tests whose run executes `function` (directly or through helpers).
  std::vector<const TestCase*> OwnersOf(const clang::FunctionDecl* function) const;
  /// True when `function` runs while a test is current (test bodies, SetUp/TearDown,
  /// fixture constructors and destructors, helpers reached only from those), so a
  /// per-test helper such as xdist::TempPath names that test.
  bool RunsPerTest(const clang::FunctionDecl* function) const;
  /// True when `record` is a fixture of some test (objects are created per test).
  bool IsFixture(const clang::CXXRecordDecl* record) const;

  /// The syntactic parent of a statement in user code, or nullptr at a root.
  const clang::Stmt* ParentOf(const clang::Stmt* statement) const;
  /// The variable, field or enumerator whose initialiser is exactly `expression`.
  const clang::ValueDecl* InitialisedBy(const clang::Expr* expression) const;

  llvm::ArrayRef<Use> UsesOf(const clang::ValueDecl* declaration) const;
  /// Every referenced declaration (canonical) with its uses.
  const llvm::DenseMap<const clang::Decl*, std::vector<Use>>& AllUses() const { return uses_; }
  llvm::ArrayRef<Use> CallsTo(const clang::FunctionDecl* function) const;
  /// True when `function`'s definition is user code seen by this model.
  bool IsUserFunction(const clang::FunctionDecl* function) const;

  /// Every call in user code, in traversal (source) order.
  const std::vector<Call>& Calls() const { return all_calls_; }
  /// The test whose TestBody() is `function`, or nullptr.
  const TestCase* TestOfBody(const clang::FunctionDecl* function) const;
  /// True for code that runs after a test to clean up: TearDown, TearDownTestSuite,
  /// TearDownTestCase and destructors of fixtures.
  bool IsTearDown(const clang::FunctionDecl* function) const;

  /// Every string literal spelled in user code, with the function it is in.
  const std::vector<Use>& StringLiterals() const { return string_literals_; }
  /// Every integer literal spelled in user code, with the function it is in.
  const std::vector<Use>& IntegerLiterals() const { return integer_literals_; }

  /// True when `test` carries a marker that covers `resource_key` (an exclusive or
  /// shared lock on it, XDIST_NO_PARALLEL, or XDIST_NO_PARALLEL_SUITE of its suite).
  bool IsHandled(const TestCase& test, llvm::StringRef resource_key) const;

 private:
  explicit TestModel(clang::ASTContext& context) : context_(context) {}
  friend class ModelBuilder;

  clang::ASTContext& context_;
  std::vector<std::unique_ptr<TestCase>> tests_;
  std::vector<Marker> suite_markers_;
  llvm::DenseMap<const clang::Stmt*, const clang::Stmt*> parents_;
  llvm::DenseMap<const clang::Expr*, const clang::ValueDecl*> initialisers_;
  llvm::DenseMap<const clang::Decl*, std::vector<Use>> uses_;
  llvm::DenseMap<const clang::Decl*, std::vector<Use>> calls_;
  llvm::DenseMap<const clang::FunctionDecl*, std::vector<const TestCase*>> owners_;
  llvm::DenseMap<const clang::FunctionDecl*, const TestCase*> test_of_body_;
  llvm::SmallPtrSet<const clang::FunctionDecl*, 32> per_test_;
  llvm::SmallPtrSet<const clang::FunctionDecl*, 32> user_functions_;
  llvm::SmallPtrSet<const clang::CXXRecordDecl*, 16> fixtures_;
  std::vector<Call> all_calls_;
  std::vector<Use> string_literals_;
  std::vector<Use> integer_literals_;
};

/// The expression with implicit casts, parentheses and temporaries' wrappers removed.
const clang::Expr* IgnoreWrappers(const clang::Expr* expression);

/// Whether `declaration` lies inside a namespace called `name`, at any depth.
bool InNamespace(const clang::Decl* declaration, llvm::StringRef name);

/// The expression as spelled in its source file (also as a macro argument), or "" when it
/// has no file text of its own.
std::string SourceText(const clang::ASTContext& context, const clang::Expr* expression);

}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_TESTMODEL_H
