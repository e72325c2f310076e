"""mock-auth-server for Python: the server's binary, a client for its
control plane, and a pytest plugin.

``pip install mock-auth-server`` puts the ``mock-auth-server`` executable on
the environment's ``PATH`` and installs this package, whose pytest plugin
(loaded automatically) provides the ``mock_auth``, ``mock_auth_factory`` and
``mock_auth_reset`` fixtures. Outside pytest, :class:`MockAuthServer` starts
and stops a server::

    from mock_auth_server import MockAuthServer

    with MockAuthServer({"ACCESS_TOKEN_EXPIRE_MINUTES": 5}) as server:
        token = server.login("alice@example.com")["access_token"]

Nothing but the standard library is needed at run time.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from ._binary import BINARY_ENV, find_binary
from ._server import MockAuthError, MockAuthServer, Response, normalize_settings

try:
    #: The package's version: the Rust crate's, which maturin copies from
    #: Cargo.toml into the wheel's metadata (it is written nowhere else).
    __version__ = _metadata.version("mock-auth-server")
except _metadata.PackageNotFoundError:  # imported from a source tree
    __version__ = "0+unknown"

__all__ = [
    "BINARY_ENV",
    "MockAuthError",
    "MockAuthServer",
    "Response",
    "__version__",
    "find_binary",
    "normalize_settings",
]
