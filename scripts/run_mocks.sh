#!/usr/bin/env bash
# Runs mock-auth-server in the background for local development, with a PID
# file and a log file under .run/ (override with RUN_DIR).
#
# Usage: scripts/run_mocks.sh start [SERVER FLAGS...]   build if needed, start, wait for /health
#        scripts/run_mocks.sh stop                      SIGTERM (SIGKILL after 10 s), remove the PID file
#        scripts/run_mocks.sh restart [SERVER FLAGS...]
#        scripts/run_mocks.sh status                    exit 0 if running and healthy, 1 if running
#                                                       but /health fails, 3 if not running
#        scripts/run_mocks.sh health                    GET /health, exit non-zero unless 200
#        scripts/run_mocks.sh logs [-f]                 last $LINES (50) lines of the log, or follow it
#
# Env:   PORT, HOST, JWT_SECRET, ... are read by the server itself (see README);
#        PORT=0 lets the system pick a free port (the script reads it back).
#        RUN_DIR (default .run), MOCK_AUTH_BIN (default target/release/mock-auth-server),
#        STARTUP_TIMEOUT seconds to wait for /health (default 30).
#
# It only ever signals a process whose PID is in its PID file, whose
# executable is mock-auth-server and whose start time (from /proc) is the one
# recorded at start: a stale PID reused by another program, or by another
# mock-auth-server that someone else started, is left alone.
# Colour only on a terminal, and never with NO_COLOR set.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUN_DIR=${RUN_DIR:-.run}
BIN=${MOCK_AUTH_BIN:-target/release/mock-auth-server}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-30}
PID_FILE="$RUN_DIR/mock-auth-server.pid"
LOG_FILE="$RUN_DIR/mock-auth-server.log"
URL_FILE="$RUN_DIR/mock-auth-server.url"
NAME=mock-auth-server

# Colours for a stream (1 or 2): set only when it is a terminal.
colour() { [ -z "${NO_COLOR:-}" ] && [ -t "$1" ] && printf '%s' "$2"; }

ok() { printf '%s✔%s %s\n' "$(colour 1 $'\e[32m')" "$(colour 1 $'\e[0m')" "$*"; }
warn() { printf '%s!%s %s\n' "$(colour 1 $'\e[33m')" "$(colour 1 $'\e[0m')" "$*"; }
die() {
  printf '%s✘%s %s\n' "$(colour 2 $'\e[31m')" "$(colour 2 $'\e[0m')" "$*" >&2
  exit "${EXIT_CODE:-1}"
}

# A process's start time in clock ticks since boot (field 22 of
# /proc/PID/stat); empty where there is no /proc.
start_time() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  # The command name (field 2) may hold spaces: cut up to its ") ".
  stat=${stat##*) }
  read -r -a fields <<<"$stat"
  echo "${fields[19]:-}"
}

# True when PID is a live process running our binary (not a reused PID),
# started at STARTED when that is known.
is_our_process() {
  local pid=$1 started=${2:-} exe
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -n "$started" ] && [ "$(start_time "$pid")" != "$started" ]; then
    return 1
  fi
  if [ -e "/proc/$pid/exe" ]; then
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    exe=${exe% (deleted)} # the binary was rebuilt while it ran
    [ "$(basename "$exe")" = "$NAME" ]
  else
    # No /proc (macOS): the command name, which ps may cut at 15 characters.
    [[ "$NAME" == "$(ps -p "$pid" -o comm= 2>/dev/null | xargs basename 2>/dev/null)"* ]]
  fi
}

# Prints the PID from the PID file when it is our live process; else fails.
running_pid() {
  local pid="" started=""
  [ -f "$PID_FILE" ] || return 1
  read -r pid started <"$PID_FILE" || [ -n "$pid" ] || return 1
  is_our_process "$pid" "$started" || return 1
  echo "$pid"
}

# The PID file's PID, for messages.
recorded_pid() {
  local pid
  read -r pid _ <"$PID_FILE" && echo "$pid"
}

base_url() {
  if [ -s "$URL_FILE" ]; then
    cat "$URL_FILE"
  else
    echo "http://${HOST:-127.0.0.1}:${PORT:-8000}"
  fi
}

# The URL for requests: a wildcard bind address is reached through loopback.
client_url() {
  base_url | sed -e 's#//0\.0\.0\.0:#//127.0.0.1:#' -e 's#//\[::\]:#//[::1]:#'
}

health_ok() {
  curl -fsS --max-time 2 -o /dev/null "$(client_url)/health" 2>/dev/null
}

remove_stale_pid_file() {
  if [ -f "$PID_FILE" ]; then
    warn "removing stale PID file $PID_FILE (PID $(recorded_pid) is not the $NAME this script started)"
    rm -f "$PID_FILE" "$URL_FILE"
  fi
}

cmd_start() {
  local pid
  if pid=$(running_pid); then
    ok "$NAME already running (PID $pid) at $(base_url)"
    return 0
  fi
  remove_stale_pid_file
  command -v curl >/dev/null || die "curl is required (apt-get install curl)"
  if [ ! -x "$BIN" ]; then
    warn "$BIN not found: building it (cargo build --release)"
    cargo build --release --bin "$NAME" || die "cargo build --release failed"
  fi
  mkdir -p "$RUN_DIR"
  [ -f "$LOG_FILE" ] && mv -f "$LOG_FILE" "$LOG_FILE.old"
  # nohup: the server outlives the shell that started it. Stdout (the
  # "listening on" banner) and stderr (the logs) both go to the log file.
  # The file exists before the server starts, so reading it below never races
  # the background shell's redirection.
  : >"$LOG_FILE"
  nohup "$BIN" "$@" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid $(start_time "$pid")" >"$PID_FILE"

  local deadline=$((SECONDS + STARTUP_TIMEOUT)) url=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE" "$URL_FILE"
      printf '%s\n' "--- last lines of $LOG_FILE ---" >&2
      tail -n 20 "$LOG_FILE" >&2 || true
      die "$NAME exited during start-up (see above; port in use? invalid setting?)"
    fi
    if [ -z "$url" ]; then
      url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$LOG_FILE" 2>/dev/null | head -n 1) || url=""
      [ -n "$url" ] && echo "$url" >"$URL_FILE"
    fi
    if [ -n "$url" ] && health_ok; then
      ok "$NAME started (PID $pid) at $url"
      ok "docs: $url/docs   log: $LOG_FILE"
      return 0
    fi
    sleep 0.2
  done
  warn "no healthy answer within ${STARTUP_TIMEOUT}s: stopping PID $pid"
  cmd_stop >/dev/null || true
  tail -n 20 "$LOG_FILE" >&2 || true
  die "$NAME did not become healthy within ${STARTUP_TIMEOUT}s"
}

cmd_stop() {
  local pid i
  if ! pid=$(running_pid); then
    remove_stale_pid_file
    ok "$NAME is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Graceful shutdown lets in-flight requests finish; give it 10 s.
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null && running_pid >/dev/null; then
    warn "PID $pid ignored SIGTERM for 10 s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  if kill -0 "$pid" 2>/dev/null; then
    die "could not stop PID $pid"
  fi
  rm -f "$PID_FILE" "$URL_FILE"
  ok "$NAME stopped (PID $pid)"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if health_ok; then
      ok "$NAME running (PID $pid) at $(base_url), healthy"
    else
      warn "$NAME running (PID $pid) at $(base_url), but /health does not answer 200"
      return 1
    fi
  else
    [ -f "$PID_FILE" ] && warn "stale PID file $PID_FILE (PID $(recorded_pid) is not the $NAME this script started)"
    printf '%s is not running\n' "$NAME"
    return 3
  fi
}

cmd_health() {
  local url body
  url="$(client_url)/health"
  if body=$(curl -fsS --max-time 5 "$url" 2>&1); then
    if command -v jq >/dev/null; then jq . <<<"$body"; else echo "$body"; fi
    ok "healthy: $url"
  else
    die "unhealthy: $url ($body)"
  fi
}

cmd_logs() {
  [ -f "$LOG_FILE" ] || die "no log file at $LOG_FILE (start the server first)"
  if [ "${1:-}" = "-f" ] || [ "${1:-}" = "--follow" ]; then
    exec tail -n "${LINES:-50}" -f "$LOG_FILE"
  fi
  tail -n "${LINES:-50}" "$LOG_FILE"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  restart)
    cmd_stop
    cmd_start "$@"
    ;;
  status) cmd_status ;;
  health) cmd_health ;;
  logs) cmd_logs "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
