#!/usr/bin/env bash
# README command 2 and .ci/run: installs what is missing, builds xdist, lints the
# project's own tests with its own checks, then runs every test binary through
# xdist-run -n auto. Exit status: 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build

scripts/setup.sh "$build"

echo "== xdist-lint on the project's own tests"
"$build/analyzer/xdist-lint" -p "$build" -j 2

echo "== the test suite, through xdist-run -n auto"
exec "$build/runner/xdist-run" -n auto --timeout 900 \
  --junitxml "$build/test-results.xml" "$build"/tests/bin/*
