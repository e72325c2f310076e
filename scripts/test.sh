#!/usr/bin/env bash
# Every check CI runs, in order, on a fresh clone: formatting, lints, the
# Rust test suites, shell lints, then the end-to-end, benchmark-smoke and
# reliability suites against the release binary. Installs what it needs.
# Usage: scripts/test.sh        (exit status non-zero on the first failure)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "toolchain components"
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test (unit, integration, binary)"
cargo test --all-targets --quiet

step "shellcheck"
ensure_apt shellcheck
shellcheck -x scripts/*.sh scripts/lib/*.sh .ci/run

step "release build"
cargo build --release --quiet

for suite in e2e.sh reliability.sh; do
  step "scripts/$suite"
  bash "scripts/$suite"
done

step "scripts/bench.sh --smoke"
bash scripts/bench.sh --smoke

printf '\nall checks passed in %ss\n' "$((SECONDS - started))"
