#!/usr/bin/env bash
# Every check CI runs, in order, on a fresh clone: formatting, lints, the
# Rust test suites, shell lints, then against the release binary: a 2-minute
# soak (in the background), the end-to-end suite, schema-driven fuzzing and
# the benchmark smoke run. Installs what it needs. Each step prints the seconds
# elapsed, so a slow step shows.
# Usage: scripts/test.sh        (exit status non-zero on the first failure)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

started=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - started))" "$*"; }

step "toolchain components"
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

# A fixed proptest seed: CI sees the same generated cases on every run, so a
# red run is reproducible and no landing depends on the draw. Unset it (or
# set another) to explore: PROPTEST_RNG_SEED=$RANDOM bash scripts/test.sh
step "cargo test (unit, integration, binary)"
PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261202} cargo test --all-targets --quiet

step "shellcheck"
ensure_apt shellcheck
shellcheck -x scripts/*.sh scripts/lib/*.sh .ci/run

step "release build (server, soak driver, baseline)"
cargo build --release --quiet --bins --examples

# The 2-minute soak holds a steady 200 requests/s and mostly waits, so it
# runs beside the suites below instead of after them. Whatever happens, this
# script waits for it (bounded by its own duration) before it exits, so it
# never leaves a process behind.
step "scripts/soak.sh 120, in the background (log: target/soak/run.log)"
mkdir -p target/soak
bash scripts/soak.sh 120 >target/soak/run.log 2>&1 &
soak_pid=$!
trap 'wait "$soak_pid" 2>/dev/null || true' EXIT

step "scripts/e2e.sh"
bash scripts/e2e.sh

step "scripts/schemathesis.sh"
bash scripts/schemathesis.sh

step "scripts/bench.sh --smoke"
bash scripts/bench.sh --smoke

step "scripts/soak.sh: waiting for it to finish"
soak_status=0
wait "$soak_pid" || soak_status=$?
trap - EXIT
cat target/soak/run.log
if [ "$soak_status" -ne 0 ]; then
  echo "the soak failed (exit $soak_status)" >&2
  exit 1
fi

printf '\nall checks passed in %ss\n' "$((SECONDS - started))"
