#!/usr/bin/env python3
"""Scaffolds a new xdist-* check: the check class, its registration, a docs page and a
fixture directory with one annotated fixture.

    scripts/new_check.py FixedPort        # creates xdist-fixed-port

Then fill in Analyze(), the fixture's positives and look-alike negatives, and the docs.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

HEADER = """// {name}Check.h — {id} (docs/checks/{id}.md).
#ifndef XDIST_ANALYZER_CHECKS_{guard}CHECK_H
#define XDIST_ANALYZER_CHECKS_{guard}CHECK_H

#include <vector>

#include "XdistCheck.h"

namespace xdist::analyzer {{

/// One line: what the check finds, and what fixes it.
class {name}Check : public XdistCheck {{
 public:
  using XdistCheck::XdistCheck;

 protected:
  std::vector<PlannedFinding> Analyze(const TestModel& model) override;
}};

}}  // namespace xdist::analyzer

#endif  // XDIST_ANALYZER_CHECKS_{guard}CHECK_H
"""

SOURCE = """#include "checks/{name}Check.h"

namespace xdist::analyzer {{

std::vector<PlannedFinding> {name}Check::Analyze(const TestModel& model) {{
  std::vector<PlannedFinding> findings;
  (void)model;
  return findings;
}}

}}  // namespace xdist::analyzer
"""

DOCS = """# {id}

What it finds. Scope: `cross-process` or `in-process`.

## Why it matters

## What it finds

### Not findings

## Fix

## Options

## Limits
"""

FIXTURE = """// {id}: positives and look-alike negatives.
#include <gtest/gtest.h>

TEST(Scaffold, Nothing) {{}}
"""


def main() -> int:
    if len(sys.argv) != 2 or not re.fullmatch(r"[A-Z][A-Za-z0-9]+", sys.argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    name = sys.argv[1]
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    check_id = "xdist-" + kebab
    values = {"name": name, "id": check_id, "guard": name.upper()}
    files = {
        ROOT / "analyzer/checks" / f"{name}Check.h": HEADER,
        ROOT / "analyzer/checks" / f"{name}Check.cpp": SOURCE,
        ROOT / "docs/checks" / f"{check_id}.md": DOCS,
        ROOT / "tests/analyzer/fixtures" / check_id / "basic.cpp": FIXTURE,
    }
    for path in files:
        if path.exists():
            print(f"new_check.py: {path} exists", file=sys.stderr)
            return 1
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values))

    module = ROOT / "analyzer/XdistModule.cpp"
    text = module.read_text()
    text = text.replace('#include "clang-tidy/ClangTidyModule.h"',
                        f'#include "checks/{name}Check.h"\n#include "clang-tidy/ClangTidyModule.h"', 1)
    marker = "  }\n};"
    text = text.replace(marker, f'    factories.registerCheck<{name}Check>("{check_id}");\n' + marker, 1)
    module.write_text(text)

    cmake = ROOT / "analyzer/CMakeLists.txt"
    text = cmake.read_text()
    text = re.sub(r"(  checks/\w+Check\.cpp)\)", rf"\1\n  checks/{name}Check.cpp)", text, count=1)
    cmake.write_text(text)
    print(f"created {check_id}: " + ", ".join(str(p.relative_to(ROOT)) for p in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
