"""Helpers shared by the plugin's tests."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import pytest


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the tests only read it)."""
    return _segment(token, 1)


def header_of(token: str) -> dict[str, Any]:
    """A JWT's header, unverified."""
    return _segment(token, 0)


def is_alive(pid: int) -> bool:
    """Whether a process with this id still runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    """True once the process has exited, within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.05)
    return False


def read_pids(pytester: pytest.Pytester) -> list[int]:
    """The pids the inner test session wrote to ``pids.txt``."""
    path = pytester.path / "pids.txt"
    return [int(line) for line in path.read_text().split()] if path.exists() else []
