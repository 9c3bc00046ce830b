#!/usr/bin/env bash
# Installs the Debian packages xdist needs (only those missing), then configures and
# builds xdist into build/ with Ninja. Idempotent; safe to run again.
#   usage: scripts/setup.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(
  cmake ninja-build g++ ccache python3 git
  llvm-19-dev libclang-19-dev clang-tidy-19 clang-19   # analyzer: plugin host, LibTooling, resource dir
  libgtest-dev libyaml-cpp-dev                          # tests, xdist-lint config
  libcli11-dev nlohmann-json3-dev libpugixml-dev        # runner: CLI, GoogleTest JSON, JUnit XML
  libsqlite3-dev                                        # the example suite's database tests
  iproute2 procps                                       # isolation tests inspect namespaces and processes
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir"
