"""Schemathesis hooks for scripts/schemathesis.sh.

The fault-injection knobs (``simulate_error``, ``simulate_delay`` and the
``X-Mock-Error`` / ``X-Mock-Delay`` headers) ask the server for a 5xx or for
a delay of up to 60 s. Generated values for them would make a requested 5xx
look like a server bug and stretch a bounded run past its budget, so they are
removed from every generated case; the Rust tests and the soak cover them.
The token-fault knob (``mock_token_fault`` / ``X-Mock-Token-Fault``) takes
only the catalogue's names and asks for a defective token on purpose, so it
is removed too (tests/api/dev_control.rs covers it).
"""

import schemathesis

FAULT_QUERY = {"simulate_error", "simulate_delay", "mock_token_fault"}
FAULT_HEADERS = {"x-mock-error", "x-mock-delay", "x-mock-token-fault"}


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
