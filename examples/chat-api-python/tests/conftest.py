"""The chat API under test, wired to the plugin's mock auth server.

``mock_auth_reset`` gives every test a server as at start (users, clock,
fault rules), so tests can change it freely; the chat API is configured from
the server's own attributes, so its secret, issuer and algorithm cannot
drift from the server's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from chat_api import Settings, create_app
from mock_auth_server import MockAuthServer


@pytest.fixture
def auth(mock_auth_reset: MockAuthServer) -> MockAuthServer:
    """The mock auth server, reset before this test."""
    return mock_auth_reset


@pytest.fixture
def chat(auth: MockAuthServer) -> Iterator[TestClient]:
    """A client of the chat API, which trusts ``auth``'s tokens."""
    settings = Settings(
        jwt_secret=auth.secret,
        jwt_issuer=auth.issuer,
        jwt_algorithm=auth.algorithm,
        auth_url=auth.url,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
