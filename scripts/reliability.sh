#!/usr/bin/env bash
# Reliability suite of the test command: a 2-minute soak under a steady mixed
# load (scripts/soak.sh) and bounded schema-driven fuzzing from the server's
# own /openapi.json (scripts/schemathesis.sh). Both run the release server on
# a free loopback port and stop it themselves. About 3 minutes in all.
# The client-fault, shutdown and property tests are Rust tests
# (tests/reliability.rs, tests/properties.rs) and run with `cargo test`.
#
# Usage: scripts/reliability.sh [SOAK_SECS]   (default 120)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

soak_secs=${1:-120}
started=$SECONDS

echo "==> soak (${soak_secs}s)"
bash scripts/soak.sh "$soak_secs"

echo "==> schemathesis"
bash scripts/schemathesis.sh

echo "reliability: OK in $((SECONDS - started))s"
