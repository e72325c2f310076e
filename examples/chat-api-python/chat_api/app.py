"""The chat API: messages for signed-in users, a login that goes through the
auth server, and a profile that asks the auth server about the token.

Run it: ``AUTH_URL=http://127.0.0.1:8000 uvicorn chat_api.app:app``.
"""

# No `from __future__ import annotations`: FastAPI reads the routes'
# annotations at run time, and they name dependencies local to create_app.

import itertools
import os
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import httpx2 as httpx
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .auth import TokenRules, Unauthorized, verify_access_token


@dataclass(frozen=True)
class Settings:
    """The chat API's configuration; :meth:`from_env` reads the environment."""

    jwt_secret: str = "dev-secret-key-change-in-production"
    jwt_issuer: str = "mock-auth-server"
    jwt_algorithm: str = "HS256"
    jwt_audience: Optional[str] = None
    #: The auth server, for login and the online token check.
    auth_url: str = "http://127.0.0.1:8000"
    #: Seconds a call to the auth server may take.
    auth_timeout: float = 5.0

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            jwt_secret=env.get("JWT_SECRET", cls.jwt_secret),
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_algorithm=env.get("JWT_ALGORITHM", cls.jwt_algorithm),
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            auth_url=env.get("AUTH_URL", cls.auth_url).rstrip("/"),
        )

    def token_rules(self) -> TokenRules:
        return TokenRules(
            secret=self.jwt_secret,
            issuer=self.jwt_issuer,
            algorithm=self.jwt_algorithm,
            audience=self.jwt_audience,
        )


class Credentials(BaseModel):
    email: str
    password: str


class NewMessage(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@dataclass
class Store:
    """Messages in memory (an example needs no database)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)


def _refused(code: str, detail: str, status: int = 401) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "code": code},
        status_code=status,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{detail}"'}
        if status == 401
        else None,
    )


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    """The application, configured by ``settings`` (default: the environment)."""
    settings = settings or Settings.from_env()
    rules = settings.token_rules()
    auth = httpx.Client(base_url=settings.auth_url, timeout=settings.auth_timeout)
    store = Store()
    app = FastAPI(title="chat-api (example)")

    @app.exception_handler(Unauthorized)
    def unauthorized(_request: Request, error: Unauthorized) -> JSONResponse:
        return _refused(error.code, error.detail)

    def bearer(authorization: Annotated[Optional[str], Header()] = None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing_token", "a bearer token is required")
        return token.strip()

    def current_user(token: Annotated[str, Depends(bearer)]) -> dict[str, Any]:
        return verify_access_token(token, rules)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/login")
    def login(credentials: Credentials) -> Response:
        """Signs in through the auth server; its answer is passed through,
        ``Retry-After`` included when it is unavailable."""
        try:
            answer = auth.post("/api/auth/login", json=credentials.model_dump())
        except httpx.HTTPError as error:
            return JSONResponse(
                {"detail": f"the auth server is unreachable: {error}", "code": "auth_unavailable"},
                status_code=502,
            )
        headers = {}
        if "retry-after" in answer.headers:
            headers["Retry-After"] = answer.headers["retry-after"]
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type="application/json",
            headers=headers,
        )

    @app.get("/api/messages")
    def list_messages(user: Annotated[dict[str, Any], Depends(current_user)]) -> dict[str, Any]:
        """The messages; any valid access token may read them (checked offline)."""
        with store.lock:
            return {"messages": list(store.messages), "reader": user["sub"]}

    @app.post("/api/messages", status_code=201)
    def post_message(
        message: NewMessage, user: Annotated[dict[str, Any], Depends(current_user)]
    ) -> dict[str, Any]:
        with store.lock:
            entry = {
                "id": next(store.ids),
                "text": message.text,
                "author": {"id": user["sub"], "name": user.get("name")},
            }
            store.messages.append(entry)
        return entry

    @app.get("/api/profile")
    def profile(
        token: Annotated[str, Depends(bearer)],
        _claims: Annotated[dict[str, Any], Depends(current_user)],
    ) -> Response:
        """The user as the auth server knows them now: an online check, which
        also refuses revoked tokens and deleted or disabled users."""
        try:
            answer = auth.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            return JSONResponse(
                {"detail": f"the auth server is unreachable: {error}", "code": "auth_unavailable"},
                status_code=502,
            )
        if answer.status_code == 401:
            body = answer.json()
            return _refused(body.get("code", "invalid_token"), body.get("detail", "refused"))
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    app.state.settings = settings
    return app


#: For ``uvicorn chat_api.app:app``: configured from the environment.
app = create_app()
