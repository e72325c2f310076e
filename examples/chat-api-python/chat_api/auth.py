"""Verifying the auth server's access tokens, offline: the same secret, the
algorithm pinned (never read from the token's header), ``exp`` required,
``iss`` checked (``aud`` too when configured), and only ``type == "access"``.

This is the check the mock-auth-server README asks of the chat-api. What no
offline check can see (a revoked token, a deleted or disabled user) needs a
question to the auth server: see ``/api/profile`` in ``app.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import jwt


@dataclass(frozen=True)
class TokenRules:
    """How tokens are verified; the values must match the auth server's."""

    secret: str
    issuer: str = "mock-auth-server"
    algorithm: str = "HS256"
    audience: Optional[str] = None
    #: Seconds of clock skew tolerated on ``exp`` and ``nbf``.
    leeway: int = 5


class Unauthorized(Exception):
    """A refused token: ``code`` and ``detail`` as the auth server words them."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def verify_access_token(token: str, rules: TokenRules) -> dict[str, Any]:
    """The token's claims, or :class:`Unauthorized` saying why it is refused."""
    try:
        claims = jwt.decode(
            token,
            rules.secret,
            algorithms=[rules.algorithm],
            issuer=rules.issuer,
            audience=rules.audience,
            leeway=rules.leeway,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token_expired", "the token has expired") from None
    except jwt.InvalidTokenError as error:
        raise Unauthorized("invalid_token", f"invalid token: {error}") from None
    if claims.get("type") != "access":
        raise Unauthorized("wrong_token_type", "not an access token")
    return claims
