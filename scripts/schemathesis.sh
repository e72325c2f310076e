#!/usr/bin/env bash
# Schema-driven fuzzing: starts the release server on a free loopback port and
# runs schemathesis (from PyPI, in a virtual environment under target/venv
# that this script creates) against the server's own /openapi.json. Every
# generated request must get no 5xx, and every response must conform to the
# document: a documented status code, content type, headers and body schema.
#
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES]
#   MAX_EXAMPLES: test cases per operation and phase (default 150; the
#   Part II operations get 40 in the fuzzing phase, see
#   scripts/schemathesis/schemathesis.toml; the run takes about 2.5 min on
#   two cores). SCHEMATHESIS_SEED overrides the fixed seed, to explore
#   other inputs than the test command does.
# The fault-injection parameters are stripped from generated requests (see
# scripts/schemathesis/hooks.py for why). Reports: target/schemathesis/.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh
# shellcheck source=scripts/lib/reliability.sh
source scripts/lib/reliability.sh

max_examples=${1:-150}
seed=${SCHEMATHESIS_SEED:-20261125}
version=4.32.5
venv=$PWD/target/venv
outdir=$PWD/target/schemathesis

if ! "$venv/bin/st" --version 2>/dev/null | grep -qF "$version"; then
  echo "schemathesis: installing schemathesis $version into $venv"
  python3 -m venv "$venv" 2>/dev/null || { ensure_apt python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

echo "schemathesis: building the release server"
cargo build --release --quiet --bin mock-auth-server

trap 'stop_release_server 5 || true' EXIT
start_release_server "$outdir"

# A real access token, so that /api/auth/me answers 200 too and its User
# schema gets checked, not only its 401.
token=$(curl -fsS -H 'content-type: application/json' \
  -d '{"email":"alice@example.com","password":"password123"}' \
  "$SERVER_BASE/api/auth/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# One worker: with two, hypothesis parses lambdas' source from two threads
# at once, and CPython 3.11 before 3.11.8 then fails at random with
# "SystemError: AST constructor recursion depth mismatch" (CPython
# gh-106905), a crash of the fuzzer, not a finding about the server.
# The whole document, the control plane and /oauth2/* included: hooks.py
# resets the server after every case that may have changed its state, so a
# fuzzed fault rule, clock or key never reaches the next case.
# No redirect is followed: a 302 of /oauth2/authorize or /oauth2/logout is
# the documented answer, and its Location is a client's loopback URL (any
# port, often one nothing listens on), not part of this server.
echo "schemathesis: fuzzing $SERVER_BASE/openapi.json ($max_examples examples per operation, seed $seed)"
st_status=0
MOCK_AUTH_BASE=$SERVER_BASE SCHEMATHESIS_HOOKS=$PWD/scripts/schemathesis/hooks.py \
  timeout 300 "$venv/bin/st" --config-file "$PWD/scripts/schemathesis/schemathesis.toml" run \
  "$SERVER_BASE/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 20 \
  --max-redirects 0 \
  --header "Authorization: Bearer $token" \
  --report junit --report-dir "$outdir" \
  --output-truncate false || st_status=$?

finish_run schemathesis "$st_status" "report in $outdir, server log $outdir/server.log"
