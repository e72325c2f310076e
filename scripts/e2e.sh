#!/usr/bin/env bash
# End-to-end suite against the release binary, the way clients use it:
#   1. the Postman collection under newman (collections/auth_api_mock.postman.json)
#   2. scripts/test_mock.sh (curl + jq)
#   3. every tested example of collections/EXAMPLES.md (curl, HTTPie, Python, Node, browser)
#      and QUICKSTART.md's plain-shell CI recipe (which starts a server of its own);
#      its GitHub Actions snippet is parsed and checked (tests/e2e/check_ci_snippet.py)
#   4. /docs and /redoc in headless Chromium, with "Try it out" on login and
#      no request leaving the machine (screenshots in target/browser/)
#   5. scripts/run_mocks.sh start, status, health, stop on a port of its own
# Installs what it needs (Debian packages, tests/e2e/node_modules from the
# lockfile, a Python virtualenv under target/e2e/), builds the release binary,
# starts one server on a free port, and stops every process it started.
#
# Usage: scripts/e2e.sh        (exit status non-zero if any step fails)
# Env:   E2E_SKIP_INSTALL=1    trust that everything is installed already
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

ROOT=$PWD
OUT=$ROOT/target/e2e
E2E_DIR=$ROOT/tests/e2e
VENV=$OUT/venv
BIN=$ROOT/target/release/mock-auth-server
started=$SECONDS
mkdir -p "$OUT"

if [ -t 1 ]; then
  GREEN=$'\e[32m' RED=$'\e[31m' BOLD=$'\e[1m' RESET=$'\e[0m'
else
  GREEN="" RED="" BOLD="" RESET=""
fi
step() { printf '\n%s==> [%ss] %s%s\n' "$BOLD" "$((SECONDS - started))" "$*" "$RESET"; }

passed=0
failed=0
failures=()
# record NAME COMMAND...: runs a step, counts it, never stops the suite.
record() {
  local name=$1
  shift
  step "$name"
  if "$@" </dev/null; then
    passed=$((passed + 1))
    printf '%sPASS%s %s\n' "$GREEN" "$RESET" "$name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '%sFAIL%s %s\n' "$RED" "$RESET" "$name"
  fi
}

# --- cleanup: only what this script started, by PID ------------------------
server_pid=""
RUN_MOCKS_DIR=$OUT/run
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # run_mocks.sh signals only the PID in its own PID file, and only if it is
  # our binary; a no-op when step 5 already stopped it.
  RUN_DIR=$RUN_MOCKS_DIR bash scripts/run_mocks.sh stop >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- install ----------------------------------------------------------------
# stamp_ok FILE DIR: true when DIR was installed from this exact FILE.
stamp_ok() { [ -f "$2/.e2e-stamp" ] && [ "$(sha256sum <"$1")" = "$(cat "$2/.e2e-stamp")" ]; }

install_deps() {
  ensure_apt curl jq shellcheck chromium httpie ca-certificates
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    ensure_apt nodejs npm
  fi
  if ! stamp_ok "$E2E_DIR/package-lock.json" "$E2E_DIR/node_modules"; then
    (cd "$E2E_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    sha256sum <"$E2E_DIR/package-lock.json" >"$E2E_DIR/node_modules/.e2e-stamp"
  fi
  if ! stamp_ok "$E2E_DIR/requirements.txt" "$VENV"; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$E2E_DIR/requirements.txt"
    sha256sum <"$E2E_DIR/requirements.txt" >"$VENV/.e2e-stamp"
  fi
}

if [ "${E2E_SKIP_INSTALL:-}" != 1 ]; then
  step "install: Debian packages, tests/e2e/node_modules, Python virtualenv"
  install_deps
fi

step "shellcheck of the e2e scripts"
shellcheck -x scripts/e2e.sh scripts/run_mocks.sh scripts/test_mock.sh

step "the committed collection matches its generator"
node "$E2E_DIR/make-collection.mjs" --check

step "cargo build --release"
cargo build --release --quiet --bin mock-auth-server

# --- one server for steps 1 to 4 --------------------------------------------
# A clean environment and an empty working directory: a developer's .env or
# exported JWT_SECRET must not change what the suite expects.
port=$(free_port)
BASE_URL=http://127.0.0.1:$port
step "start $BIN on $BASE_URL (log: target/e2e/server.log)"
mkdir -p "$OUT/cwd"
(cd "$OUT/cwd" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" RUST_LOG=info \
  "$BIN" --host 127.0.0.1 --port "$port") >"$OUT/server.log" 2>&1 </dev/null &
server_pid=$!
# The banner proves that this process bound the port (not a stranger that
# took the free port in the meantime).
if ! wait_http_ok "$BASE_URL/health" 30 || ! kill -0 "$server_pid" 2>/dev/null ||
  ! grep -q "^listening on $BASE_URL\$" "$OUT/server.log"; then
  tail -n 20 "$OUT/server.log" >&2
  echo "the server did not become healthy" >&2
  exit 1
fi

run_newman() {
  "$E2E_DIR/node_modules/.bin/newman" run "$ROOT/collections/auth_api_mock.postman.json" \
    --env-var "baseUrl=$BASE_URL" --color off \
    --reporters cli,junit --reporter-cli-no-success-assertions \
    --reporter-junit-export "$OUT/newman-junit.xml"
}

run_run_mocks() {
  local port2 rc=0
  port2=$(free_port)
  export RUN_DIR=$RUN_MOCKS_DIR
  PORT=$port2 bash scripts/run_mocks.sh start || return 1
  bash scripts/run_mocks.sh status || rc=1
  bash scripts/run_mocks.sh health || rc=1
  grep -q "^http://127.0.0.1:$port2\$" "$RUN_DIR/mock-auth-server.url" ||
    { echo "run_mocks.sh did not serve on PORT=$port2" >&2; rc=1; }
  PORT=$port2 bash scripts/run_mocks.sh start || rc=1 # already running: still 0
  LINES=3 bash scripts/run_mocks.sh logs || rc=1
  bash scripts/run_mocks.sh stop || rc=1
  [ ! -e "$RUN_DIR/mock-auth-server.pid" ] || { echo "PID file left behind" >&2; rc=1; }
  local status_rc=0
  bash scripts/run_mocks.sh status || status_rc=$?
  [ "$status_rc" -eq 3 ] || { echo "status after stop exited $status_rc, expected 3" >&2; rc=1; }
  bash scripts/run_mocks.sh stop || rc=1 # not running: still 0
  # A PID file naming a mock-auth-server this script did not start (the
  # suite's own server, with another start time): left alone, called stale.
  echo "$server_pid 1" >"$RUN_DIR/mock-auth-server.pid"
  status_rc=0
  bash scripts/run_mocks.sh status || status_rc=$?
  [ "$status_rc" -eq 3 ] || { echo "a foreign PID counted as ours (status $status_rc)" >&2; rc=1; }
  bash scripts/run_mocks.sh stop || rc=1
  kill -0 "$server_pid" 2>/dev/null || { echo "run_mocks.sh stopped a process it did not start" >&2; rc=1; }
  unset RUN_DIR
  return "$rc"
}

record "newman: Postman collection" run_newman
record "scripts/test_mock.sh" bash scripts/test_mock.sh "$BASE_URL"
record "collections/EXAMPLES.md examples" env PYTHON="$VENV/bin/python" node "$E2E_DIR/examples.mjs" "$BASE_URL"
record "QUICKSTART.md plain-shell CI recipe" env PORT="$(free_port)" EXAMPLES_TIMEOUT_MS=600000 node "$E2E_DIR/examples.mjs" "$BASE_URL" "$ROOT/QUICKSTART.md"
record "QUICKSTART.md GitHub Actions snippet" "$VENV/bin/python" "$E2E_DIR/check_ci_snippet.py" "$ROOT/QUICKSTART.md" "$ROOT"
record "docs in headless Chromium" node "$E2E_DIR/browser.mjs" "$BASE_URL" "$ROOT/target/browser"
record "scripts/run_mocks.sh start/status/health/logs/stop" run_run_mocks

step "stop the server (PID $server_pid)"
# A server that died already is reported by its exit status below.
kill -TERM "$server_pid" 2>/dev/null || true
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""
if [ "$server_rc" -eq 0 ]; then
  passed=$((passed + 1))
  printf '%sPASS%s server stopped on SIGTERM with exit status 0\n' "$GREEN" "$RESET"
else
  failed=$((failed + 1))
  failures+=("server exit status on SIGTERM: $server_rc")
  printf '%sFAIL%s server exited %s on SIGTERM\n' "$RED" "$RESET" "$server_rc"
fi

printf '\nartefacts: target/browser/*.png, target/e2e/newman-junit.xml, target/e2e/server.log\n'
for f in "${failures[@]}"; do printf '%sfailed:%s %s\n' "$RED" "$RESET" "$f"; done
printf 'e2e (%ss): %d passed, %d failed\n' "$((SECONDS - started))" "$passed" "$failed"
[ "$failed" -eq 0 ]
