#!/usr/bin/env bash
# Real OpenID Connect client libraries against the release binary:
# Node's openid-client v6, Python's Authlib, and oidc-client-ts plus the
# login page in real headless Chromium (Debian's /usr/bin/chromium driven by
# puppeteer-core, never a downloaded browser). First with no setting
# changed (the permissive default clients, as a fresh `cargo run` has), then
# openid-client and Authlib again with a strict OAUTH_CLIENTS_FILE.
# Installs its Node and Python dependencies under tests/clients/oidc and
# target/ on first use. Screenshots: target/oidc_clients/*.png.
#
# Usage: BIN=target/release/mock-auth-server scripts/oidc_clients.sh
# Prints a pass/fail line per check and 'N passed, N failed'; exits 1 on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
root=$PWD
bin=${BIN:-$root/target/release/mock-auth-server}
suite=$root/tests/clients/oidc
venv=$root/target/oidc-clients-venv
out=$root/target/oidc_clients
mkdir -p "$out"

if [[ ! -x $bin ]]; then
  echo "oidc_clients: no server binary at $bin (set BIN or cargo build --release)" >&2
  exit 2
fi
[[ -x /usr/bin/chromium ]] || ensure_apt chromium
if [[ ! -d $suite/node_modules/openid-client || ! -d $suite/node_modules/oidc-client-ts || ! -d $suite/node_modules/puppeteer-core ]]; then
  echo "oidc_clients: installing the Node clients (npm ci)"
  (cd "$suite" && npm ci --no-audit --no-fund --silent </dev/null)
fi
if ! "$venv/bin/python" -c 'import authlib, requests' 2>/dev/null; then
  echo "oidc_clients: installing Authlib into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$suite/requirements.txt" </dev/null
fi

pid=
# shellcheck disable=SC2317 # called by the EXIT trap and below
stop() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap stop EXIT

# Starts the binary on a free port with the environment given as arguments
# (settings that could leak in from the caller's shell unset first); sets
# base to its URL.
start() {
  local name=$1
  shift
  local port
  port=$(free_port)
  env -u OAUTH_CLIENTS_FILE -u JWT_ISSUER -u PUBLIC_URL -u JWT_ALGORITHM -u CORS_ORIGINS \
    -u DEV_API_KEY HOST=127.0.0.1 PORT="$port" BCRYPT_COST=4 "$@" "$bin" \
    >"$out/server-$name.log" 2>&1 </dev/null &
  pid=$!
  base="http://127.0.0.1:$port"
  wait_http_ok "$base/health" 30
}

# Each suite prints "ok   ..." or "FAIL ..." per check; the lines are
# counted here into one closing line for the whole script.
failed_suites=0
run() {
  local log=$out/suite-$((++suite_no)).log
  if ! "$@" </dev/null 2>&1 | tee "$log"; then
    failed_suites=$((failed_suites + 1))
  fi
  passed=$((passed + $(grep -c '^ok ' "$log" || true)))
  failed=$((failed + $(grep -c '^FAIL ' "$log" || true)))
}
suite_no=0
passed=0
failed=0

start default
run node "$suite/openid_client.mjs" "$base"
run "$venv/bin/python" "$suite/authlib_client.py" "$base"
run env SHOTS="$out" node "$suite/browser.mjs" "$base"
stop

# Strict: only the registered clients, exact redirect URIs, secrets checked.
callback_port=$(free_port)
cat >"$out/clients.json" <<JSON
[
  {"client_id": "my-spa",
   "redirect_uris": ["http://127.0.0.1:$callback_port/callback"],
   "post_logout_redirect_uris": ["http://127.0.0.1:$callback_port/signed-out"]},
  {"client_id": "backend", "client_secret": "backend-secret", "redirect_uris": [],
   "grant_types": ["client_credentials", "password", "refresh_token"]}
]
JSON
start strict OAUTH_CLIENTS_FILE="$out/clients.json"
run env STRICT=1 CALLBACK_PORT="$callback_port" node "$suite/openid_client.mjs" "$base"
run env STRICT=1 CALLBACK_PORT="$callback_port" "$venv/bin/python" "$suite/authlib_client.py" "$base"
stop

echo "oidc_clients: $passed passed, $failed failed"
if [[ $failed -ne 0 || $failed_suites -ne 0 ]]; then
  echo "oidc_clients: $failed_suites suite(s) failed; server logs in $out/server-*.log" >&2
  exit 1
fi
