"""The helpers that drive the control plane (contract section 10), against
the real server. Each test starts from a reset server (``mock_auth_reset``)."""

from __future__ import annotations

import json

import pytest

from mock_auth_server import MockAuthError, MockAuthServer

from conftest import claims_of, header_of

pytestmark = pytest.mark.control_plane

ALICE = "alice@example.com"
#: The catalogue's cases for an HS256 server without an audience.
HS256_CASES = {
    "expired", "not_yet_valid", "bad_signature", "alg_none", "wrong_algorithm",
    "wrong_issuer", "missing_exp", "wrong_type", "malformed", "revoked", "deleted_user",
}


def me(server: MockAuthServer, token: str) -> int:
    return server.request("GET", "/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status


def test_token_makes_a_token_exactly_as_asked(mock_auth_reset: MockAuthServer) -> None:
    token = mock_auth_reset.token(ALICE, expires_in=60, claims={"tenant": "acme"})
    claims = claims_of(token)
    assert claims["sub"] == "test-user-123" and claims["tenant"] == "acme"
    assert claims["exp"] - claims["iat"] == 60
    assert (claims["iss"], claims["type"]) == (mock_auth_reset.issuer, "access")
    assert me(mock_auth_reset, token) == 200
    unsigned = mock_auth_reset.token(ALICE, sign="none")
    assert header_of(unsigned)["alg"] == "none"
    assert me(mock_auth_reset, unsigned) == 401


def test_bad_tokens_are_the_catalogue_and_the_server_refuses_each(
    mock_auth_reset: MockAuthServer,
) -> None:
    tokens = mock_auth_reset.bad_tokens(ALICE)
    assert set(tokens) == HS256_CASES | {"valid"}
    assert me(mock_auth_reset, tokens.pop("valid")) == 200
    accepted = [name for name, token in tokens.items() if me(mock_auth_reset, token) != 401]
    assert not accepted


def test_advance_clock_moves_the_time_tokens_are_issued_at(mock_auth_reset: MockAuthServer) -> None:
    before = claims_of(mock_auth_reset.login(ALICE)["access_token"])["iat"]
    clock = mock_auth_reset.advance_clock(3600)
    assert 3599 <= clock["offset_seconds"] <= 3601  # whole seconds, rounded either way
    after = claims_of(mock_auth_reset.login(ALICE)["access_token"])["iat"]
    assert 3590 <= after - before <= 3610


def test_advance_clock_past_exp_expires_a_token(mock_auth_reset: MockAuthServer) -> None:
    token = mock_auth_reset.login(ALICE)["access_token"]
    mock_auth_reset.advance_clock(31 * 60)
    answer = mock_auth_reset.request("GET", "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status, answer.json()["code"]) == (401, "token_expired")


def test_fault_adds_a_rule_that_answers_with_retry_after_then_recovers(
    mock_auth_reset: MockAuthServer,
) -> None:
    rule = mock_auth_reset.fault(
        match={"method": "POST", "route": "/api/auth/login"}, status=503, retry_after=3, times=1
    )
    rules = mock_auth_reset.request("GET", "/api/dev/faults", expect=(200,)).json()["rules"]
    assert [str(r["id"]) for r in rules] == [rule]
    with pytest.raises(MockAuthError) as refused:
        mock_auth_reset.login(ALICE)
    assert (refused.value.status, refused.value.code) == (503, "simulated_error")
    body = {"email": ALICE, "password": "password123"}
    assert mock_auth_reset.login(ALICE)["user"]["id"] == "test-user-123"
    # The header itself, on a fresh rule:
    mock_auth_reset.fault(match={"route": "/api/auth/login"}, status=503, retry_after=3, times=1)
    answer = mock_auth_reset.request("POST", "/api/auth/login", json_body=body)
    assert (answer.status, answer.headers.get("retry-after")) == (503, "3")


def test_create_user_makes_a_user_who_can_sign_in(mock_auth_reset: MockAuthServer) -> None:
    user = mock_auth_reset.create_user(
        email="zoe@example.com", password="password123", name="Zoe", roles=["user", "beta"]
    )
    assert user["roles"] == ["user", "beta"]
    assert mock_auth_reset.login("zoe@example.com")["user"]["id"] == user["id"]
    disabled = mock_auth_reset.update_user(user["id"], disabled=True)
    assert disabled["id"] == user["id"]
    with pytest.raises(MockAuthError) as refused:
        mock_auth_reset.login("zoe@example.com")
    assert refused.value.code == "user_disabled"


def test_requests_reads_the_journal_newest_first_without_secrets(
    mock_auth_reset: MockAuthServer,
) -> None:
    mock_auth_reset.login(ALICE)
    with pytest.raises(MockAuthError):
        mock_auth_reset.login(ALICE, "wrong-password")
    logins = mock_auth_reset.requests(route="/api/auth/login")
    assert [entry["status"] for entry in logins[:2]] == [401, 200]
    assert logins[1]["user"] == "test-user-123" and logins[0]["user"] is None
    assert "password123" not in json.dumps(logins)
    assert len(mock_auth_reset.requests(route="/api/auth/login", limit=1)) == 1


def test_reset_puts_users_clock_and_rules_back(mock_auth_reset: MockAuthServer) -> None:
    mock_auth_reset.create_user(email="zoe@example.com", password="password123", name="Zoe")
    mock_auth_reset.advance_clock(600)
    mock_auth_reset.fault(match={"route": "/api/auth/me"}, status=500)
    mock_auth_reset.reset()
    with pytest.raises(MockAuthError):
        mock_auth_reset.login("zoe@example.com")
    clock = mock_auth_reset.request("GET", "/api/dev/clock", expect=(200,)).json()
    assert clock["offset_seconds"] == 0
    assert mock_auth_reset.request("GET", "/api/dev/faults", expect=(200,)).json()["rules"] == []


def test_helpers_send_the_dev_api_key(mock_auth_factory) -> None:  # type: ignore[no-untyped-def]
    server = mock_auth_factory(DEV_API_KEY="a-key-for-the-tests")
    assert server.token(ALICE)
    bare = server.request("GET", "/api/dev/faults", headers={"x-dev-api-key": ""})
    assert bare.status == 401
