#include "checks/FixedPortCheck.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "ValueFlow.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"
#include "llvm/Support/Regex.h"

namespace xdist::analyzer {

using namespace clang;

namespace {

constexpr llvm::StringLiteral kDefaultParameterPattern =
    "(^|_)[pP]ort($|_|[A-Z0-9])|[a-z0-9]Port($|[A-Z0-9_])";

// An optional scheme and a host of this machine, up to the colon before the port.
constexpr llvm::StringLiteral kLocalHostPrefix =
    "^([a-zA-Z][a-zA-Z0-9+.-]*://)?(localhost|127\\.[0-9]+\\.[0-9]+\\.[0-9]+|0\\.0\\.0\\.0|"
    "\\[::1?\\]|\\[::\\]):";

// An address of this machine with an explicit port: "localhost:8080",
// "127.0.0.1:8080", "0.0.0.0:1234", "[::1]:9000", "http://localhost:8080/path".
std::optional<unsigned> AddressPort(llvm::StringRef text) {
  static const llvm::Regex kAddress((kLocalHostPrefix + "([0-9]+)(/.*)?$").str());
  llvm::SmallVector<llvm::StringRef, 5> groups;
  if (!kAddress.match(text, &groups)) return std::nullopt;
  unsigned port = 0;
  if (groups[3].getAsInteger(10, port) || port == 0 || port > 65535) return std::nullopt;
  return port;
}

// An address of this machine that ends where its port goes: "localhost:",
// "http://127.0.0.1:". The port is appended to it.
bool IsAddressPrefix(llvm::StringRef text) {
  static const llvm::Regex kPrefix((kLocalHostPrefix + "$").str());
  return kPrefix.match(text);
}

// The port appended to an address prefix: in `"localhost:" + std::to_string(8080)`, the
// constant argument of the std::to_string call that is the other operand of the `+` the
// literal is an operand of. With its spelling, for the message.
std::optional<std::pair<unsigned, std::string>> AppendedPort(const TestModel& model,
                                                             const StringLiteral* literal) {
  const Stmt* current = literal;
  const Stmt* parent = model.ParentOf(current);
  while (parent != nullptr && (isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
                                   CXXBindTemporaryExpr, CXXFunctionalCastExpr>(parent) ||
                               (isa<CXXConstructExpr>(parent) &&
                                cast<CXXConstructExpr>(parent)->getNumArgs() >= 1))) {
    current = parent;
    parent = model.ParentOf(current);
  }
  const auto* plus = dyn_cast_or_null<CXXOperatorCallExpr>(parent);
  if (plus == nullptr || plus->getOperator() != OO_Plus || plus->getNumArgs() != 2 ||
      plus->getArg(0) != current) {
    return std::nullopt;
  }
  const Expr* other = IgnoreWrappers(plus->getArg(1))->IgnoreParenImpCasts();
  const auto* call = dyn_cast<CallExpr>(other);
  const FunctionDecl* callee = call != nullptr ? call->getDirectCallee() : nullptr;
  if (callee == nullptr || callee->getIdentifier() == nullptr ||
      callee->getName() != "to_string" || !InNamespace(callee, "std") ||
      call->getNumArgs() != 1) {
    return std::nullopt;
  }
  const Expr* argument = call->getArg(0);
  Expr::EvalResult value;
  if (argument->isValueDependent() || !argument->EvaluateAsInt(value, model.Context())) {
    return std::nullopt;
  }
  const llvm::APSInt& port = value.Val.getInt();
  if (port.isNegative() || port.getActiveBits() > 17 || port.getZExtValue() == 0 ||
      port.getZExtValue() > 65535) {
    return std::nullopt;
  }
  std::string spelling = SourceText(model.Context(), call);
  if (spelling.empty()) spelling = std::to_string(port.getZExtValue());
  return std::make_pair(static_cast<unsigned>(port.getZExtValue()), std::move(spelling));
}

// True when `call`'s result is an operand of a GoogleTest assertion.
bool CheckedByAssertion(const TestModel& model, const Expr* call) {
  const Stmt* current = call;
  for (int depth = 0; depth < 8 && current != nullptr; ++depth) {
    const Stmt* parent = model.ParentOf(current);
    if (const auto* outer = dyn_cast_or_null<CallExpr>(parent)) {
      const FunctionDecl* callee = outer->getDirectCallee();
      return callee != nullptr && InNamespace(callee, "testing");
    }
    current = parent;
  }
  return false;
}

// The host a call names in one of its other arguments (a literal, or a local or
// global initialised from one), when that host is another machine: connecting to a
// port of another machine does not collide with tests running here.
bool NamesRemoteHost(const Expr* call) {
  llvm::ArrayRef<const Expr*> arguments;
  if (const auto* construct = dyn_cast<CXXConstructExpr>(call)) {
    arguments = llvm::ArrayRef(construct->getArgs(), construct->getNumArgs());
  } else if (const auto* invocation = dyn_cast<CallExpr>(call)) {
    arguments = llvm::ArrayRef(invocation->getArgs(), invocation->getNumArgs());
  }
  // Through implicit conversions and std::string construction.
  const auto strip = [](const Expr* expression) {
    const Expr* current = IgnoreWrappers(expression)->IgnoreParenImpCasts();
    while (const auto* construct = dyn_cast<CXXConstructExpr>(current)) {
      if (construct->getNumArgs() == 0) break;
      current = IgnoreWrappers(construct->getArg(0))->IgnoreParenImpCasts();
    }
    return current;
  };
  for (const Expr* argument : arguments) {
    const Expr* stripped = strip(argument);
    if (const auto* reference = dyn_cast<DeclRefExpr>(stripped)) {
      const auto* variable = dyn_cast<VarDecl>(reference->getDecl());
      if (variable == nullptr || variable->getInit() == nullptr) continue;
      stripped = strip(variable->getInit());
    }
    const auto* literal = dyn_cast<StringLiteral>(stripped);
    if (literal == nullptr || !literal->isOrdinary()) continue;
    const llvm::StringRef host = literal->getString();
    static const llvm::Regex kLocal(
        "^(localhost|127\\.[0-9.]+|0\\.0\\.0\\.0|::1?|\\[::1?\\])$");
    static const llvm::Regex kHostName("^[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$");
    if (!kLocal.match(host) && kHostName.match(host)) return true;
  }
  return false;
}

bool ReturnsString(const FunctionDecl* callee) {
  if (isa<CXXConstructorDecl>(callee)) return false;
  const QualType type = callee->getReturnType().getNonReferenceType();
  if (type->isPointerType() && type->getPointeeType()->isCharType()) return true;
  const CXXRecordDecl* record = type->getAsCXXRecordDecl();
  return record != nullptr && record->getIdentifier() != nullptr &&
         (record->getName() == "basic_string" || record->getName() == "basic_string_view");
}

// A function that returns a string and says it makes one (make_host_and_port_string,
// FormatUrl, ToAddress) computes with the port rather than using it. A string result
// alone says nothing: EchoRequest(int port, const std::string& message) returns the
// reply of the server it connects to.
bool FormatsAddress(const FunctionDecl* callee) {
  if (!ReturnsString(callee) || callee->getIdentifier() == nullptr) return false;
  static const llvm::Regex kFormatter(
      "(str|string|format|url|uri|addr|address|host|endpoint|spec|name)",
      llvm::Regex::IgnoreCase);
  return kFormatter.match(callee->getName());
}

// A function named for handling text (parse_url, SplitHostPort, IsValidAddress) reads an
// address string rather than connecting to it, whatever its result says.
bool HandlesText(const FunctionDecl* callee) {
  if (callee->getIdentifier() == nullptr) return false;
  static const llvm::Regex kTextHandling(
      "(parse|split|valid|normali[sz]e|decode|encode|escape|tokeni[sz]e|format)",
      llvm::Regex::IgnoreCase);
  return kTextHandling.match(callee->getName());
}

class PortPolicy : public SinkPolicy {
 public:
  PortPolicy(const TestModel& model, const llvm::Regex& parameter_pattern, bool address_strings,
             bool follows_offsets = false)
      : model_(model),
        parameter_pattern_(parameter_pattern),
        address_strings_(address_strings),
        follows_offsets_(follows_offsets) {}

  bool FollowsOffsets() const override { return follows_offsets_; }

  std::optional<std::string> ArgumentSink(const Expr* call, const FunctionDecl* callee,
                                          unsigned index) const override {
    if (InNamespace(callee, "testing") || InNamespace(callee, "std")) return std::nullopt;
    const std::string name = callee->getIdentifier() != nullptr
                                 ? callee->getNameAsString()
                                 : (isa<CXXConstructorDecl>(callee)
                                        ? cast<CXXConstructorDecl>(callee)->getParent()->getNameAsString()
                                        : std::string("a call"));
    if (address_strings_) {
      // An address string passed to code that is not known to be pure string handling.
      if (model_.IsUserFunction(callee) && callee->getDefinition() != nullptr) return std::nullopt;
      if (HandlesText(callee)) return std::nullopt;
      // EXPECT_EQ(ParsePort("localhost:8080"), 8080) checks a computation on the
      // string; ASSERT_TRUE(client.Connect("localhost:8080")) checks a connection.
      if (CheckedByAssertion(model_, call) && !callee->getReturnType()->isBooleanType()) {
        return std::nullopt;
      }
      return name;
    }
    if (name == "htons" && index == 0) return name;
    if (FormatsAddress(callee) || NamesRemoteHost(call)) return std::nullopt;
    if (index < callee->getNumParams()) {
      const ParmVarDecl* parameter = callee->getParamDecl(index);
      if (parameter->getIdentifier() != nullptr && parameter_pattern_.match(parameter->getName())) {
        return name;
      }
    }
    return std::nullopt;
  }

  bool StopsAt(const Expr* call, const FunctionDecl* /*callee*/,
               unsigned /*index*/) const override {
    return !address_strings_ && (NamesRemoteHost(call) || OnUnixSocketObject(call));
  }

  std::optional<std::string> MemberSink(const ValueDecl* member) const override {
    if (address_strings_ || member->getIdentifier() == nullptr) return std::nullopt;
    if (member->getName() == "sin_port" || member->getName() == "sin6_port") {
      return member->getNameAsString();
    }
    // A field named like a port (ServerOptions::port, Config::listen_port) of a class of
    // the project's: it is there to be listened on or connected to.
    const auto* field = dyn_cast<FieldDecl>(member);
    if (field != nullptr && !InNamespace(field->getParent(), "std") &&
        parameter_pattern_.match(field->getName())) {
      return field->getParent()->getNameAsString() + "::" + field->getNameAsString();
    }
    return std::nullopt;
  }

  bool MakesUnique(const Expr* /*other*/) const override { return false; }

  bool IsCarrier(const CXXRecordDecl* record) const override {
    return address_strings_ && record->getIdentifier() != nullptr &&
           (record->getName() == "basic_string" || record->getName() == "basic_string_view") &&
           InNamespace(record, "std");
  }

 private:
  // A port given to an object set up for AF_UNIX (in the same expression, or by a
  // call on the same variable in the function) is ignored: Unix sockets have none.
  bool OnUnixSocketObject(const Expr* call) const {
    const auto* member_call = dyn_cast<CXXMemberCallExpr>(call);
    if (member_call == nullptr) return false;
    const Expr* object = member_call->getImplicitObjectArgument();
    if (object == nullptr) return false;
    if (MentionsUnixFamily(object)) return true;
    // The variable at the root of `svr.a().b()`.
    const Expr* root = object->IgnoreParenImpCasts();
    while (const auto* chained = dyn_cast<CXXMemberCallExpr>(root)) {
      if (chained->getImplicitObjectArgument() == nullptr) break;
      root = chained->getImplicitObjectArgument()->IgnoreParenImpCasts();
    }
    const auto* reference = dyn_cast<DeclRefExpr>(root);
    if (reference == nullptr) return false;
    for (const Use& use : model_.UsesOf(reference->getDecl())) {
      const Stmt* parent = model_.ParentOf(use.expression);
      const auto* member = dyn_cast_or_null<MemberExpr>(parent);
      const auto* other = member ? dyn_cast_or_null<CXXMemberCallExpr>(model_.ParentOf(member))
                                 : nullptr;
      if (other == nullptr) continue;
      for (const Expr* argument : other->arguments()) {
        if (MentionsUnixFamily(argument)) return true;
      }
    }
    return false;
  }

  bool MentionsUnixFamily(const Expr* expression) const {
    const std::string text = SourceText(model_.Context(), expression);
    return text.find("AF_UNIX") != std::string::npos || text.find("AF_LOCAL") != std::string::npos;
  }

  const TestModel& model_;
  const llvm::Regex& parameter_pattern_;
  const bool address_strings_;
  const bool follows_offsets_;
};

// Below this a number is more likely an offset (kBasePort + 1) than a port of its own:
// ports under 1024 need privileges that tests do not have.
constexpr unsigned kLowestOffsetBase = 1024;

// The port a hit uses: the literal's, or the literal plus a constant offset (kBasePort + 1);
// nullopt when the offset is not known before the test runs (kBasePort + i).
std::optional<unsigned> HitPort(const SinkHit& hit, unsigned literal_port) {
  if (!hit.offset) return literal_port;
  if (!hit.offset_amount) return std::nullopt;
  const std::int64_t port = std::int64_t{literal_port} + *hit.offset_amount;
  if (port <= 0 || port > 65535) return std::nullopt;
  return static_cast<unsigned>(port);
}

// One fixed port found in the code.
struct PortSite {
  const Expr* literal = nullptr;
  const FunctionDecl* function = nullptr;
  unsigned port = 0;
  bool address = false;  ///< An address string rather than a number.
  FlowResult flow;
  std::string shown_address;  ///< How the message shows an address string.
};

// The literal is the whole argument of a port sink, or the initialiser of a local
// non-constexpr integer whose every use is a port sink: then a std::string-free
// rewrite to an int keeps the meaning.
bool ReplaceableByInt(const TestModel& model, const PortSite& site) {
  if (site.address || site.flow.data_use || site.flow.static_storage || site.flow.hits.empty()) {
    return false;
  }
  const SourceManager& sources = model.Context().getSourceManager();
  if (site.literal->getBeginLoc().isMacroID() &&
      !sources.isMacroArgExpansion(site.literal->getBeginLoc())) {
    return false;
  }
  const Stmt* parent = model.ParentOf(site.literal);
  while (parent != nullptr && isa<ImplicitCastExpr, ParenExpr, ConstantExpr>(parent)) {
    parent = model.ParentOf(parent);
  }
  if (const ValueDecl* initialised = model.InitialisedBy(site.literal)) {
    const auto* variable = dyn_cast<VarDecl>(initialised);
    return variable != nullptr && variable->isLocalVarDecl() && !variable->isConstexpr() &&
           !variable->isStaticLocal();
  }
  return parent != nullptr && isa<CallExpr, CXXConstructExpr, BinaryOperator>(parent);
}

}  // namespace

FixedPortCheck::FixedPortCheck(llvm::StringRef name, clang::tidy::ClangTidyContext* context)
    : XdistCheck(name, context),
      parameter_pattern_(Options.get("PortParameterPattern", kDefaultParameterPattern).str()),
      allowed_ports_option_(Options.get("AllowedPorts", "").str()) {
  for (const std::string& port : SplitList(allowed_ports_option_)) {
    unsigned value = 0;
    if (!llvm::StringRef(port).getAsInteger(10, value)) allowed_ports_.push_back(value);
  }
}

void FixedPortCheck::storeOptions(clang::tidy::ClangTidyOptions::OptionMap& options) {
  Options.store(options, "PortParameterPattern", parameter_pattern_);
  Options.store(options, "AllowedPorts", allowed_ports_option_);
}

std::vector<PlannedFinding> FixedPortCheck::Analyze(const TestModel& model) {
  const ASTContext& context = model.Context();
  const SourceManager& sources = context.getSourceManager();
  const llvm::Regex pattern(parameter_pattern_);
  const PortPolicy numbers(model, pattern, /*address_strings=*/false);
  const PortPolicy bases(model, pattern, /*address_strings=*/false, /*follows_offsets=*/true);
  const PortPolicy addresses(model, pattern, /*address_strings=*/true);

  std::vector<PortSite> sites;
  for (const Use& use : model.IntegerLiterals()) {
    const auto* literal = cast<IntegerLiteral>(use.expression);
    const llvm::APInt& value = literal->getValue();
    if (value.getActiveBits() > 17 || value.getZExtValue() == 0 || value.getZExtValue() > 65535) {
      continue;
    }
    const unsigned port = static_cast<unsigned>(value.getZExtValue());
    if (llvm::is_contained(allowed_ports_, port) ||
        sources.isInSystemHeader(sources.getSpellingLoc(literal->getBeginLoc()))) {
      continue;
    }
    FlowResult flow =
        TraceValue(model, port >= kLowestOffsetBase ? bases : numbers, literal, use.function);
    if (!flow.hits.empty()) sites.push_back({literal, use.function, port, false, std::move(flow), ""});
  }
  for (const Use& use : model.StringLiterals()) {
    const auto* literal = cast<StringLiteral>(use.expression);
    if (!literal->isOrdinary()) continue;
    std::optional<unsigned> port = AddressPort(literal->getString());
    std::string shown = "'" + literal->getString().str() + "'";
    if (!port && IsAddressPrefix(literal->getString())) {
      if (const auto appended = AppendedPort(model, literal)) {
        port = appended->first;
        shown = "'" + literal->getString().str() + "' + " + appended->second;
      }
    }
    if (!port || llvm::is_contained(allowed_ports_, *port)) continue;
    if (sources.isInSystemHeader(sources.getSpellingLoc(literal->getBeginLoc()))) continue;
    FlowResult flow = TraceValue(model, addresses, literal, use.function);
    if (!flow.hits.empty()) {
      sites.push_back({literal, use.function, *port, true, std::move(flow), std::move(shown)});
    }
  }

  // Per test body and port: the sites there, and whether all can become UnusedTcpPort().
  std::map<std::pair<const FunctionDecl*, unsigned>, std::vector<const PortSite*>> by_body;
  for (const PortSite& site : sites) {
    if (model.TestOfBody(site.function) != nullptr) by_body[{site.function, site.port}].push_back(&site);
  }
  // The rewritable groups: their replacements, and per body the ports that need a
  // shared variable.
  std::map<std::pair<const FunctionDecl*, unsigned>, std::vector<FixItHint>> replacements;
  std::map<const FunctionDecl*, std::string> declarations;
  // Where else each number is written: as data in the same body (an assertion that
  // expects the port), or in a fixture's SetUp or a helper the test runs (the server
  // side of the pair). Rewriting the test body alone would break either.
  std::map<std::pair<const FunctionDecl*, unsigned>, unsigned> literal_counts;
  for (const Use& use : model.IntegerLiterals()) {
    const llvm::APInt& value = cast<IntegerLiteral>(use.expression)->getValue();
    if (value.getActiveBits() <= 17) {
      ++literal_counts[{use.function, static_cast<unsigned>(value.getZExtValue())}];
    }
  }
  const auto used_elsewhere = [&](const FunctionDecl* body, unsigned port, std::size_t in_body) {
    const auto count = literal_counts.find({body, port});
    if (count != literal_counts.end() && count->second > in_body) return true;
    const TestCase* test = model.TestOfBody(body);
    const auto runs_in_test = [&](const FunctionDecl* function) {
      return function != body && llvm::is_contained(model.OwnersOf(function), test);
    };
    for (const auto& [where, number] : literal_counts) {
      if (where.second == port && runs_in_test(where.first)) return true;
    }
    return llvm::any_of(sites, [&](const PortSite& site) {
      return site.port == port && runs_in_test(site.function);
    });
  };
  for (const auto& [key, group] : by_body) {
    const bool all_replaceable = llvm::all_of(
        group, [&](const PortSite* site) { return ReplaceableByInt(model, *site); });
    if (!all_replaceable || used_elsewhere(key.first, key.second, group.size())) continue;
    std::string replacement = "xdist::UnusedTcpPort()";
    if (group.size() > 1) {
      const auto* body = dyn_cast_or_null<CompoundStmt>(key.first->getBody());
      if (body == nullptr || !body->getLBracLoc().isFileID()) continue;
      replacement = "port_" + std::to_string(key.second);
    }
    std::vector<FixItHint> hints;
    bool valid = true;
    for (const PortSite* site : group) {
      const CharSourceRange range = Lexer::makeFileCharRange(
          CharSourceRange::getTokenRange(site->literal->getSourceRange()), sources,
          context.getLangOpts());
      if (range.isInvalid()) valid = false;
      hints.push_back(FixItHint::CreateReplacement(range, replacement));
    }
    if (!valid) continue;
    replacements[key] = std::move(hints);
    if (group.size() > 1) {
      // Client and server must still agree: one port, one variable.
      const unsigned column =
          sources.getSpellingColumnNumber(model.TestOfBody(key.first)->macro_location);
      declarations[key.first] += "\n" + std::string(column + 1, ' ') + "const int " +
                                 replacement + " = xdist::UnusedTcpPort();";
    }
  }
  // All variables of one body go in one insertion that every finding of the body
  // carries: clang-tidy drops the fixes of diagnostics whose insertions share an
  // offset but differ, which left one port per --fix run.
  std::map<const PortSite*, std::vector<FixItHint>> rewrites;
  for (const auto& [key, hints] : replacements) {
    std::vector<FixItHint> fix = hints;
    const auto declaration = declarations.find(key.first);
    if (declaration != declarations.end()) {
      const auto* body = cast<CompoundStmt>(key.first->getBody());
      fix.insert(fix.begin(), FixItHint::CreateInsertion(body->getLBracLoc().getLocWithOffset(1),
                                                         declaration->second));
    }
    for (const PortSite* site : by_body.at(key)) rewrites[site] = fix;
  }

  std::vector<PlannedFinding> findings;
  // Where a test hands a known port to a sink, a base port with an unknown offset reaching
  // the same call adds nothing (`shard ? 11234 + 100 * shard : 1234`: 1234 is reported).
  std::set<std::pair<const TestCase*, const Expr*>> known_port_at;
  for (const PortSite& site : sites) {
    for (const SinkHit& hit : site.flow.hits) {
      if (!HitPort(hit, site.port)) continue;
      for (const Use& step : hit.path) {
        const std::vector<const TestCase*> owners = model.OwnersOf(step.function);
        if (owners.empty()) continue;
        for (const TestCase* test : owners) known_port_at.insert({test, hit.at});
        break;
      }
    }
  }
  for (const PortSite& site : sites) {
    // Once per test and port: one literal may reach a test as several ports (port, port + 1).
    std::set<std::pair<const TestCase*, unsigned>> reported;
    for (const SinkHit& hit : site.flow.hits) {
      const std::optional<unsigned> known_port = HitPort(hit, site.port);
      const unsigned port = known_port.value_or(site.port);
      // Attribute the hit to the tests owning the first step that runs in test code.
      for (const Use& step : hit.path) {
        const std::vector<const TestCase*> owners = model.OwnersOf(step.function);
        if (owners.empty()) continue;
        for (const TestCase* test : owners) {
          if (!known_port && known_port_at.count({test, hit.at})) continue;
          if (!reported.insert({test, port}).second) continue;
          PlannedFinding finding;
          finding.location = step.expression->getBeginLoc();
          finding.test = test;
          finding.scope = Scope::kCrossProcess;
          finding.resource_key = "port:" + std::to_string(port);
          finding.resource = finding.resource_key;
          const std::string what =
              site.address ? "fixed port " + std::to_string(port) + " in address " +
                                 site.shown_address
                           : "fixed port " + std::to_string(port) +
                                 (known_port ? "" : " plus an offset");
          finding.message = "test '" + test->DisplayName() + "' uses " + what + " (passed to " +
                            hit.sink + "); tests running in parallel collide on it";
          finding.marker = MarkerStatement("XDIST_RESOURCE_LOCK", finding.resource_key);
          const auto rewrite = rewrites.find(&site);
          if (rewrite != rewrites.end() && model.TestOfBody(site.function) == test) {
            finding.fix_it = rewrite->second;
          }
          findings.push_back(std::move(finding));
        }
        break;
      }
    }
  }
  return findings;
}

}  // namespace xdist::analyzer
