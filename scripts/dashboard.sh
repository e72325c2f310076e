#!/usr/bin/env bash
# Dashboard suite: real headless Chromium (Debian's /usr/bin/chromium driven
# by puppeteer-core, no browser download) against a server on a free port.
# BIN is the server binary (default target/release/mock-auth-server);
# screenshots land in target/dashboard/. Last line: "N passed, N failed".
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BIN:-$root/target/release/mock-auth-server}"
suite="$root/tests/clients/dashboard"
shots="$root/target/dashboard"

if [[ ! -x /usr/bin/chromium ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null
fi
(cd "$suite" && npm ci --no-audit --no-fund --silent </dev/null)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
PORT="$port" HOST=127.0.0.1 BCRYPT_COST=4 "$bin" >"$log" 2>&1 </dev/null &
pid=$!
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$port/health" >/dev/null; then break; fi
  sleep 0.1
done

status=0
BASE="http://127.0.0.1:$port" SHOTS="$shots" node "$suite/dashboard.mjs" </dev/null || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- server log ---"
  tail -n 30 "$log"
fi
exit "$status"
