#!/usr/bin/env bash
# Soak test: starts the release server on a free loopback port and runs the
# soak driver (examples/soak/) against it for DURATION seconds: a steady
# mixed load of logins, /me, refreshes, logouts, registrations, simulated
# errors and delays, user resets, metrics reads and unknown paths, sampling
# the server's RSS, open fds and /health every few seconds. Then it stops
# the server with SIGTERM and checks that it exits 0.
#
# Usage: scripts/soak.sh [DURATION_SECS] [driver flags...]
#   DURATION_SECS defaults to 120; e.g. `scripts/soak.sh 1800 --rate 300`.
#   Driver flags: `cargo run --release --example soak -- --help`.
# Exit status: 0 when the driver passed and the server exited 0; non-zero on
# any unexpected status (a 5xx nobody asked for above all), a request with
# no response, a failed /health sample, RSS or fd growth in the second half
# of the run beyond the driver's allowances, or an unclean server exit.
# Output: the summary on stdout and in $SOAK_DIR/summary.json, the server's
# stderr in $SOAK_DIR/server.log; SOAK_DIR defaults to target/soak.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
# shellcheck source=scripts/lib/reliability.sh
source scripts/lib/reliability.sh

duration=${1:-120}
[ "$#" -gt 0 ] && shift
if ! [[ $duration =~ ^[0-9]+$ ]] || [ "$duration" -lt 1 ]; then
  echo "usage: $0 [DURATION_SECS] [driver flags...]" >&2
  exit 2
fi

echo "soak: building the release server and the driver"
# Two builds, as in scripts/test.sh: one command for both would build the
# server with the example's dev-dependency features and replace, while the
# suites beside the soak run it, the binary they were given.
cargo build --release --quiet --bin mock-auth-server
cargo build --release --quiet --example soak

outdir=${SOAK_DIR:-$PWD/target/soak}
rm -f "$outdir/summary.json"
trap 'stop_release_server 5 || true' EXIT
start_release_server "$outdir"

echo "soak: server pid $SERVER_PID at $SERVER_BASE, load for ${duration}s"
driver_status=0
target/release/examples/soak --base "$SERVER_BASE" --pid "$SERVER_PID" \
  --duration-secs "$duration" --json-report "$outdir/summary.json" "$@" || driver_status=$?

finish_run soak "$driver_status" "server log: $outdir/server.log"
