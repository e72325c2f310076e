#!/usr/bin/env bash
# End-to-end check of a running mock-auth-server with curl and jq, for CI
# pipelines: health, login, token extraction and claims, me, refresh
# (rotation and reuse refused), logout, error and delay simulation.
# Each step prints PASS or FAIL; the exit status is non-zero on any failure.
#
# Usage: scripts/test_mock.sh [BASE_URL]      (default $BASE_URL, else http://127.0.0.1:8000)
# Env:   WAIT_SECONDS  wait this long for /health before the first step (default 10)
#        TEST_EMAIL, TEST_PASSWORD  the user to log in as (default alice@example.com / password123)
# Needs: bash, curl, jq, base64.
set -uo pipefail

BASE_URL=${1:-${BASE_URL:-http://127.0.0.1:8000}}
BASE_URL=${BASE_URL%/}
WAIT_SECONDS=${WAIT_SECONDS:-10}
EMAIL=${TEST_EMAIL:-alice@example.com}
PASSWORD=${TEST_PASSWORD:-password123}

for tool in curl jq base64; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "test_mock.sh: $tool is required (apt-get install $tool)" >&2
    exit 2
  }
done

if [ -t 1 ]; then
  GREEN=$'\e[32m' RED=$'\e[31m' BOLD=$'\e[1m' RESET=$'\e[0m'
else
  GREEN="" RED="" BOLD="" RESET=""
fi

passed=0
failed=0
body_file=$(mktemp)
headers_file=$(mktemp)
trap 'rm -f "$body_file" "$headers_file"' EXIT

pass() {
  passed=$((passed + 1))
  printf '%sPASS%s %s\n' "$GREEN" "$RESET" "$1"
}

fail() {
  failed=$((failed + 1))
  printf '%sFAIL%s %s\n' "$RED" "$RESET" "$1"
  [ -n "${2:-}" ] && printf '     %s\n' "$2"
  return 0
}

# request METHOD PATH [curl args...]: sets STATUS, BODY, SECONDS_TAKEN, HEADERS.
request() {
  local method=$1 path=$2
  shift 2
  local out
  out=$(curl -sS -X "$method" -o "$body_file" -D "$headers_file" \
    -w '%{http_code} %{time_total}' "$@" "$BASE_URL$path" 2>&1) || out="000 0"
  STATUS=${out%% *}
  SECONDS_TAKEN=${out##* }
  BODY=$(cat "$body_file")
  HEADERS=$(tr -d '\r' <"$headers_file")
}

# json_post PATH JSON [curl args...]
json_post() {
  local path=$1 json=$2
  shift 2
  request POST "$path" -H 'Content-Type: application/json' -d "$json" "$@"
}

# check NAME EXPECTED_STATUS [JQ_FILTER]: the status matches and the filter
# (run on the body, with -e) is true. The filter may use $id (the user's id).
check() {
  local name=$1 expected=$2 filter=${3:-}
  if [ "$STATUS" != "$expected" ]; then
    fail "$name" "expected HTTP $expected, got $STATUS: ${BODY:0:300}"
    return 1
  fi
  if [ -n "$filter" ] && ! jq -e --arg id "${USER_ID:-}" "$filter" >/dev/null 2>&1 <<<"$BODY"; then
    fail "$name" "body does not satisfy jq '$filter': ${BODY:0:300}"
    return 1
  fi
  pass "$name"
}

# The payload of a JWT as JSON (base64url, padding restored).
jwt_payload() {
  local part
  part=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
  while [ $((${#part} % 4)) -ne 0 ]; do part="$part="; done
  base64 -d <<<"$part" 2>/dev/null
}

printf '%smock-auth-server end-to-end check against %s%s\n' "$BOLD" "$BASE_URL" "$RESET"

# --- health -----------------------------------------------------------------
deadline=$((SECONDS + WAIT_SECONDS))
while :; do
  request GET /health
  [ "$STATUS" = 200 ] || [ "$SECONDS" -ge "$deadline" ] && break
  sleep 0.5
done
check "GET /health is 200 and healthy" 200 '.status == "healthy" and (.users | type == "number")' || {
  printf '%s0 passed, 1 failed%s: the server does not answer at %s\n' "$RED" "$RESET" "$BASE_URL"
  exit 1
}
if grep -qi '^x-request-id: ' <<<"$HEADERS"; then
  pass "responses carry x-request-id"
else
  fail "responses carry x-request-id" "headers: $HEADERS"
fi

# --- login and tokens -------------------------------------------------------
login_json=$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')
json_post /api/auth/login "$login_json"
check "POST /api/auth/login is 200 with a token pair" 200 \
  '.token_type == "bearer" and (.access_token | length > 0) and (.refresh_token | length > 0) and .expires_in > 0 and (.user.id | length > 0)'
ACCESS=$(jq -r '.access_token // empty' <<<"$BODY")
REFRESH=$(jq -r '.refresh_token // empty' <<<"$BODY")
USER_ID=$(jq -r '.user.id // empty' <<<"$BODY")
if [ -n "$ACCESS" ] && [ -n "$REFRESH" ]; then
  pass "access and refresh tokens extracted"
else
  fail "access and refresh tokens extracted" "login body: ${BODY:0:300}"
fi

claims=$(jwt_payload "$ACCESS")
if jq -e --arg sub "$USER_ID" '.type == "access" and .sub == $sub and .exp > .iat and (.jti | length > 0) and (.iss | length > 0)' >/dev/null 2>&1 <<<"$claims"; then
  pass "access token claims: type=access, sub, iat < exp, jti, iss"
else
  fail "access token claims: type=access, sub, iat < exp, jti, iss" "payload: $claims"
fi
if jq -e '.type == "refresh"' >/dev/null 2>&1 <<<"$(jwt_payload "$REFRESH")"; then
  pass "refresh token claims: type=refresh"
else
  fail "refresh token claims: type=refresh" "payload: $(jwt_payload "$REFRESH")"
fi

json_post /api/auth/login "$(jq -nc --arg e "$EMAIL" '{email: $e, password: "wrong-password"}')"
check "login with a wrong password is 401 invalid_credentials" 401 '.code == "invalid_credentials"'

# --- me ---------------------------------------------------------------------
request GET /api/auth/me -H "Authorization: Bearer $ACCESS"
# shellcheck disable=SC2016 # $id is jq's variable, not the shell's
check "GET /api/auth/me with the access token is 200 with the user" 200 \
  '.id == $id and (.email | length > 0) and (.roles | type == "array") and (has("password") | not)'

request GET /api/auth/me
check "GET /api/auth/me without a token is 401 missing_token" 401 '.code == "missing_token"'
if grep -qi '^www-authenticate: Bearer' <<<"$HEADERS"; then
  pass "401 carries WWW-Authenticate: Bearer"
else
  fail "401 carries WWW-Authenticate: Bearer" "headers: $HEADERS"
fi

request GET /api/auth/me -H "Authorization: Bearer $REFRESH"
check "GET /api/auth/me with a refresh token is 401 wrong_token_type" 401 '.code == "wrong_token_type"'

# --- refresh and logout -----------------------------------------------------
json_post /api/auth/refresh "$(jq -nc --arg t "$REFRESH" '{refresh_token: $t}')"
# shellcheck disable=SC2016 # $id is jq's variable, not the shell's
check "POST /api/auth/refresh is 200 with a new pair" 200 \
  '(.access_token | length > 0) and (.refresh_token | length > 0) and .user.id == $id'
NEW_REFRESH=$(jq -r '.refresh_token // empty' <<<"$BODY")
if [ -n "$NEW_REFRESH" ] && [ "$NEW_REFRESH" != "$REFRESH" ]; then
  pass "refresh rotated the refresh token"
else
  fail "refresh rotated the refresh token" "old and new are equal or missing"
fi

json_post /api/auth/refresh "$(jq -nc --arg t "$REFRESH" '{refresh_token: $t}')"
check "reusing the old refresh token is 401 token_revoked" 401 '.code == "token_revoked"'

json_post /api/auth/logout "$(jq -nc --arg t "$NEW_REFRESH" '{refresh_token: $t}')"
check "POST /api/auth/logout is 204" 204

json_post /api/auth/refresh "$(jq -nc --arg t "$NEW_REFRESH" '{refresh_token: $t}')"
check "refresh after logout is 401 token_revoked" 401 '.code == "token_revoked"'

# --- error simulation -------------------------------------------------------
json_post "/api/auth/login?simulate_error=503" "$login_json"
check "?simulate_error=503 answers 503 simulated_error" 503 \
  '.code == "simulated_error" and .detail == "Simulated 503 error"'

request GET /api/auth/me -H "Authorization: Bearer $ACCESS" -H "X-Mock-Error: 500"
check "X-Mock-Error: 500 answers 500 simulated_error" 500 '.code == "simulated_error"'

request GET "/health?simulate_error=700"
check "an out-of-range simulate_error is 422 validation_error" 422 '.code == "validation_error"'

# --- delay simulation -------------------------------------------------------
# at_least SECONDS_TAKEN MS: true when the request took at least MS milliseconds.
at_least() { awk -v t="$1" -v ms="$2" 'BEGIN { exit !(t * 1000 >= ms) }'; }

request GET "/health?simulate_delay=400"
if check "?simulate_delay=400 answers 200" 200 '.status == "healthy"'; then
  if at_least "$SECONDS_TAKEN" 400; then
    pass "?simulate_delay=400 held the response ${SECONDS_TAKEN}s"
  else
    fail "?simulate_delay=400 held the response at least 400 ms" "took ${SECONDS_TAKEN}s"
  fi
fi

json_post /api/auth/login "$login_json" -H "X-Mock-Delay: 300"
if check "X-Mock-Delay: 300 on login answers 200" 200 '.access_token | length > 0'; then
  if at_least "$SECONDS_TAKEN" 300; then
    pass "X-Mock-Delay: 300 held the response ${SECONDS_TAKEN}s"
  else
    fail "X-Mock-Delay: 300 held the response at least 300 ms" "took ${SECONDS_TAKEN}s"
  fi
fi

request GET "/health?simulate_delay=200&simulate_error=502"
if check "delay and error together: 502 simulated_error" 502 '.code == "simulated_error"'; then
  if at_least "$SECONDS_TAKEN" 200; then
    pass "delay and error together: the delay came first (${SECONDS_TAKEN}s)"
  else
    fail "delay and error together: the delay came first" "took ${SECONDS_TAKEN}s"
  fi
fi

# --- summary ----------------------------------------------------------------
if [ "$failed" -eq 0 ]; then
  printf '%stest_mock: %d passed, %d failed%s\n' "$GREEN" "$passed" "$failed" "$RESET"
else
  printf '%stest_mock: %d passed, %d failed%s\n' "$RED" "$passed" "$failed" "$RESET"
fi
[ "$failed" -eq 0 ]
