"""Finding the ``mock-auth-server`` executable."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

#: The environment variable that names the binary to run, ahead of any search.
BINARY_ENV = "MOCK_AUTH_SERVER_BIN"

_NAME = "mock-auth-server" + (".exe" if os.name == "nt" else "")


def find_binary() -> str:
    """Returns the path of the ``mock-auth-server`` executable.

    In order: the file named by ``$MOCK_AUTH_SERVER_BIN``; the one the wheel
    installed beside this Python (the environment's scripts directory, then
    the user scheme's, for ``pip install --user``); the first on ``PATH``.
    The wheel's own copy comes before ``PATH`` so that a virtual environment
    runs the version it installed even when another is on ``PATH``.

    Raises:
        FileNotFoundError: when none of them is an executable file.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise FileNotFoundError(
            f"{BINARY_ENV}={override!r} is not an executable file"
        )
    for directory in _script_dirs():
        candidate = directory / _NAME
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(_NAME)
    if found:
        return found
    raise FileNotFoundError(
        "mock-auth-server is not installed: `pip install mock-auth-server` puts it "
        f"beside this Python, or set {BINARY_ENV} to the binary's path "
        "(e.g. target/release/mock-auth-server after `cargo build --release`)"
    )


def _script_dirs() -> list[Path]:
    """The directories a wheel's scripts land in, for this interpreter."""
    dirs = [Path(sys.executable).parent]
    for scheme in (None, f"{os.name}_user"):
        try:
            path = (
                sysconfig.get_path("scripts")
                if scheme is None
                else sysconfig.get_path("scripts", scheme)
            )
        except KeyError:
            continue
        if path and Path(path) not in dirs:
            dirs.append(Path(path))
    return dirs
