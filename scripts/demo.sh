#!/usr/bin/env bash
# README command 1: the whole xdist story on the bundled example suite.
# Sets up what is missing, builds xdist, then on a scratch copy of examples/ (the tree
# here is never modified): builds the suite, shows it failing in parallel, lists what
# xdist-lint finds, applies xdist-lint --fix, rebuilds, and runs it with xdist-run
# -n auto five times, once with -n 1, and against a serial run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

scripts/setup.sh "$build"

stage=$build/stage
cmake --install "$build" --prefix "$stage" >/dev/null

scratch=$(mktemp -d "${TMPDIR:-/tmp}/xdist-demo.XXXXXX")
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT
cp -r examples "$scratch/examples"
suite=$scratch/examples
out=$scratch/build

step "Build the example suite (a scratch copy in $scratch)"
cmake -S "$suite" -B "$out" -G Ninja -DCMAKE_PREFIX_PATH="$stage" >/dev/null
cmake --build "$out" >/dev/null
binaries=("$out"/*_test)
echo "${#binaries[@]} test binaries, $(cd "$out" && ctest -N | tail -1)"

step "Serial: every binary, one after another"
start=$(now)
for binary in "${binaries[@]}"; do
  if ! (cd "$out" && "$binary" >"$scratch/serial.log" 2>&1); then
    grep -E -A8 "Failure|FAILED" "$scratch/serial.log" | head -40
    echo "demo: $(basename "$binary") fails even serially; is another copy of the suite running?" >&2
    exit 1
  fi
done
serial=$(elapsed "$start" "$(now)")
echo "all passed serially in ${serial} s"

step "Naive parallel: ctest -j4 (one process per test, as most C++ teams run today)"
if (cd "$out" && ctest -j4 --timeout 60 2>&1 | grep -E "tests passed|\*\*\*Failed"); then :; fi
step "Naive order change: config and environment tests with --gtest_shuffle (seed 1)"
for name in config_test environment_test; do
  (cd "$out" && "./$name" --gtest_shuffle --gtest_random_seed=1 2>&1 |
     grep -E "^\[  FAILED  \] [A-Za-z]+\.[A-Za-z]+ \(" || true)
done

step "xdist-lint: what makes these tests unsafe in parallel"
"$stage/bin/xdist-lint" -p "$out" || true

step "xdist-lint --fix"
"$stage/bin/xdist-lint" -p "$out" --fix || true
(cd "$suite" && diff -ru "$root/examples" . | grep -E '^[-+][^-+]' || true)
cmake --build "$out" >/dev/null
"$stage/bin/xdist-lint" -p "$out"

step "xdist-run -n auto, five times in a row"
times=()
for round in 1 2 3 4 5; do
  start=$(now)
  (cd "$out" && "$stage/bin/xdist-run" -n auto -q --cache-dir "$out/.xdist-cache" "${binaries[@]}")
  took=$(elapsed "$start" "$(now)")
  echo "round $round: green in ${took} s"
  times+=("$took")
done

step "Two concurrent xdist-run -n 2 invocations on the same machine"
(cd "$out" && "$stage/bin/xdist-run" -n 2 -q --cache-dir "$scratch/cache-a" "${binaries[@]}" \
   >"$scratch/concurrent-a.log" 2>&1) &
first=$!
(cd "$out" && "$stage/bin/xdist-run" -n 2 -q --cache-dir "$scratch/cache-b" "${binaries[@]}" \
   >"$scratch/concurrent-b.log" 2>&1) &
second=$!
status=0
wait "$first" || status=1
wait "$second" || status=1
tail -n 1 "$scratch/concurrent-a.log" "$scratch/concurrent-b.log"
if ((status)); then
  cat "$scratch/concurrent-a.log" "$scratch/concurrent-b.log"
  exit 1
fi

step "xdist-run -n 1"
(cd "$out" && "$stage/bin/xdist-run" -n 1 -q --cache-dir "$out/.xdist-cache" "${binaries[@]}")

step "Result"
python3 - "$serial" "${times[@]}" <<'PY'
import statistics, sys
serial = float(sys.argv[1])
parallel = statistics.median(float(t) for t in sys.argv[2:])
print(f"serial {serial:.2f} s, xdist-run -n auto {parallel:.2f} s (median of 5): "
      f"{serial / parallel:.2f}x faster, {100 * (1 - parallel / serial):.0f}% less time")
PY
