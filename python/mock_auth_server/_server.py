"""`MockAuthServer`: one ``mock-auth-server`` process and a client for it.

Standard library only: the package must not pull anything into the
environment of the project under test.
"""

from __future__ import annotations

import atexit
import bisect
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from array import array
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional, cast

from ._binary import find_binary

#: The server's first line of output once it has bound its port (contract
#: section 6); the port the system chose for ``PORT=0`` is read from it.
_BANNER = re.compile(r"^listening on (http://(\[[^\]]+\]|[^:/\s]+):(\d+))\s*$")

#: The time stamp that starts a log line, pretty (``2026-12-02T08:27:23.365367Z``)
#: or JSON (``{"timestamp":"2026-12-02T08:27:23.365367Z",``).
_STAMP = re.compile(rb'^(?:\{"timestamp":")?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z')

#: What a server of this contract uses when a setting is not given.
DEFAULTS = {
    "JWT_SECRET": "dev-secret-key-change-in-production",
    "JWT_ALGORITHM": "HS256",
    "JWT_ISSUER": "mock-auth-server",
}

#: Unspecified addresses are not addressable; a client uses the loopback
#: address of the same family, as the server's own PUBLIC_URL default does.
_UNSPECIFIED = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


class MockAuthError(RuntimeError):
    """A request to the server got an answer it should not have.

    Attributes:
        status: the HTTP status.
        code: the ``code`` of the contract's error body, when there is one.
        detail: the ``detail`` of the error body, or the raw body.
        body: the parsed JSON body, or ``None``.
    """

    def __init__(
        self, method: str, url: str, status: int, body: Any, raw: str, hint: str = ""
    ) -> None:
        self.status = status
        self.body = body
        self.code: Optional[str] = body.get("code") if isinstance(body, dict) else None
        self.detail: str = (
            str(body.get("detail")) if isinstance(body, dict) and "detail" in body else raw
        )
        super().__init__(
            f"{method} {url} answered {status}"
            + (f" {self.code}" if self.code else "")
            + f": {self.detail}"
            + (f" ({hint})" if hint else "")
        )


@dataclass
class Response:
    """An answer of the server: status, headers (lowercase names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_settings(settings: Optional[Mapping[str, object]]) -> dict[str, str]:
    """``{"access_token_expire_minutes": 5}`` -> ``{"ACCESS_TOKEN_EXPIRE_MINUTES": "5"}``.

    Names are the environment variables of the server's configuration (its
    ``--help`` lists them); they are upper-cased, so keyword arguments may be
    written in lower case. ``True``/``False`` become ``true``/``false``.
    """
    return {str(k).upper(): _setting_value(v) for k, v in (settings or {}).items()}


class MockAuthServer:
    """A ``mock-auth-server`` process on a free loopback port, and its client.

    Usable on its own as a context manager, or through the pytest fixtures::

        with MockAuthServer({"ACCESS_TOKEN_EXPIRE_MINUTES": 5}) as server:
            pair = server.login("alice@example.com")

    The server inherits this process's environment, then ``settings`` (the
    server's environment variables: ``JWT_SECRET``, ``JWT_ISSUER``, ...)
    override it. ``PORT`` is ``0`` (the system picks a free port) and
    ``HOST`` is ``127.0.0.1`` unless ``settings`` name them: a ``PORT`` or
    ``HOST`` meant for another program does not leak in. It runs in a
    directory of its own, so no ``.env`` file of the project changes it.

    Args:
        settings: the server's settings, by environment variable name.
        binary: the executable; default: :func:`mock_auth_server.find_binary`.
        log_path: where the server's output (stdout and stderr) goes; default:
            a temporary file, removed by :meth:`stop`.
        startup_timeout: seconds to wait for the banner and ``/health``.
        stop_timeout: seconds between SIGTERM and SIGKILL.
        request_timeout: seconds each helper's request may take.
    """

    def __init__(
        self,
        settings: Optional[Mapping[str, object]] = None,
        *,
        binary: Optional[str] = None,
        log_path: Optional[os.PathLike[str] | str] = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.settings: dict[str, str] = normalize_settings(settings)
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.request_timeout = request_timeout
        self._own_dir: Optional[str] = None
        self._log_path: Optional[Path] = Path(log_path) if log_path is not None else None
        self._log: Optional[IO[bytes]] = None
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._reader: Optional[threading.Thread] = None
        self._banner = threading.Event()
        # Where each line of output starts in the log, and when it was read:
        # 16 bytes a line, so a long session's log costs little memory.
        self._line_starts = array("q")
        self._line_times = array("d")
        self._url: Optional[str] = None
        self._env: dict[str, str] = {}
        # Requests go straight to the server: an HTTP(S)_PROXY of the CI
        # environment must not see (or break) loopback traffic.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "MockAuthServer":
        """Starts the server and returns when ``/health`` answers 200.

        Raises:
            FileNotFoundError: no binary (see :func:`find_binary`).
            RuntimeError: the server exited, or was not ready in time; the
                message ends with its last lines of output.
        """
        if self._process is not None:
            raise RuntimeError("this MockAuthServer was started already")
        binary = self.binary or find_binary()
        env = dict(os.environ)
        env["PORT"] = "0"
        env["HOST"] = "127.0.0.1"
        env.update(self.settings)
        self._env = env
        if self._log_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="mock-auth-server-")
            self._log_path = Path(self._own_dir) / "server.log"
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        workdir = self._own_dir or tempfile.mkdtemp(
            prefix="cwd-", dir=str(self._log_path.parent)
        )
        self._log = open(self._log_path, "wb")
        self._process = subprocess.Popen(
            [binary],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        atexit.register(self.stop)
        self._reader = threading.Thread(
            target=self._read_output, name="mock-auth-server output", daemon=True
        )
        self._reader.start()
        try:
            self._wait_ready(time.monotonic() + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_output(self) -> None:
        """Copies the server's output to the log; notes the banner's URL."""
        assert self._process is not None and self._process.stdout is not None
        assert self._log is not None
        for raw in iter(self._process.stdout.readline, b""):
            self._line_starts.append(self._log.tell())
            self._line_times.append(time.time())
            self._log.write(raw)
            self._log.flush()
            if self._url is None:
                match = _BANNER.match(raw.decode("utf-8", "replace"))
                if match:
                    host = _UNSPECIFIED.get(match.group(2), match.group(2))
                    self._url = f"http://{host}:{match.group(3)}"
                    self._banner.set()
        self._banner.set()

    def _wait_ready(self, deadline: float) -> None:
        assert self._process is not None
        self._banner.wait(max(0.0, deadline - time.monotonic()))
        if self._url is None:
            status = self._process.poll()
            if status is None and self._reader is not None and not self._reader.is_alive():
                # Its output ended: it is exiting; its status is a moment away.
                try:
                    status = self._process.wait(max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    status = None
            why = (
                f"exited with status {status} before it listened"
                if status is not None
                else f"printed no `listening on` line within {self.startup_timeout:g} s"
            )
            raise RuntimeError(f"mock-auth-server {why}; its output:\n{self._tail()}")
        while True:
            try:
                if self.request("GET", "/health", timeout=1.0).status == 200:
                    return
            except OSError:
                pass
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"mock-auth-server exited with status {self._process.returncode}; "
                    f"its output:\n{self._tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self._url}/health did not answer 200 within "
                    f"{self.startup_timeout:g} s; the server's output:\n{self._tail()}"
                )
            time.sleep(0.05)

    def stop(self) -> Optional[int]:
        """Stops the server: SIGTERM, then SIGKILL after ``stop_timeout``.

        Safe to call more than once; returns the exit status (0 after a
        graceful stop), or ``None`` if it never started.
        """
        process = self._process
        if process is None:
            return None
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(5.0)
        if process.stdout is not None:
            process.stdout.close()
        if self._log is not None and not self._log.closed:
            self._log.close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
            self._log_path = None
        return process.returncode

    def __enter__(self) -> "MockAuthServer":
        return self if self.running else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> Optional[int]:
        """The server's process id (``None`` before :meth:`start`)."""
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> Optional[int]:
        """The exit status once it has exited, else ``None``."""
        return self._process.poll() if self._process is not None else None

    # -- the log -----------------------------------------------------------

    @property
    def log_path(self) -> Optional[Path]:
        """The file that holds the server's stdout and stderr."""
        return self._log_path

    def log_size(self) -> int:
        """Bytes of output so far (an offset for :meth:`log_text`)."""
        try:
            return self._log_path.stat().st_size if self._log_path else 0
        except OSError:
            return 0

    def log_text(self, since: int = 0) -> str:
        """The server's output from byte offset ``since`` on."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as log:
                log.seek(since)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_since(self, when: float) -> str:
        """The lines of output that belong after ``when`` (a ``time.time()``).

        A line's time is its own time stamp when it has one (the server's log
        lines), else the time it was read; the file can lag the server by a
        few lines, so a line written before ``when`` but read after it is
        still left out.
        """
        if self._log_path is None:
            return ""
        count = len(self._line_starts)
        first = bisect.bisect_left(self._line_times, when - 1.0, 0, count)
        if first >= count:
            return ""
        base = self._line_starts[first]
        try:
            with open(self._log_path, "rb") as log:
                log.seek(base)
                chunk = log.read()
        except OSError:
            return ""
        kept = []
        for index in range(first, count):
            end = self._line_starts[index + 1] - base if index + 1 < count else len(chunk)
            line = chunk[self._line_starts[index] - base : end]
            if (_stamp_of(line) or self._line_times[index]) >= when:
                kept.append(line)
        return b"".join(kept).decode("utf-8", "replace")

    def _tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # -- what a test reads -------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        if self._url is None:
            raise RuntimeError("the server is not started")
        return self._url

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def jwks_url(self) -> str:
        """``/.well-known/jwks.json``: the public keys (contract section 8)."""
        return f"{self.url}/.well-known/jwks.json"

    def _setting(self, name: str) -> str:
        env = self._env or {**os.environ, **self.settings}
        return env.get(name) or DEFAULTS[name]

    @property
    def issuer(self) -> str:
        """The ``iss`` of access and refresh tokens (``JWT_ISSUER``)."""
        return self._setting("JWT_ISSUER")

    @property
    def secret(self) -> str:
        """The HMAC secret the HS* tokens are signed with (``JWT_SECRET``)."""
        return self._setting("JWT_SECRET")

    @property
    def algorithm(self) -> str:
        """The access tokens' ``alg`` (``JWT_ALGORITHM``, default ``HS256``)."""
        return self._setting("JWT_ALGORITHM")

    # -- HTTP --------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        query: Optional[Mapping[str, object]] = None,
        headers: Optional[Mapping[str, str]] = None,
        expect: Optional[tuple[int, ...]] = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """Sends one request to the server and returns its answer.

        ``json_body`` is sent as JSON; ``query`` values that are ``None`` are
        left out. With ``DEV_API_KEY`` among the settings, the request carries
        it as ``X-Dev-Api-Key``. When ``expect`` is given, any other status
        raises :class:`MockAuthError`.
        """
        url = self.url + path
        if query:
            pairs = {k: _query_value(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None
        all_headers = {"accept": "application/json"}
        key = self.settings.get("DEV_API_KEY") or self._env.get("DEV_API_KEY")
        if key:
            all_headers["x-dev-api-key"] = key
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["content-type"] = "application/json"
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with self._opener.open(req, timeout=timeout or self.request_timeout) as answer:
                response = Response(answer.status, _headers(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            response = Response(error.code, _headers(error.headers), error.read())
            error.close()
        if expect is not None and response.status not in expect:
            raw = response.body.decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            raise MockAuthError(method, path, response.status, body, raw)
        return response

    def _call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        return self.request(method, path, expect=(expect,), **kwargs).json()

    # -- section 4 ---------------------------------------------------------

    def login(self, email: str, password: str = "password123") -> dict[str, Any]:
        """``POST /api/auth/login``: the token pair (``access_token``,
        ``refresh_token``, ``expires_in``, ``user``, ...).

        Raises:
            MockAuthError: any answer but 200 (e.g. 401 ``invalid_credentials``
                or ``user_disabled``).
        """
        pair = self._call(
            "POST", "/api/auth/login", 200, json_body={"email": email, "password": password}
        )
        return cast(dict[str, Any], pair)

    # -- the control plane (section 10) -----------------------------------

    def token(self, user: Optional[str] = None, **overrides: Any) -> str:
        """``POST /api/dev/tokens``: a token made exactly as asked.

        ``user`` is a user id or email; ``overrides`` are the endpoint's other
        fields (``type``, ``expires_in``, ``not_before``, ``claims``,
        ``remove_claims``, ``issuer``, ``audience``, ``alg``, ``kid``,
        ``sign``, ``sub``). Returns the token.
        """
        body = dict(overrides)
        if user is not None:
            body["user"] = user
        return str(self._call("POST", "/api/dev/tokens", 200, json_body=body)["token"])

    def bad_tokens(self, user: str) -> dict[str, str]:
        """``GET /api/dev/tokens/bad``: the bad-token catalogue for ``user``.

        Returns ``{case name: token}`` for every case that applies to this
        server's configuration, plus ``"valid"``: the token they each differ
        from by one defect. The cases' descriptions and ``checked_by`` are in
        :meth:`bad_token_cases`.
        """
        catalogue = self.bad_token_cases(user)
        tokens = {"valid": catalogue["valid"]["token"]}
        tokens.update({case["name"]: case["token"] for case in catalogue["cases"]})
        return tokens

    def bad_token_cases(self, user: str) -> dict[str, Any]:
        """The catalogue as the server answers it: ``{"valid", "cases": [..]}``."""
        return cast(dict[str, Any], self._call("GET", "/api/dev/tokens/bad", 200, query={"user": user}))

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """``POST /api/dev/clock`` ``{"advance_seconds": seconds}`` (negative
        goes back). Returns the clock: ``{"now", "offset_seconds", "frozen"}``."""
        amount = int(seconds) if float(seconds).is_integer() else seconds
        clock = self._call("POST", "/api/dev/clock", 200, json_body={"advance_seconds": amount})
        return cast(dict[str, Any], clock)

    def fault(self, **rule: Any) -> str:
        """``POST /api/dev/faults``: adds a fault rule; returns its id, as text
        (the server's JSON may hold it as a number).

        The keyword arguments are the rule's fields, ``match`` included::

            server.fault(match={"route": "/api/auth/login"}, status=503,
                         retry_after=5, times=1)
        """
        return str(self._call("POST", "/api/dev/faults", 201, json_body=rule)["id"])

    def create_user(self, **fields: Any) -> dict[str, Any]:
        """``POST /api/dev/users`` (``email``, ``password``, ``name``,
        ``roles``, ``claims``, ``email_verified``): the new user object."""
        return cast(dict[str, Any], self._call("POST", "/api/dev/users", 201, json_body=fields))

    def update_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """``PATCH /api/dev/users/{id}`` (e.g. ``disabled=True``): the user."""
        path = "/api/dev/users/" + urllib.parse.quote(user_id, safe="")
        return cast(dict[str, Any], self._call("PATCH", path, 200, json_body=fields))

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """``GET /api/dev/requests``: the journal, newest first.

        Filters: ``route``, ``status``, ``user``, ``since`` (RFC 3339 text or
        a ``datetime``), ``limit``.
        """
        entries = self._call("GET", "/api/dev/requests", 200, query=filters)["requests"]
        return cast(list[dict[str, Any]], entries)

    def reset(self) -> None:
        """``POST /api/dev/reset``: users, clock, fault rules, keys, settings,
        sessions and journal back as at start (metrics are kept)."""
        self.request("POST", "/api/dev/reset", expect=(200, 204))

    def __repr__(self) -> str:
        return f"<MockAuthServer {self._url or 'not started'}>"


def _stamp_of(line: bytes) -> Optional[float]:
    """The POSIX time of a log line's own time stamp, if it starts with one."""
    match = _STAMP.match(line)
    if match is None:
        return None
    stamp = datetime.strptime(match.group(1).decode(), "%Y-%m-%dT%H:%M:%S")
    fraction = float(match.group(2) or 0)
    return (stamp.replace(tzinfo=timezone.utc) + timedelta(seconds=fraction)).timestamp()


def _query_value(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat().replace("+00:00", "Z")
    return _setting_value(value)


def _headers(message: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in message.items()} if message is not None else {}
