"""Schemathesis hooks for scripts/schemathesis.sh.

The fault-injection knobs (``simulate_error``, ``simulate_delay`` and the
``X-Mock-Error`` / ``X-Mock-Delay`` headers) ask the server for a 5xx or for
a delay of up to 60 s. Generated values for them would make a requested 5xx
look like a server bug and stretch a bounded run past its budget, so they are
removed from every generated case; the Rust tests and the soak cover them.
The token-fault knob (``mock_token_fault`` / ``X-Mock-Token-Fault``) takes
only the catalogue's names and asks for a defective token on purpose, so it
is removed too (tests/api/dev_control.rs covers it).

The control plane (``/api/dev/*``) changes how every other operation answers:
a fuzzed fault rule turns the next login into a simulated 503, a fuzzed clock
expires the run's own token, a generated key set or user set outlives the
case. So every case that may have changed the server's state is followed by
``POST /api/dev/reset`` (API.md section 10: users, clock, fault rules, global
knobs, keys, settings, sessions and journal back as at start), and each case
meets the server as it started.
"""

import os
import threading
import urllib.request

import schemathesis

FAULT_QUERY = {"simulate_error", "simulate_delay", "mock_token_fault"}
FAULT_HEADERS = {"x-mock-error", "x-mock-delay", "x-mock-token-fault"}

# The server under test, exported by scripts/schemathesis.sh.
BASE = os.environ.get("MOCK_AUTH_BASE", "http://127.0.0.1:8000")

# Operations that change server state others see. GETs change nothing; the
# Part I dev reset and metrics reset only undo what a case did anyway.
STATEFUL_PREFIXES = ("/api/dev/",)

# The journal's live stream ends only at shutdown; schemathesis reads an
# event stream until `max-stream-events` events came (schemathesis.toml sets
# 1 for it) or the request timeout passes. One request made meanwhile puts
# one event on it, so each case ends at once and its event is checked
# against the documented event schema.
STREAM_PATH = "/api/dev/requests/stream"
STREAM_NUDGE_DELAY_S = 0.3


@schemathesis.hook
def map_case(context, case):
    if case.query:
        for name in list(case.query):
            if name in FAULT_QUERY:
                del case.query[name]
    if case.headers:
        for name in list(case.headers):
            if name.lower() in FAULT_HEADERS:
                del case.headers[name]
    return case


def _password_lengths_disagree(value):
    """Whether JSON Schema's length (characters) and the contract's (UTF-8
    bytes, API.md section 4) fall on different sides of the 8..72 window."""
    if not isinstance(value, str):
        return False
    chars_ok = 8 <= len(value) <= 72
    try:
        bytes_ok = 8 <= len(value.encode("utf-8")) <= 72
    except UnicodeEncodeError:
        # A lone surrogate: not UTF-8 at all, refused by the JSON parser.
        return False
    return chars_ok != bytes_ok


def _delays_out_of_order(body):
    """Whether a knobs PUT would leave the delay's minimum above its maximum,
    against the start state every case meets (both 0): the server refuses
    that with 422, a rule between two fields that no JSON Schema states."""
    if not isinstance(body, dict):
        return False
    low, high = body.get("delay_min_ms"), body.get("delay_max_ms")
    low = 0 if low is None else low
    high = 0 if high is None else high
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
    return numbers and 0 <= high <= 60000 and 0 <= low <= 60000 and low > high


@schemathesis.hook
def filter_case(context, case):
    # JSON Schema has no byte length: `minLength`/`maxLength` count
    # characters, so a password of 4 three-byte characters is schema-invalid
    # and yet 12 bytes the server rightly accepts, and 72 such characters
    # are schema-valid and 216 bytes it rightly refuses. No schema can draw
    # that line, so only those few cases are left out; ASCII and every
    # password whose two lengths agree are still sent. The byte rule itself
    # is tested in src/validation.rs and tests/api/auth.rs.
    body = case.body
    if case.path == "/api/dev/faults/global" and _delays_out_of_order(body):
        return False
    if isinstance(body, dict) and _password_lengths_disagree(body.get("password")):
        return case.path not in (
            "/api/auth/register",
            "/api/dev/users",
            "/api/dev/users/{id}",
            "/api/dev/users/generate",
        )
    return True


def _post(path):
    request = urllib.request.Request(BASE + path, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _get(path):
    with urllib.request.urlopen(BASE + path, timeout=10) as response:
        response.read()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.path == STREAM_PATH:
        timer = threading.Timer(STREAM_NUDGE_DELAY_S, _get, args=("/health",))
        timer.daemon = True
        timer.start()


@schemathesis.hook
def after_call(context, case, response):
    if case.method.upper() != "GET" and case.path.startswith(STATEFUL_PREFIXES):
        _post("/api/dev/reset")
