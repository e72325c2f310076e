"""The pytest plugin (entry point ``pytest11``): a mock auth server per test
session, more on demand, and their logs in the report of a failing test.

Fixtures:

``mock_auth`` (session scope)
    A running :class:`~mock_auth_server.MockAuthServer` on a free port, with
    the settings of the ``mock_auth_settings`` ini option (one ``KEY=VALUE``
    a line), then those of ``--mock-auth-setting KEY=VALUE`` (repeatable;
    the command line wins).
``mock_auth_reset`` (function scope)
    ``mock_auth``, after ``POST /api/dev/reset``: each test that asks for it
    starts from the server's initial state.
``mock_auth_factory`` (function scope)
    ``mock_auth_factory(**settings)`` starts another server with these
    settings only (not the ini's), stopped after the test.

Every server is stopped (SIGTERM, then SIGKILL) at teardown, whatever the
test's outcome. When a test fails, the output of each server it used (for
the session server: from the test's start on) is added to its report as a
section ``mock-auth-server log (URL)``.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Any, Protocol

import pytest

from ._server import MockAuthError, MockAuthServer

_SESSION_SERVER = pytest.StashKey[MockAuthServer]()
_USED = pytest.StashKey[list[MockAuthServer]]()
_STARTED = pytest.StashKey[float]()


class MockAuthFactory(Protocol):
    """The type of the ``mock_auth_factory`` fixture."""

    def __call__(self, **settings: object) -> MockAuthServer:
        """Starts a server with these settings (environment variable names)."""
        ...


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mock-auth-server")
    group.addoption(
        "--mock-auth-setting",
        action="append",
        default=[],
        dest="mock_auth_setting",
        metavar="KEY=VALUE",
        help="a setting of the mock_auth server, e.g. ACCESS_TOKEN_EXPIRE_MINUTES=5 "
        "(repeatable; overrides the mock_auth_settings ini option)",
    )
    parser.addini(
        "mock_auth_settings",
        type="linelist",
        default=[],
        help="settings of the mock_auth server, one KEY=VALUE a line",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Fail at start-up, not in the first test, on a malformed setting.
    _configured_settings(config)


def _parse(line: str, where: str) -> tuple[str, str]:
    key, sep, value = line.partition("=")
    if not sep or not key.strip():
        raise pytest.UsageError(f"{where}: expected KEY=VALUE, got {line!r}")
    return key.strip().upper(), value.strip()


def _configured_settings(config: pytest.Config) -> dict[str, str]:
    """The ini option's settings, then the command line's over them."""
    settings: dict[str, str] = {}
    for line in config.getini("mock_auth_settings"):
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = _parse(line, "mock_auth_settings")
            settings[key] = value
    for line in config.getoption("mock_auth_setting") or []:
        key, value = _parse(line, "--mock-auth-setting")
        settings[key] = value
    return settings


def _start(settings: dict[str, Any], tmp: pytest.TempPathFactory) -> MockAuthServer:
    # The log lives in pytest's temporary directory: it outlives the server
    # (a teardown failure still shows it) and the last runs' logs are kept.
    directory = tmp.mktemp("mock-auth-server")
    server = MockAuthServer(settings, log_path=directory / "server.log")
    return server.start()


@pytest.fixture(scope="session")
def mock_auth(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockAuthServer]:
    """A mock auth server for the whole session (settings: ini, then CLI)."""
    config = request.config
    server = _start(_configured_settings(config), tmp_path_factory)
    config.stash[_SESSION_SERVER] = server
    try:
        yield server
    finally:
        server.stop()
        del config.stash[_SESSION_SERVER]


@pytest.fixture
def mock_auth_reset(mock_auth: MockAuthServer) -> MockAuthServer:
    """``mock_auth``, reset to its initial state before this test."""
    try:
        mock_auth.reset()
    except MockAuthError as error:
        if error.status == 404:
            hint = (
                "mock_auth_reset needs the control plane: is ENABLE_DEV_ENDPOINTS "
                "false, or the binary older than /api/dev/*?"
            )
            raise MockAuthError(
                "POST", "/api/dev/reset", 404, error.body, error.detail, hint
            ) from None
        raise
    return mock_auth


@pytest.fixture
def mock_auth_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockAuthFactory]:
    """Starts servers with their own settings; all stop after the test."""
    started: list[MockAuthServer] = []

    def start(**settings: object) -> MockAuthServer:
        server = _start(dict(settings), tmp_path_factory)
        started.append(server)
        request.node.stash.setdefault(_USED, []).append(server)
        return server

    try:
        yield start
    finally:
        for server in reversed(started):
            server.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # When the test begins: a failing test's report shows the session
    # server's output from then on.
    item.stash[_STARTED] = time.time()


def _servers_of(item: pytest.Item) -> list[MockAuthServer]:
    used: list[MockAuthServer] = item.stash.get(_USED, [])
    servers = list(used)
    session = item.config.stash.get(_SESSION_SERVER, None)
    if session is not None and "mock_auth" in getattr(item, "fixturenames", ()):
        servers.insert(0, session)
    return servers


def _let_log_settle(server: MockAuthServer, quiet: float = 0.05, limit: float = 1.0) -> None:
    """Waits (at most ``limit`` s) until the log has not grown for ``quiet`` s.

    The server logs a request once its answer is sent, so the line of the
    request that made the test fail may still be on its way to the file.
    """
    deadline = time.monotonic() + limit
    size = server.log_size()
    while server.running and time.monotonic() < deadline:
        time.sleep(quiet)
        now = server.log_size()
        if now == size:
            return
        size = now


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed:
        return
    started = item.stash.get(_STARTED, 0.0)
    for server in _servers_of(item):
        _let_log_settle(server)
        text = server.log_since(started).rstrip("\n")
        where = server.log_path
        report.sections.append(
            (
                f"mock-auth-server log ({server._url or 'not started'})",
                f"{text or '(no output)'}\n(full log: {where})",
            )
        )
