"""`MockAuthServer` on its own: start, stop, settings, attributes, errors,
and the package's entry points (``python -m``, the binary lookup)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import mock_auth_server
from mock_auth_server import BINARY_ENV, MockAuthError, MockAuthServer, find_binary

from conftest import claims_of, header_of, is_alive


def test_a_server_starts_on_a_free_port_and_answers_before_start_returns() -> None:
    with MockAuthServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.port != 8000
        assert server.request("GET", "/health").json()["status"] == "healthy"
        assert server.jwks_url == server.url + "/.well-known/jwks.json"


def test_stop_sends_sigterm_and_the_server_exits_0() -> None:
    server = MockAuthServer().start()
    pid = server.pid
    assert pid is not None and is_alive(pid)
    assert server.stop() == 0
    assert not is_alive(pid)
    assert server.stop() == 0, "a second stop is harmless"


def test_two_servers_run_at_once_on_distinct_ports() -> None:
    with MockAuthServer() as one, MockAuthServer() as two:
        assert one.port != two.port
        assert one.login("alice@example.com")["user"]["email"] == "alice@example.com"
        assert two.login("bob@example.com")["user"]["email"] == "bob@example.com"


def test_settings_reach_the_server() -> None:
    with MockAuthServer({"access_token_expire_minutes": 5, "JWT_ISSUER": "chat-tests"}) as server:
        pair = server.login("alice@example.com")
        assert pair["expires_in"] == 300
        assert claims_of(pair["access_token"])["iss"] == "chat-tests" == server.issuer


def test_attributes_say_how_the_tokens_are_signed() -> None:
    with MockAuthServer({"JWT_SECRET": "s3cret", "JWT_ALGORITHM": "HS384"}) as server:
        assert (server.secret, server.algorithm) == ("s3cret", "HS384")
        token = server.login("alice@example.com")["access_token"]
        assert header_of(token)["alg"] == "HS384"


def test_defaults_are_the_contracts() -> None:
    server = MockAuthServer()
    assert server.issuer == "mock-auth-server"
    assert server.secret == "dev-secret-key-change-in-production"
    assert server.algorithm == "HS256"


def test_a_refused_request_raises_with_the_contracts_code() -> None:
    with MockAuthServer() as server:
        with pytest.raises(MockAuthError) as refused:
            server.login("alice@example.com", "wrong-password")
        assert (refused.value.status, refused.value.code) == (401, "invalid_credentials")


def test_port_and_host_of_the_environment_do_not_leak_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("HOST", "0.0.0.0")
    with MockAuthServer() as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port != 1


def test_a_bad_setting_fails_start_with_the_servers_own_message() -> None:
    with pytest.raises(RuntimeError) as failed:
        MockAuthServer({"MOCK_ERROR_RATE": "2"}).start()
    message = str(failed.value)
    assert "exited with status" in message and "MOCK_ERROR_RATE" in message


def test_the_binary_override_is_used_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = find_binary()
    monkeypatch.setenv(BINARY_ENV, installed)
    assert find_binary() == installed
    monkeypatch.setenv(BINARY_ENV, "/nonexistent/mock-auth-server")
    with pytest.raises(FileNotFoundError, match=BINARY_ENV):
        find_binary()


def test_the_wheels_binary_is_found_beside_this_python() -> None:
    # The suite runs in a venv with the wheel installed: its scripts
    # directory holds the binary, whatever PATH says.
    assert find_binary().startswith(sys.prefix)


def test_python_m_runs_the_binary_with_its_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_auth_server", "--version"],
        capture_output=True, text=True, check=True, timeout=30,
    )
    assert done.stdout.strip() == f"mock-auth-server {mock_auth_server.__version__}"
    assert mock_auth_server.__version__ != "0+unknown"


def test_python_m_without_a_binary_says_where_to_get_one() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_auth_server", "--version"],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, BINARY_ENV: "/nonexistent/mock-auth-server"},
    )
    assert done.returncode == 2
    assert BINARY_ENV in done.stderr and done.stdout == ""


@pytest.mark.jwks
def test_jwks_url_serves_the_public_keys() -> None:
    with MockAuthServer({"JWT_ALGORITHM": "RS256"}) as server:
        keys = server.request("GET", server.jwks_url[len(server.url):], expect=(200,)).json()["keys"]
        token = server.login("alice@example.com")["access_token"]
        assert header_of(token)["kid"] in {key["kid"] for key in keys}
