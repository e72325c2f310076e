#!/usr/bin/env bash
# The benchmark suite (issue 5): drives the release server and a minimal axum
# baseline (examples/baseline.rs) over loopback with wrk, interleaving their
# runs (ours, baseline, ours, ...), and prints Markdown tables of medians and
# of ratios to the baseline. BENCHMARKS.md holds the latest full run.
# Part II (issues 9 to 12) adds: login, /me and token issue at RS256, ES256
# and EdDSA, JWKS, the OAuth token endpoint (client credentials and the code
# exchange) against the npm oauth2-mock-server as a peer in the same run,
# 100,000 fake users, /me with an idle fault rule and with the journal off,
# the journal's memory, and the crypto backends per operation (bench/crypto).
#
# Usage: scripts/bench.sh [--smoke] [--no-build]
#   --smoke     about a second per scenario and small stores: proves the suite
#               still works (CI runs it); asserts no timing, only that every
#               scenario ran and mostly got 2xx answers.
#   --no-build  use the binaries already in target/release and target/bench.
# Environment overrides: BENCH_DURATION (seconds per run), BENCH_REPS,
# BENCH_CONNS (64), BENCH_DELAY_CONNS (1000), BENCH_THREADS (wrk's -t, 2),
# BENCH_ONLY (a bash regex: only the load scenarios it matches, e.g.
# '^(cc|code|peer|sign)'; start-up, fills, memory and crypto still run).
#
# Exit status: 0 when every scenario ran; 1 when one errored out (a server did
# not start, a run got no answer or mostly non-2xx, a fill or check failed).
# Raw results and the report go to target/bench/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

MODE=full
BUILD=1
for arg in "$@"; do
  case $arg in
    --smoke) MODE=smoke ;;
    --no-build) BUILD=0 ;;
    -h | --help)
      sed -n '2,24p' "$0"
      exit 0
      ;;
    *)
      echo "bench.sh: unknown argument $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

if [ "$MODE" = smoke ]; then
  DURATION=${BENCH_DURATION:-1}
  REPS=${BENCH_REPS:-1}
  # Cost-10 logins at 64 connections give their first answers after ~2 s
  # (64 verifications of ~60 ms on 2 cores), more on a loaded machine: the
  # smoke run checks the route works with 4 connections instead.
  SLOW_DURATION=2
  SLOW_CONNS=4
  DELAY_DURATION=2
  FILL_MID=500
  FILL_BIG=2000
  STARTUPS=3
  # Each 1 s run lasts about 1.1 s; a smoke run that formats each request
  # once reached 25,628 ES256 exchanges a second and ran out of 25,000 codes.
  CODES=3000
  CODES_DEFAULT=10000
  CODES_ES=40000
  CRYPTO_MILLIS=60
  CRYPTO_REPS=1
  MEMORY_TOTAL=10000
else
  DURATION=${BENCH_DURATION:-5}
  REPS=${BENCH_REPS:-5}
  SLOW_DURATION=$((DURATION * 2))
  SLOW_CONNS=${BENCH_CONNS:-64}
  DELAY_DURATION=$((DURATION * 2))
  FILL_MID=10000
  FILL_BIG=100000
  STARTUPS=11
  # The RS256 exchange signs three tokens (access, refresh, ID): about 2,000
  # a second on two cores at most. Codes for 3,000 a second outlast the run;
  # the server keeps them all (past 10,000 it sweeps only expired ones).
  CODES=$((3000 * DURATION))
  # With the defaults the exchange signs one RSA token (the ID token) and
  # runs up to about 7,000 a second: codes for 10,000 a second.
  CODES_DEFAULT=$((10000 * DURATION))
  # ES256 signs in a tenth of RSA's time: up to 25,000 exchanges a second
  # (a rep ran out of 25,000 codes a second, at 24,765). Minting 150,000
  # takes about 9 s, well inside a code's 60 s life.
  CODES_ES=$((32000 * DURATION))
  CRYPTO_MILLIS=1000
  CRYPTO_REPS=$REPS
  MEMORY_TOTAL=100000
fi
CONNS=${BENCH_CONNS:-64}
DELAY_CONNS=${BENCH_DELAY_CONNS:-1000}
THREADS=${BENCH_THREADS:-2}
LUA=$ROOT/scripts/bench/bench.lua
PY=$ROOT/scripts/bench/benchlib.py
LOGIN_BODY='{"email":"alice@example.com","password":"password123"}'
FORM=application/x-www-form-urlencoded
# client_secret_post of a confidential client: any secret is accepted
# without a clients file, and the peer takes the same body.
CC_BODY='grant_type=client_credentials&client_id=bench-backend&client_secret=bench-secret'
# The peer answers any code (it checks none), with an ID token as we do.
PEER_CODE_BODY='grant_type=authorization_code&client_id=bench-spa&code=any&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid'
DEV_TOKEN_BODY='{"user":"alice@example.com"}'
FAKE_USERS=100000
ALGS=(RS256 ES256 EdDSA)
declare -A ALG_SERVER=([RS256]=ours_rs [ES256]=ours_es [EdDSA]=ours_ed)
PEER_VERSION=9.3.0
PEER_DIR=$ROOT/target/bench/peer
KEYS_DIR=$ROOT/target/bench/crypto-keys

OUT_DIR=$ROOT/target/bench
mkdir -p "$OUT_DIR"
RESULTS=$OUT_DIR/results-$MODE.tsv
REPORT=$OUT_DIR/report-$MODE.md
: >"$RESULTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mock-auth-bench.XXXXXX")

declare -A PID URL
SAMPLER=""
FAILED=()

cleanup() {
  local name
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  for name in "${!PID[@]}"; do
    kill -TERM "${PID[$name]}" 2>/dev/null || true
  done
  for name in "${!PID[@]}"; do
    wait "${PID[$name]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "bench.sh: $*" >&2
  FAILED+=("$*")
}

# ------------------------------------------------------------------ setup ---

ensure_apt wrk
command -v curl >/dev/null || ensure_apt curl
command -v openssl >/dev/null || ensure_apt openssl
command -v npm >/dev/null || ensure_apt nodejs npm
# The peer, pinned, installed once into target/ (a fresh clone installs it).
if [ ! -f "$PEER_DIR/node_modules/oauth2-mock-server/package.json" ] ||
  ! grep -q "\"version\": \"$PEER_VERSION\"" "$PEER_DIR/node_modules/oauth2-mock-server/package.json"; then
  mkdir -p "$PEER_DIR"
  echo "installing oauth2-mock-server@$PEER_VERSION into ${PEER_DIR#"$ROOT"/}" >&2
  npm install --prefix "$PEER_DIR" --no-audit --no-fund --silent "oauth2-mock-server@$PEER_VERSION" >&2
fi
# Keys of the crypto measurement, made once (PKCS#8 and SPKI PEM).
if [ ! -f "$KEYS_DIR/ed25519.pub.pem" ]; then
  mkdir -p "$KEYS_DIR"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS_DIR/rs256.pem" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS_DIR/es256.pem"
  openssl genpkey -algorithm ED25519 -out "$KEYS_DIR/ed25519.pem"
  for key in rs256 es256 ed25519; do
    openssl pkey -in "$KEYS_DIR/$key.pem" -pubout -out "$KEYS_DIR/$key.pub.pem"
  done
fi
# 1,000 connections need 1,000 descriptors in wrk and in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((DELAY_CONNS + 100)) ]; then
  echo "bench.sh: open-file limit $(ulimit -n) is too low for $DELAY_CONNS connections" >&2
  exit 1
fi

CRYPTO_FEATURES=(rust_crypto aws_lc_rs)
if [ "$BUILD" = 1 ]; then
  # Two builds, as in scripts/test.sh: one command for both would build the
  # server with the example's dev-dependency features, another binary than
  # the one the other scripts build and run.
  cargo build --release --quiet --bin mock-auth-server
  cargo build --release --quiet --example baseline
  # Its own package (jsonwebtoken's backends exclude each other), built
  # once per backend into the server's target directory, whose dependency
  # builds it shares.
  for feature in "${CRYPTO_FEATURES[@]}"; do
    CARGO_TARGET_DIR=$ROOT/target cargo build --release --quiet \
      --manifest-path bench/crypto/Cargo.toml --features "$feature"
    cp "$ROOT/target/release/crypto-bench" "$OUT_DIR/crypto-bench-$feature"
  done
fi
SERVER_BIN=$ROOT/target/release/mock-auth-server
BASELINE_BIN=$ROOT/target/release/examples/baseline
for bin in "$SERVER_BIN" "$BASELINE_BIN" "$OUT_DIR/crypto-bench-rust_crypto" "$OUT_DIR/crypto-bench-aws_lc_rs"; do
  [ -x "$bin" ] || { echo "bench.sh: $bin is missing (drop --no-build)" >&2; exit 1; }
done

# Servers run in an empty directory (no .env is picked up) with a clean
# environment (no PORT, BCRYPT_COST... from the caller), so every server
# has the documented defaults but for the flags given here.
clean_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}" RUST_LOG=warn)

# start NAME CMD...: starts a server, waits for its "listening on" line.
start() {
  local name=$1 line="" i
  shift
  (cd "$WORK" && exec "${clean_env[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null) &
  PID[$name]=$!
  for ((i = 0; i < 600; i++)); do
    line=$(head -n 1 "$WORK/$name.out" 2>/dev/null || true)
    [[ $line == "listening on http://"* ]] && break
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      echo "bench.sh: $name exited at start:" >&2
      tail -n 5 "$WORK/$name.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  [[ $line == "listening on http://"* ]] || { echo "bench.sh: $name did not start in 60 s" >&2; exit 1; }
  URL[$name]=${line#listening on }
}

rss_bytes() {
  awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

# CPU ticks (utime + stime) used so far by one process, all its threads.
pid_ticks() {
  awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
CLK_TCK=$(getconf CLK_TCK)

# CPU ticks used so far by all the servers.
server_ticks() {
  local name total=0
  for name in "${!PID[@]}"; do
    total=$((total + $(pid_ticks "${PID[$name]}")))
  done
  echo "$total"
}

# Waits (at most 60 s) until the servers are idle: a cost-10 login run ends
# with up to 64 bcrypt verifications still running on the blocking pool, and
# they must not eat into the next run's CPU.
settle() {
  local i before after
  after=$(server_ticks)
  for ((i = 0; i < 300; i++)); do
    before=$after
    sleep 0.2
    after=$(server_ticks)
    [ $((after - before)) -le 2 ] && return 0
  done
  echo "bench.sh: servers still busy after 60 s; going on" >&2
}

record() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"
}

# load SCENARIO REP SERVER PATH CONNS SECONDS [VAR=VALUE...]: one wrk run
# against SERVER, recorded with the CPU time SERVER spent in it: on a shared
# machine the CPU per request moves far less than the throughput does.
load() {
  local scenario=$1 rep=$2 server=$3 path=$4 conns=$5 secs=$6 output line kv ticks0 ticks1
  shift 6
  if [ -n "${BENCH_ONLY:-}" ] && ! [[ $scenario =~ $BENCH_ONLY ]]; then
    return 0
  fi
  ticks0=$(pid_ticks "${PID[$server]}")
  if ! output=$(env "$@" BENCH_THREADS="$THREADS" \
    wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 30s -s "$LUA" "${URL[$server]}$path" 2>&1); then
    fail "$scenario: wrk failed: $(tail -n 3 <<<"$output")"
    return 0
  fi
  ticks1=$(pid_ticks "${PID[$server]}")
  settle
  line=$(grep '^BENCH ' <<<"$output" | tail -n 1 || true)
  local requests=0 duration_us=1 p50_us=0 p99_us=0 non2xx=0 sockerr=0
  for kv in $line; do
    case $kv in
      requests=*) requests=${kv#*=} ;;
      duration_us=*) duration_us=${kv#*=} ;;
      p50_us=*) p50_us=${kv#*=} ;;
      p99_us=*) p99_us=${kv#*=} ;;
      non2xx=*) non2xx=${kv#*=} ;;
      connect=* | read=* | write=* | timeout=*) sockerr=$((sockerr + ${kv#*=})) ;;
    esac
  done
  printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$rep" "$requests" "$duration_us" \
    "$p50_us" "$p99_us" "$non2xx" "$sockerr" "$(((ticks1 - ticks0) * 1000000 / CLK_TCK))" >>"$RESULTS"
  awk -v s="$scenario" -v r="$rep" -v n="$requests" -v d="$duration_us" -v p50="$p50_us" -v p99="$p99_us" \
    -v bad="$non2xx" -v sock="$sockerr" 'BEGIN {
      printf "  %-14s rep %s: %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %d  socket errors %d\n",
        s, r, n / (d / 1e6), p50 / 1000, p99 / 1000, bad, sock }' >&2
  if [ "$requests" -eq 0 ]; then
    fail "$scenario: no request completed"
  elif [ $((non2xx * 2)) -gt "$requests" ]; then
    fail "$scenario: $non2xx of $requests answers were not 2xx"
  fi
}

# form_post NAME SERVER PATH BODY: a load run of one form-encoded POST (the
# token endpoint's content type), in the current rep.
form_post() {
  load "$1" "$rep" "$2" "$3" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_CONTENT_TYPE=$FORM BENCH_BODY="$4"
}

# exchange NAME SERVER COUNT: the code exchange on SERVER, each request with
# one of COUNT codes made just before (they are single-use and live 60 s).
exchange() {
  if python3 "$PY" codes "${URL[$2]}" "$3" >"$WORK/codes"; then
    load "$1" "$rep" "$2" /oauth2/token "$CONNS" "$DURATION" BENCH_MODE=code BENCH_CONTENT_TYPE=$FORM \
      BENCH_BODY="$CODE_BODY" BENCH_TOKENS="$WORK/codes"
  else
    fail "$1: minting $3 codes"
  fi
}

# load_sampled NAME KEY ARGS...: a load run while NAME's resident set is
# sampled every 0.2 s; the peak is recorded as rss KEY.
load_sampled() {
  local name=$1 key=$2 samples=$WORK/rss-$2
  shift 2
  if [ -n "${BENCH_ONLY:-}" ] && ! [[ $1 =~ $BENCH_ONLY ]]; then
    return 0
  fi
  : >"$samples"
  (while kill -0 "${PID[$name]}" 2>/dev/null; do
    rss_bytes "${PID[$name]}" >>"$samples"
    sleep 0.2
  done) &
  SAMPLER=$!
  load "$@"
  kill "$SAMPLER" 2>/dev/null || true
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  record rss "$key" "$(sort -n "$samples" | tail -n 1)"
}

access_token() {
  python3 "$PY" tokens "${URL[$1]}" access_token 1
}

{
  cpu=$(awk -F': ' '/^model name/ { n = $2 } /^cpu family/ { f = $2 } /^model\t/ { m = $2 }
    END { printf "%s (family %s, model %s)", n, f, m }' /proc/cpuinfo)
  virt=$(lscpu 2>/dev/null | awk -F': *' '/Hypervisor vendor/ { print ", " $2 " guest" }')
  echo "machine: $(nproc) cores, $cpu$virt, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr); $(rustc --version); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
  echo "command: scripts/bench.sh${*:+ $*} ($MODE: ${DURATION} s runs, $REPS reps, $CONNS connections, wrk -t$THREADS)"
} | tee "$REPORT.head" >&2

# ---------------------------------------------------------------- startup ---

echo "startup: $STARTUPS starts each, interleaved" >&2
for ((i = 0; i < STARTUPS; i++)); do
  (cd "$WORK" && "${clean_env[@]}" python3 "$PY" startup "$RESULTS" ours /health "$SERVER_BIN" --port 0) ||
    fail "startup of the server"
  (cd "$WORK" && "${clean_env[@]}" python3 "$PY" startup "$RESULTS" baseline /static "$BASELINE_BIN" --port 0 --bcrypt-costs 4) ||
    fail "startup of the baseline"
done

# ----------------------------------------------------------------- crypto ---

# Microseconds per signature and verification, per backend; the backends'
# runs alternate like the servers' do.
echo "crypto: ${CRYPTO_REPS} run(s) per backend, ${CRYPTO_MILLIS} ms per figure" >&2
for ((rep = 1; rep <= CRYPTO_REPS; rep++)); do
  for feature in "${CRYPTO_FEATURES[@]}"; do
    if ! output=$("$OUT_DIR/crypto-bench-$feature" --keys "$KEYS_DIR" --millis "$CRYPTO_MILLIS" 2>&1); then
      fail "crypto ($feature): $(tail -n 1 <<<"$output")"
      continue
    fi
    awk -F'\t' '$1 == "crypto" { printf "crypto\t%s/%s/%s\t%s\n", $2, $3, $4, $5 }' <<<"$output" >>"$RESULTS"
  done
done

# ---------------------------------------------------------------- servers ---

start base "$BASELINE_BIN" --port 0
start ours "$SERVER_BIN" --port 0
start ours10 "$SERVER_BIN" --port 0 --bcrypt-cost 10
start small "$SERVER_BIN" --port 0
start mid "$SERVER_BIN" --port 0
start big "$SERVER_BIN" --port 0
for alg in "${ALGS[@]}"; do
  start "${ALG_SERVER[$alg]}" JWT_ALGORITHM="$alg" "$SERVER_BIN" --port 0
done
# Each differs from "small" by one setting: the journal off, one fault rule
# that matches nothing /me does, 100,000 fake users.
start nojournal JOURNAL_SIZE=0 "$SERVER_BIN" --port 0
start rule "$SERVER_BIN" --port 0
start fake SEED_FAKE_USERS=$FAKE_USERS "$SERVER_BIN" --port 0
start peer PEER_DIR="$PEER_DIR" node "$ROOT/scripts/bench/peer.mjs"
start peer_es PEER_DIR="$PEER_DIR" PEER_ALG=ES256 node "$ROOT/scripts/bench/peer.mjs"

curl -fsS -o /dev/null "${URL[ours]}/health" || fail "first /health"
curl -fsS -o /dev/null "${URL[base]}/static" || fail "first /static"
sleep 1
record rss idle "$(rss_bytes "${PID[ours]}")"
record rss baseline_idle "$(rss_bytes "${PID[base]}")"

# Stores of 10, FILL_MID + 5 and FILL_BIG + 5 users (5 seed users each),
# filled through the register route; the resident set before and after
# gives the memory per registered user.
declare -A FILL=([small]=5 [mid]=$FILL_MID [big]=$FILL_BIG)
for size in small mid big; do
  echo "filling $size with ${FILL[$size]} registered users" >&2
  curl -fsS -o /dev/null "${URL[$size]}/health" || fail "$size: first /health"
  before=$(rss_bytes "${PID[$size]}")
  start_ns=$(date +%s%N)
  if python3 "$PY" fill "${URL[$size]}" "${FILL[$size]}" "fill-$size"; then
    echo "  filled in $((($(date +%s%N) - start_ns) / 1000000)) ms" >&2
    total=$((FILL[$size] + 5))
    python3 "$PY" check-users "${URL[$size]}" "$total" || fail "$size: users page check"
    record users_total "$size" "$total"
    record rss_before "$size" "$before"
    record rss_after "$size" "$(rss_bytes "${PID[$size]}")"
    record registered "$size" "${FILL[$size]}"
  else
    fail "$size: fill"
  fi
done

for name in nojournal rule; do
  python3 "$PY" fill "${URL[$name]}" "${FILL[small]}" "fill-$name" || fail "$name: fill"
done
curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' "${URL[rule]}/api/dev/faults" \
  -d '{"match":{"method":"POST","route":"/api/auth/login","user":"nobody@bench.example.com"},"status":503}' ||
  fail "rule: adding the fault rule"
fake_total=$(curl -fsS "${URL[fake]}/api/auth/users?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])') ||
  fail "fake: users total"
record fake_total fake "${fake_total:-0}"
# The baseline's verify routes take a token of its own keys.
declare -A BASE_TOKEN
for alg in "${ALGS[@]}"; do
  BASE_TOKEN[$alg]=$(curl -fsS -X POST "${URL[base]}/sign/$alg" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || fail "baseline token $alg"
  curl -fsS -o /dev/null -H "Authorization: Bearer ${BASE_TOKEN[$alg]}" "${URL[base]}/verify/$alg" ||
    fail "baseline verify $alg"
done
CODE_BODY=$(python3 "$PY" code-body)

record ceiling delayed $((DELAY_CONNS * 5))
record conns delayed "$DELAY_CONNS"

# ------------------------------------------------------------------ loads ---

settle
for ((rep = 1; rep <= REPS; rep++)); do
  echo "rep $rep of $REPS" >&2
  TOKEN=$(access_token ours)
  load health "$rep" ours /health "$CONNS" "$DURATION"
  load static "$rep" base /static "$CONNS" "$DURATION"
  load me "$rep" ours /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  load_sampled base baseline_verify_load verify "$rep" base /verify "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  load login4 "$rep" ours /api/auth/login "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
  load bcrypt4 "$rep" base /bcrypt/4 "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
  load login10 "$rep" ours10 /api/auth/login "$SLOW_CONNS" "$SLOW_DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
  load bcrypt10 "$rep" base /bcrypt/10 "$SLOW_CONNS" "$SLOW_DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
  load register "$rep" ours /api/auth/register "$CONNS" "$DURATION" BENCH_MODE=register BENCH_RUN_ID="$$r$rep"
  # Back to the seed users, so the store (and the next /me) is the same size
  # in every rep; the reset also revokes earlier refresh tokens, so the pool
  # is made after it: two per connection, each chain then rotates its own.
  curl -fsS -o /dev/null -X DELETE "${URL[ours]}/api/auth/users/reset" || fail "reset"
  python3 "$PY" tokens "${URL[ours]}" refresh_token $((CONNS * 2)) >"$WORK/refresh.tokens" || fail "refresh pool"
  load refresh "$rep" ours /api/auth/refresh "$CONNS" "$DURATION" BENCH_MODE=refresh BENCH_TOKENS="$WORK/refresh.tokens"
  load delayed "$rep" ours "/api/auth/me?simulate_delay=200" "$DELAY_CONNS" "$DELAY_DURATION" BENCH_TOKEN="$TOKEN"
  load sleep "$rep" base "/verify?sleep_ms=200" "$DELAY_CONNS" "$DELAY_DURATION" BENCH_TOKEN="$TOKEN"
  # The resident set under the /me load is sampled on the 10-user server,
  # which serves nothing else: "ours" also takes the register and refresh
  # runs, whose users and revoked refresh tokens it keeps.
  load_sampled small me_load me_small "$rep" small /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  for size in mid big; do
    load "me_$size" "$rep" "$size" /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  done
  for size in small mid big; do
    total=$((FILL[$size] + 5))
    load "users_$size" "$rep" "$size" "/api/auth/users?limit=10&offset=$((total - 10))" "$CONNS" "$DURATION"
  done

  # Part II. Asymmetric algorithms: /me, login and pure token issue
  # (POST /api/dev/tokens: one access token, no bcrypt) against the
  # baseline's verify, bcrypt + two signatures, and one signature routes.
  for alg in "${ALGS[@]}"; do
    server=${ALG_SERVER[$alg]}
    alg_token=$(access_token "$server")
    load "me_$alg" "$rep" "$server" /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$alg_token"
    load "verify_$alg" "$rep" base "/verify/$alg" "$CONNS" "$DURATION" BENCH_TOKEN="${BASE_TOKEN[$alg]}"
    load "login_$alg" "$rep" "$server" /api/auth/login "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
    load "blogin_$alg" "$rep" base "/login/$alg" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
    load "devtoken_$alg" "$rep" "$server" /api/dev/tokens "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$DEV_TOKEN_BODY"
    load "sign_$alg" "$rep" base "/sign/$alg" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY=""
    load "signp_$alg" "$rep" base "/sign-parsed/$alg" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY=""
  done
  load jwks "$rep" ours_rs /.well-known/jwks.json "$CONNS" "$DURATION"
  load bjwks "$rep" base /jwks "$CONNS" "$DURATION"

  # OAuth at RS256, the peer's algorithm.
  form_post cc ours_rs /oauth2/token "$CC_BODY"
  form_post peer_cc peer /token "$CC_BODY"
  exchange code ours_rs "$CODES"
  form_post peer_code peer /token "$PEER_CODE_BODY"
  load signp3 "$rep" base "/sign-parsed/RS256?n=3" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY=""

  # OAuth with the defaults, as a user who changes no setting runs it: HS256
  # access and refresh tokens, the ID token RS256 (ID_TOKEN_ALGORITHM).
  form_post cc_default small /oauth2/token "$CC_BODY"
  load sign_HS256 "$rep" base /sign/HS256 "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY=""
  exchange code_default small "$CODES_DEFAULT"

  # OAuth at ES256 on both sides (the peer's second instance): the same
  # algorithm again, one whose signature costs less than the HTTP around it.
  form_post cc_es ours_es /oauth2/token "$CC_BODY"
  form_post peer_es_cc peer_es /token "$CC_BODY"
  exchange code_es ours_es "$CODES_ES"
  form_post peer_es_code peer_es /token "$PEER_CODE_BODY"
  load signp3_es "$rep" base "/sign-parsed/ES256?n=3" "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY=""

  # One setting changed from "small" (measured above as me_small) each.
  load me_rule "$rep" rule /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  load me_nojournal "$rep" nojournal /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  load me_fake "$rep" fake /api/auth/me "$CONNS" "$DURATION" BENCH_TOKEN="$TOKEN"
  load login_small "$rep" small /api/auth/login "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
  load login_fake "$rep" fake /api/auth/login "$CONNS" "$DURATION" BENCH_MODE=post BENCH_BODY="$LOGIN_BODY"
done

record rss ours_end "$(rss_bytes "${PID[ours]}")"
python3 "$PY" check-hits "${URL[rule]}" || fail "rule: the idle rule was hit"

# ----------------------------------------------------------------- memory ---

# The journal's bound (issue 12): a fresh server, its own process.
echo "journal memory: RSS after 2,000 and after $MEMORY_TOTAL requests" >&2
(cd "$WORK" && "${clean_env[@]}" python3 "$ROOT/scripts/journal_memory.py" --bin "$SERVER_BIN" \
  --first 2000 --total "$MEMORY_TOTAL" --results "$RESULTS" --no-check) || fail "journal memory"

# ----------------------------------------------------------------- report ---

{
  cat "$REPORT.head"
  echo
  python3 "$PY" report "$RESULTS" "$MODE"
} >"$REPORT" || fail "report"
rm -f "$REPORT.head"
cat "$REPORT"

if [ "${#FAILED[@]}" -gt 0 ]; then
  echo >&2
  echo "bench.sh: ${#FAILED[@]} scenario(s) errored out:" >&2
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "bench.sh: $MODE run complete; report in ${REPORT#"$ROOT"/}" >&2
