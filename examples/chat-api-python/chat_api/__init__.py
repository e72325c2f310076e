"""A small chat API that trusts mock-auth-server's tokens, as the real
chat-api does: an example to copy, with its pytest suite."""

from .app import Settings, create_app

__all__ = ["Settings", "create_app"]
