"""The pytest plugin, run on inner test sessions with ``pytester``: the
fixtures start and stop servers, settings reach them, and a failing test
still stops its server and shows its log."""

from __future__ import annotations

import pytest

from conftest import read_pids, wait_gone

RECORD = """
def record(server):
    with open("pids.txt", "a") as pids:
        pids.write(f"{server.pid}\\n")
"""


def test_mock_auth_is_one_server_for_the_session_stopped_at_its_end(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        RECORD
        + """
def test_one(mock_auth):
    record(mock_auth)
    assert mock_auth.login("alice@example.com")["user"]["id"] == "test-user-123"

def test_two(mock_auth):
    record(mock_auth)
    assert mock_auth.url.startswith("http://127.0.0.1:")
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)
    pids = read_pids(pytester)
    assert len(pids) == 2 and len(set(pids)) == 1, pids
    assert wait_gone(pids[0]), "the session's server outlived the session"


def test_a_failing_test_still_stops_its_server_and_shows_its_log(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        RECORD
        + """
def test_fails(mock_auth_factory):
    server = mock_auth_factory()
    record(server)
    server.login("alice@example.com")
    assert False, "the chat-api refused the token"
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- mock-auth-server log (http://127.0.0.1:*) -*",
            "listening on http://127.0.0.1:*",
            "*path=/api/auth/login*",
            "(full log: *server.log)",
        ]
    )
    [pid] = read_pids(pytester)
    assert wait_gone(pid), "the failing test's server was not stopped"


def test_the_session_servers_log_in_a_report_begins_with_the_failing_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        RECORD
        + """
def test_passes(mock_auth):
    mock_auth.request("GET", "/api/auth/users", expect=(200,))

def test_fails(mock_auth):
    record(mock_auth)
    mock_auth.login("bob@example.com")
    assert False
"""
    )
    reprec = pytester.inline_run()
    reprec.assertoutcome(passed=1, failed=1)
    reports = {r.nodeid.split("::")[-1]: r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}
    assert not [s for s in reports["test_passes"].sections if "mock-auth-server" in s[0]]
    [(title, text)] = [s for s in reports["test_fails"].sections if "mock-auth-server" in s[0]]
    assert title.startswith("mock-auth-server log (http://127.0.0.1:")
    assert "/api/auth/login" in text
    assert "/api/auth/users" not in text and "listening on" not in text, text
    [pid] = read_pids(pytester)
    assert wait_gone(pid)


def test_the_factory_runs_two_servers_at_once_with_their_own_settings(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        RECORD
        + """
def test_two(mock_auth_factory):
    short = mock_auth_factory(ACCESS_TOKEN_EXPIRE_MINUTES=1)
    longer = mock_auth_factory(access_token_expire_minutes=2)
    record(short)
    record(longer)
    assert short.port != longer.port
    assert short.login("alice@example.com")["expires_in"] == 60
    assert longer.login("alice@example.com")["expires_in"] == 120
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)
    pids = read_pids(pytester)
    assert len(set(pids)) == 2
    assert all(wait_gone(pid) for pid in pids)


def test_command_line_settings_reach_the_session_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
def test_expiry(mock_auth):
    assert mock_auth.login("alice@example.com")["expires_in"] == 300
    assert mock_auth.issuer == "chat-tests"
"""
    )
    result = pytester.runpytest(
        "--mock-auth-setting", "ACCESS_TOKEN_EXPIRE_MINUTES=5",
        "--mock-auth-setting", "JWT_ISSUER=chat-tests",
    )
    result.assert_outcomes(passed=1)


def test_ini_settings_reach_the_server_and_the_command_line_wins(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        """
[pytest]
mock_auth_settings =
    # one KEY=VALUE a line
    ACCESS_TOKEN_EXPIRE_MINUTES=5
    JWT_ISSUER=from-ini
"""
    )
    pytester.makepyfile(
        """
def test_settings(mock_auth):
    assert mock_auth.login("alice@example.com")["expires_in"] == 300
    assert mock_auth.issuer == "from-cli"
"""
    )
    pytester.runpytest("--mock-auth-setting", "JWT_ISSUER=from-cli").assert_outcomes(passed=1)


def test_a_setting_without_equals_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--mock-auth-setting", "ACCESS_TOKEN_EXPIRE_MINUTES")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mock-auth-setting: expected KEY=VALUE*"])


def test_a_server_that_cannot_start_errors_the_test_with_its_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_needs_it(mock_auth): pass")
    result = pytester.runpytest("--mock-auth-setting", "MOCK_ERROR_RATE=2")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*exited with status 2 before it listened*", "*MOCK_ERROR_RATE*"])


def test_tests_without_the_fixtures_start_no_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile("def test_plain(): pass")
    # A binary that does not exist: any start would error.
    monkeypatch.setenv("MOCK_AUTH_SERVER_BIN", "/nonexistent/mock-auth-server")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_mock_auth_reset_without_dev_endpoints_says_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_reset(mock_auth_reset): pass")
    result = pytester.runpytest("--mock-auth-setting", "ENABLE_DEV_ENDPOINTS=false")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*answered 404*mock_auth_reset needs the control plane*"])


@pytest.mark.control_plane
def test_mock_auth_reset_gives_each_test_the_initial_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest
from mock_auth_server import MockAuthError

def test_registers(mock_auth_reset):
    mock_auth_reset.request("POST", "/api/auth/register", expect=(201,), json_body={
        "email": "zoe@example.com", "password": "password123", "name": "Zoe"})
    mock_auth_reset.login("zoe@example.com")

def test_starts_clean(mock_auth_reset):
    with pytest.raises(MockAuthError):
        mock_auth_reset.login("zoe@example.com")
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
