#!/usr/bin/env python3
"""Benchmark: serial GoogleTest vs `ctest -j W` vs `xdist-run -n W` on the reference suites.

    python3 bench/run_bench.py [--workers 2] [--rounds 5] [--profiles tiny,heavy-tail,io]
                               [--io-workers 4] [--xdist-run build/runner/xdist-run]
                               [--work /tmp/xdist-bench]

Generates the suites with ../shared/bench/gen_suite.py (relative to the repository; never
copied), builds them, then runs every runner once per round, interleaved (round 1: A B C,
round 2: A B C, ...), so that a slow moment of a shared machine hits all runners alike.
Prints per suite the median wall time of each runner, its ratio to serial and to the lower
bound LB(W) from the suite's expected.json, and for xdist-run its own CPU use (utime+stime
of the runner process itself, sampled from /proc) as a share of one core. On `tiny` it also
runs a 200-test suite and prints the marginal cost per test: (median(1600) - median(200)) /
1400 tests.

Runners:
  serial          the suite's `combined` binary: one GoogleTest process, all tests
  ctest -jW       ctest --test-dir BUILD -j W (gtest_discover_tests: one process per test)
  xdist cold      xdist-run -n W on the per-file binaries with an empty --cache-dir each time
  xdist cold rev  the same with the binaries in reverse order (long tests listed last)
  xdist warm      xdist-run -n W with a duration history from earlier runs
Only the Python standard library is used. This is a benchmark, not a test: it asserts
nothing and is not run by CI.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN_SUITE = os.path.join(REPO, "..", "shared", "bench", "gen_suite.py")


def run(cmd, **kwargs):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)


def build_suite(work, profile, tests, files):
    out = os.path.join(work, f"{profile}-{tests}")
    build = os.path.join(out, "build")
    if not os.path.exists(os.path.join(build, "combined")):
        run([sys.executable, GEN_SUITE, "--profile", profile, "--tests", str(tests),
             "--files", str(files), "--seed", "1", "--out", out])
        run(["cmake", "-S", out, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
        run(["ninja", "-C", build, "-j2"])
    with open(os.path.join(out, "expected.json")) as f:
        expected = json.load(f)
    binaries = sorted(os.path.join(build, name) for name in os.listdir(build)
                      if name.startswith("f") and name[1:].isdigit())
    return build, binaries, expected


class CpuSampler:
    """Samples utime+stime of one process (not its children) from /proc until it exits."""

    def __init__(self, pid):
        self.pid = pid
        self.ticks = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        path = f"/proc/{self.pid}/stat"
        while True:
            try:
                with open(path) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                # After ")": state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
                if fields[0] == "Z":
                    return
                self.ticks = int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                return
            time.sleep(0.005)

    def seconds(self):
        self.thread.join()
        return self.ticks / os.sysconf("SC_CLK_TCK")


def timed(cmd, sample_cpu=False):
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = CpuSampler(process.pid) if sample_cpu else None
    code = process.wait()
    wall = time.perf_counter() - start
    if code not in (0,):
        print(f"warning: {' '.join(cmd[:3])} ... exited with {code}", file=sys.stderr)
    return wall, (sampler.seconds() if sampler else None)


def runners(build, binaries, workers, xdist_run, cache):
    cold = lambda: tempfile.mkdtemp(prefix="xdist-bench-cold-")
    return [
        ("serial", lambda: [os.path.join(build, "combined")], False),
        (f"ctest -j{workers}", lambda: ["ctest", "--test-dir", build, "-j", str(workers)], False),
        ("xdist cold", lambda: [xdist_run, "-q", "-n", str(workers), "--cache-dir", cold()] + binaries,
         True),
        ("xdist cold rev", lambda: [xdist_run, "-q", "-n", str(workers), "--cache-dir", cold()]
         + binaries[::-1], True),
        ("xdist warm", lambda: [xdist_run, "-q", "-n", str(workers), "--cache-dir", cache] + binaries,
         True),
    ]


def measure(name, build, binaries, workers, rounds, xdist_run, work):
    cache = os.path.join(work, f"cache-{name}-{workers}")
    shutil.rmtree(cache, ignore_errors=True)
    # Two warm-up runs fill the history and the page cache.
    for _ in range(2):
        timed([xdist_run, "-q", "-n", str(workers), "--cache-dir", cache] + binaries)
    table = {}
    for _ in range(rounds):
        for label, command, sample in runners(build, binaries, workers, xdist_run, cache):
            cmd = command()
            wall, cpu = timed(cmd, sample)
            table.setdefault(label, []).append((wall, cpu))
            if "--cache-dir" in cmd and "cold" in label:
                shutil.rmtree(cmd[cmd.index("--cache-dir") + 1], ignore_errors=True)
    return table


def report(title, table, lower_bound):
    print(f"\n{title}")
    print(f"  {'runner':<16} {'median s':>9} {'÷ serial':>9} {'÷ LB':>7} {'runner CPU':>11}")
    serial = statistics.median(w for w, _ in table["serial"])
    bound = lower_bound if lower_bound > 0.001 else float("nan")
    medians = {}
    for label, samples in table.items():
        wall = statistics.median(w for w, _ in samples)
        medians[label] = wall
        cpus = [c / w for w, c in samples if c is not None]
        cpu = f"{100 * statistics.median(cpus):.1f} %" if cpus else "-"
        print(f"  {label:<16} {wall:>9.3f} {wall / serial:>9.3f} {wall / bound:>7.3f} {cpu:>11}")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--io-workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profiles", default="tiny,heavy-tail,io")
    parser.add_argument("--xdist-run", default=os.path.join(REPO, "build", "runner", "xdist-run"))
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "xdist-bench"))
    args = parser.parse_args()
    xdist_run = os.path.abspath(args.xdist_run)
    os.makedirs(args.work, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
          f"{args.rounds} interleaved rounds, medians")

    for profile in args.profiles.split(","):
        workers = args.io_workers if profile == "io" else args.workers
        build, binaries, expected = build_suite(args.work, profile, 1600, 40)
        lower_bound = expected["lower_bound_ms"][str(workers)] / 1000
        table = measure(profile, build, binaries, workers, args.rounds, xdist_run, args.work)
        print(f"\n{profile}: 1600 tests in 40 binaries, -n {workers}; serial sum "
              f"{expected['totals']['sum_ms'] / 1000:.2f} s, LB({workers}) = {lower_bound:.3f} s, "
              f"biggest file {expected['totals']['longest_file_ms'] / 1000:.2f} s")
        medians = report(f"{profile} (1600 tests)", table, lower_bound)
        if profile == "tiny":
            small_build, small_binaries, small_expected = build_suite(args.work, profile, 200, 40)
            small = measure(profile + "-200", small_build, small_binaries, workers, args.rounds,
                            xdist_run, args.work)
            small_medians = report("tiny (200 tests)", small,
                                   small_expected["lower_bound_ms"][str(workers)] / 1000)
            print("\n  marginal cost per test, (median 1600 - median 200) / 1400:")
            for label, wall in medians.items():
                print(f"  {label:<16} {1000 * (wall - small_medians[label]) / 1400:8.4f} ms")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
