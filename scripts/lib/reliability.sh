# shellcheck shell=bash
# Helpers of the reliability scripts (soak.sh, schemathesis.sh): start the
# release server on a free loopback port and stop it with SIGTERM, checking
# that it exits 0. Sourced, never run; needs scripts/lib/common.sh first.

# Starts target/release/mock-auth-server with `--port 0` and any extra
# arguments, in DIR (created; no .env file there can change its settings),
# with its stdout in DIR/server.out and its stderr in DIR/server.log.
# Sets SERVER_PID and SERVER_BASE (http://127.0.0.1:PORT, read from the
# server's first line of output) and waits until /health answers.
start_release_server() {
  local dir=$1 root=$PWD line _
  shift
  mkdir -p "$dir"
  rm -f "$dir/server.out"
  (cd "$dir" && RUST_LOG=${RUST_LOG:-warn} exec "$root/target/release/mock-auth-server" \
    --port 0 "$@" >"$dir/server.out" 2>"$dir/server.log") &
  SERVER_PID=$!
  SERVER_BASE=""
  for _ in $(seq 1 300); do
    line=$(head -n 1 "$dir/server.out" 2>/dev/null || true)
    if [[ $line =~ ^listening\ on\ (http://[0-9.:]+)$ ]]; then
      SERVER_BASE=${BASH_REMATCH[1]}
      break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$SERVER_BASE" ]; then
    echo "the server did not print its address; its stderr:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    return 1
  fi
  wait_http_ok "$SERVER_BASE/health" 30
}

# Sends SIGTERM to SERVER_PID and waits for it, at most $1 seconds (default
# 15; a graceful stop with nothing in flight takes well under one), then
# SIGKILL. Returns the server's exit status (124 when it had to be killed).
stop_release_server() {
  local limit=${1:-15} status=0 _
  [ -n "${SERVER_PID:-}" ] || return 0
  kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" 2>/dev/null || status=$?; SERVER_PID=""; return "$status"; }
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 $((limit * 10))); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server ignored SIGTERM for ${limit}s; killing it" >&2
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    return 124
  fi
  wait "$SERVER_PID" 2>/dev/null || status=$?
  SERVER_PID=""
  return "$status"
}

# Ends a run: stops the server (it must exit 0 on SIGTERM), then reports.
# Usage: finish_run NAME TOOL_STATUS DETAIL; exits 1 on either failure,
# where DETAIL says where to look.
finish_run() {
  local name=$1 tool_status=$2 detail=$3 server_status=0
  stop_release_server 15 || server_status=$?
  trap - EXIT
  if [ "$server_status" -ne 0 ]; then
    echo "$name: FAIL: the server exited with status $server_status after SIGTERM" >&2
    exit 1
  fi
  if [ "$tool_status" -ne 0 ]; then
    echo "$name: FAIL (exit $tool_status); $detail" >&2
    exit 1
  fi
  echo "$name: OK (the server exited 0 after SIGTERM)"
}
