#!/usr/bin/env bash
# Real JWKS clients of other languages against the server: for each
# asymmetric JWT_ALGORITHM, start the binary on a free port, log in,
# discover the JWKS and verify the access token with Node's jose
# (createRemoteJWKSet) and Python's PyJWT (PyJWKClient).
#
# Usage: BIN=target/release/mock-auth-server scripts/jwks_clients.sh
# (a debug binary works too). Prints 'N passed, N failed'; exits 1 on failure.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
bin=${BIN:-target/release/mock-auth-server}
clients=$root/tests/clients/jwks
venv=$root/target/jwks-clients-venv
logdir=$root/target/jwks-clients
mkdir -p "$logdir"

if [[ ! -x $bin ]]; then
  echo "jwks_clients: no server binary at $bin (set BIN or cargo build --release)" >&2
  exit 2
fi

if [[ ! -d $clients/node_modules/jose ]]; then
  echo "jwks_clients: installing the Node client (npm ci)"
  (cd "$clients" && npm ci --no-audit --no-fund --silent)
fi
if ! "$venv/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
  echo "jwks_clients: installing the Python client into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$clients/requirements.txt"
fi

passed=0
failed=0
pid=

stop() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap stop EXIT

record() {
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAILED: $*" >&2
    failed=$((failed + 1))
  fi
}

for alg in RS256 ES256 EdDSA PS256 ES384; do
  out=$logdir/server-$alg.out
  : >"$out"
  env -u JWT_ISSUER -u PUBLIC_URL JWT_ALGORITHM=$alg PORT=0 HOST=127.0.0.1 \
    "$bin" >"$out" 2>"$logdir/server-$alg.err" </dev/null &
  pid=$!
  base=
  for _ in $(seq 1 100); do
    base=$(sed -n '1s/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$out")
    [[ -n $base ]] && break
    sleep 0.05
  done
  if [[ -z $base ]]; then
    echo "jwks_clients: $alg server did not start" >&2
    failed=$((failed + 2))
    stop
    continue
  fi
  record node "$clients/verify.mjs" "$base" "$alg"
  record "$venv/bin/python" "$clients/verify.py" "$base" "$alg"
  stop
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
