#!/usr/bin/env bash
# The benchmark suite (issue 5): drives the release server and a minimal axum
# baseline (examples/baseline.rs) over loopback with wrk, interleaving their
# runs (ours, baseline, ours, ...), and prints Markdown tables of medians and
# of ratios to the baseline. BENCHMARKS.md holds the latest full run.
#
# Usage: scripts/bench.sh [--smoke] [--no-build]
#   --smoke     about a second per scenario and small stores: proves the suite
#               still works (CI runs it); asserts no timing, only that every
#               scenario ran and mostly got 2xx answers.
#   --no-build  use the binaries already in target/release.
# Environment overrides: BENCH_DURATION (seconds per run), BENCH_REPS,
# BENCH_CONNS (64), BENCH_DELAY_CONNS (1000), BENCH_THREADS (wrk's -t, 2).
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
      sed -n '2,20p' "$0"
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
else
  DURATION=${BENCH_DURATION:-5}
  REPS=${BENCH_REPS:-5}
  SLOW_DURATION=$((DURATION * 2))
  SLOW_CONNS=${BENCH_CONNS:-64}
  DELAY_DURATION=$((DURATION * 2))
  FILL_MID=10000
  FILL_BIG=100000
  STARTUPS=11
fi
CONNS=${BENCH_CONNS:-64}
DELAY_CONNS=${BENCH_DELAY_CONNS:-1000}
THREADS=${BENCH_THREADS:-2}
LUA=$ROOT/scripts/bench/bench.lua
PY=$ROOT/scripts/bench/benchlib.py
LOGIN_BODY='{"email":"alice@example.com","password":"password123"}'

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
# 1,000 connections need 1,000 descriptors in wrk and in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((DELAY_CONNS + 100)) ]; then
  echo "bench.sh: open-file limit $(ulimit -n) is too low for $DELAY_CONNS connections" >&2
  exit 1
fi

if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet --bin mock-auth-server --example baseline
fi
SERVER_BIN=$ROOT/target/release/mock-auth-server
BASELINE_BIN=$ROOT/target/release/examples/baseline
for bin in "$SERVER_BIN" "$BASELINE_BIN"; do
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

# load_sampled NAME KEY ARGS...: a load run while NAME's resident set is
# sampled every 0.2 s; the peak is recorded as rss KEY.
load_sampled() {
  local name=$1 key=$2 samples=$WORK/rss-$2
  shift 2
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

# ---------------------------------------------------------------- servers ---

start base "$BASELINE_BIN" --port 0
start ours "$SERVER_BIN" --port 0
start ours10 "$SERVER_BIN" --port 0 --bcrypt-cost 10
start small "$SERVER_BIN" --port 0
start mid "$SERVER_BIN" --port 0
start big "$SERVER_BIN" --port 0

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
done

record rss ours_end "$(rss_bytes "${PID[ours]}")"

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
