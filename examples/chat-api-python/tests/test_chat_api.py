"""The chat API against a real mock-auth-server, through the pytest plugin:
the happy path, expiry (through the server's clock), a disabled user, an
outage with Retry-After, and every token of the bad-token catalogue."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mock_auth_server import MockAuthServer

from conftest import bearer

ALICE = "alice@example.com"


def test_a_signed_in_user_posts_and_reads_messages(chat: TestClient) -> None:
    login = chat.post("/api/login", json={"email": ALICE, "password": "password123"})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]

    posted = chat.post("/api/messages", json={"text": "hello"}, headers=bearer(token))
    assert posted.status_code == 201, posted.text
    assert posted.json()["author"] == {"id": "test-user-123", "name": "Alice Johnson"}

    read = chat.get("/api/messages", headers=bearer(token))
    assert [m["text"] for m in read.json()["messages"]] == ["hello"]
    assert chat.get("/api/profile", headers=bearer(token)).json()["email"] == ALICE


def test_no_token_and_a_refresh_token_are_refused(chat: TestClient, auth: MockAuthServer) -> None:
    missing = chat.get("/api/messages")
    assert (missing.status_code, missing.json()["code"]) == (401, "missing_token")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    refresh = auth.login(ALICE)["refresh_token"]
    wrong = chat.get("/api/messages", headers=bearer(refresh))
    assert (wrong.status_code, wrong.json()["code"]) == (401, "wrong_token_type")


def test_a_token_issued_31_minutes_ago_has_expired(chat: TestClient, auth: MockAuthServer) -> None:
    # The chat API reads its own clock, so the token is made in the past:
    # the server's clock goes back 31 minutes (the tokens live 30) for the
    # login, and comes back at the next reset.
    auth.advance_clock(-31 * 60)
    token = auth.login(ALICE)["access_token"]
    answer = chat.get("/api/messages", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "token_expired")


def test_the_auth_server_refuses_a_token_once_its_clock_passes_exp(
    chat: TestClient, auth: MockAuthServer
) -> None:
    token = auth.login(ALICE)["access_token"]
    assert chat.get("/api/profile", headers=bearer(token)).status_code == 200
    auth.advance_clock(31 * 60)
    answer = chat.get("/api/profile", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "token_expired")


def test_a_token_made_already_expired_is_refused(chat: TestClient, auth: MockAuthServer) -> None:
    token = auth.token(ALICE, expires_in=-60)
    answer = chat.get("/api/messages", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "token_expired")


def test_a_disabled_user_cannot_sign_in_and_the_online_check_refuses_their_token(
    chat: TestClient, auth: MockAuthServer
) -> None:
    user = auth.create_user(email="zoe@example.com", password="password123", name="Zoe")
    token = chat.post(
        "/api/login", json={"email": "zoe@example.com", "password": "password123"}
    ).json()["access_token"]

    auth.update_user(user["id"], disabled=True)

    login = chat.post("/api/login", json={"email": "zoe@example.com", "password": "password123"})
    assert (login.status_code, login.json()["code"]) == (401, "user_disabled")
    profile = chat.get("/api/profile", headers=bearer(token))
    assert (profile.status_code, profile.json()["code"]) == (401, "user_disabled")
    # An offline check cannot know: the token itself is still well signed
    # and unexpired. Routes that must stop a disabled user at once need the
    # online check (or short-lived tokens).
    assert chat.get("/api/messages", headers=bearer(token)).status_code == 200


def test_an_auth_outage_passes_retry_after_on_and_the_retry_succeeds(
    chat: TestClient, auth: MockAuthServer
) -> None:
    rule = auth.fault(
        match={"method": "POST", "route": "/api/auth/login"},
        status=503,
        retry_after=7,
        times=1,
    )
    credentials = {"email": ALICE, "password": "password123"}

    first = chat.post("/api/login", json=credentials)
    assert first.status_code == 503
    assert first.headers["retry-after"] == "7"
    assert chat.post("/api/login", json=credentials).status_code == 200

    # The mock's journal, newest first: the retry, then the injected 503.
    logins = auth.requests(route="/api/auth/login", limit=2)
    assert [entry["status"] for entry in logins] == [200, 503]
    assert str(logins[1]["fault"]["rule"]) == rule


def test_every_bad_token_of_the_catalogue_is_refused(chat: TestClient, auth: MockAuthServer) -> None:
    catalogue = auth.bad_token_cases(ALICE)
    valid = catalogue["valid"]["token"]
    assert chat.get("/api/messages", headers=bearer(valid)).status_code == 200

    accepted = []
    for case in catalogue["cases"]:
        # Offline cases must be refused by the local check; online ones
        # (revoked, deleted_user) only by asking the auth server.
        path = "/api/messages" if case["checked_by"] == "offline" else "/api/profile"
        answer = chat.get(path, headers=bearer(case["token"]))
        if answer.status_code != 401:
            accepted.append(f"{case['name']} ({case['checked_by']}): {answer.status_code}")
    assert not accepted, "accepted: " + ", ".join(accepted)
    names = {case["name"] for case in catalogue["cases"]}
    assert {"expired", "bad_signature", "alg_none", "wrong_issuer", "wrong_type"} <= names
    assert set(auth.bad_tokens(ALICE)) == names | {"valid"}
