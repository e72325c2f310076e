"""Authlib (OAuth2Session, requests) against the server, the way a Python
back end uses it: discovery, authorization code + PKCE through the real
login page, refresh, userinfo, password, client credentials, introspection,
revocation. The ID token is verified against the JWKS (signature, nonce,
at_hash) with Authlib's own claims classes.

Usage: python authlib_client.py BASE   (STRICT=1: registered clients only).
Prints one pass/fail line per check and a closing 'N passed, N failed'.
"""

import base64
import json
import os
import sys
import threading
import traceback
import warnings
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlparse, parse_qs

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token

# authlib.jose is deprecated in favour of joserfc but is what Authlib's own
# OIDC claims classes (at_hash, nonce) are built on.
warnings.filterwarnings("ignore")
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
STRICT = os.environ.get("STRICT") == "1"
SUITE = "authlib-strict" if STRICT else "authlib"
results = {"passed": 0, "failed": 0}


def check(name):
    def run(body):
        try:
            body()
            results["passed"] += 1
            print(f"ok   {SUITE}: {name}", flush=True)
        except Exception:  # every failure is a failed check, not a crash
            results["failed"] += 1
            print(f"FAIL {SUITE}: {name}: {traceback.format_exc()}", flush=True)
        return body

    return run


class Callback(BaseHTTPRequestHandler):
    """The application's redirect URI: records what the server sent it."""

    hits = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        Callback.hits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>callback</title>")

    def log_message(self, *args):
        pass


class Forms(HTMLParser):
    """The forms of the login page: action, fields and submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._button = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": [], "buttons": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "textarea" and self.forms and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "button" and self.forms:
            self._button = {**a, "text": ""}

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.forms[-1]["buttons"].append(self._button)
            self._button = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1]["fields"].append(tuple(self._textarea))
            self._textarea = None


def sign_in(browser, authorize_url, email="alice@example.com", password=None):
    """Walks the login page as a browser would; returns the callback URL."""
    page = browser.get(authorize_url)
    assert page.status_code == 200, f"login page: {page.status_code}"
    parser = Forms()
    parser.feed(page.text)
    if password is None:
        form = next(f for f in parser.forms if any(b.get("name") == "user_id" for b in f["buttons"]))
        button = next(b for b in form["buttons"] if email in b["text"])
        data = form["fields"] + [(button["name"], button["value"])]
    else:
        form = next(f for f in parser.forms if any(n == "password" for n, _ in f["fields"]))
        values = {"email": email, "password": password}
        data = [(n, values.get(n, v)) for n, v in form["fields"]]
    done = browser.post(urljoin(page.url, form["action"]), data=data)
    assert done.status_code == 200, f"after the page: {done.status_code} at {done.url}"
    return done.url


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("CALLBACK_PORT", "0"))), Callback)
threading.Thread(target=server.serve_forever, daemon=True).start()
APP = f"http://127.0.0.1:{server.server_address[1]}"
REDIRECT = f"{APP}/callback"
meta = {}
state = {}


@check("discovery")
def _():
    meta.update(requests.get(f"{BASE}/.well-known/openid-configuration", timeout=10).json())
    assert meta["issuer"] == BASE, meta["issuer"]
    assert "S256" in meta["code_challenge_methods_supported"]
    state["jwks"] = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())


@check("authorization code + PKCE through the login page")
def _():
    spa = OAuth2Session(
        "my-spa",
        redirect_uri=REDIRECT,
        scope="openid profile email roles offline_access",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(64)
    nonce = generate_token(20)
    url, sent_state = spa.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    browser = requests.Session()
    callback = sign_in(browser, url)
    assert urlparse(callback).path in [urlparse(h).path for h in Callback.hits]
    assert parse_qs(urlparse(callback).query)["state"] == [sent_state]
    token = spa.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = jwt.decode(
        token["id_token"],
        state["jwks"],
        claims_cls=CodeIDToken,
        claims_options={"iss": {"values": [BASE]}, "aud": {"values": ["my-spa"]}},
        claims_params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["sub"] == "test-user-123" and claims["name"] == "Alice Johnson", dict(claims)
    state.update(spa=spa, token=token, browser=browser)


@check("userinfo")
def _():
    info = state["spa"].get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == "test-user-123" and info["email"] == "alice@example.com", info
    assert "admin" in info["roles"], info


@check("refresh (rotated; the old refresh token is refused)")
def _():
    spa, old = state["spa"], state["token"]["refresh_token"]
    new = spa.refresh_token(meta["token_endpoint"], refresh_token=old)
    assert new["refresh_token"] != old and new["access_token"]
    try:
        spa.refresh_token(meta["token_endpoint"], refresh_token=old)
        raise AssertionError("a rotated refresh token was accepted")
    except Exception as error:  # authlib raises OAuthError with .error
        assert getattr(error, "error", None) == "invalid_grant", repr(error)
    state["token"] = new


def backend():
    return OAuth2Session("backend", "backend-secret", token_endpoint_auth_method="client_secret_basic")


@check("password grant (password checked)")
def _():
    got = backend().fetch_token(
        meta["token_endpoint"], grant_type="password", username="bob@example.com", password="password123", scope="openid"
    )
    payload = json.loads(base64.urlsafe_b64decode(got["access_token"].split(".")[1] + "=="))
    assert payload["sub"] == "test-user-456", payload
    try:
        backend().fetch_token(meta["token_endpoint"], grant_type="password", username="bob@example.com", password="nope")
        raise AssertionError("a wrong password was accepted")
    except Exception as error:
        assert getattr(error, "error", None) == "invalid_grant", repr(error)


@check("client credentials (client_secret_post)")
def _():
    machine = OAuth2Session("backend", "backend-secret", token_endpoint_auth_method="client_secret_post")
    got = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in got
    payload = json.loads(base64.urlsafe_b64decode(got["access_token"].split(".")[1] + "=="))
    assert payload["sub"] == "backend" and payload["type"] == "access", payload


@check("introspection")
def _():
    access = state["token"]["access_token"]
    active = backend().introspect_token(meta["introspection_endpoint"], token=access).json()
    assert active["active"] is True and active["sub"] == "test-user-123", active
    junk = backend().introspect_token(meta["introspection_endpoint"], token="junk").json()
    assert junk == {"active": False} or junk["active"] is False, junk


@check("revocation (then refused by userinfo, /api/auth/me and introspection)")
def _():
    access, refresh = state["token"]["access_token"], state["token"]["refresh_token"]
    # The application revokes its own tokens (a public client: client_id only).
    revoked = state["spa"].revoke_token(meta["revocation_endpoint"], token=access, token_type_hint="access_token")
    assert revoked.status_code == 200, revoked.status_code
    info = state["spa"].get(meta["userinfo_endpoint"])
    assert info.status_code == 401 and "invalid_token" in info.headers.get("www-authenticate", ""), info.status_code
    me = requests.get(f"{BASE}/api/auth/me", headers={"authorization": f"Bearer {access}"}, timeout=10)
    assert me.status_code == 401, me.status_code
    after = backend().introspect_token(meta["introspection_endpoint"], token=access).json()
    assert after["active"] is False, after
    state["spa"].revoke_token(meta["revocation_endpoint"], token=refresh)
    try:
        state["spa"].refresh_token(meta["token_endpoint"], refresh_token=refresh)
        raise AssertionError("a revoked refresh token was accepted")
    except Exception as error:
        assert getattr(error, "error", None) == "invalid_grant", repr(error)


@check("password form on the login page, then prompt=none uses the session")
def _():
    spa = OAuth2Session("my-spa", redirect_uri=REDIRECT, scope="openid", code_challenge_method="S256",
                        token_endpoint_auth_method="none")
    verifier = generate_token(64)
    url, _ = spa.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    browser = requests.Session()
    callback = sign_in(browser, url, email="charlie@example.com", password="password123")
    token = spa.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert spa.get(meta["userinfo_endpoint"]).json()["sub"] == "test-user-789"
    url, _ = spa.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, prompt="none")
    silent = browser.get(url)
    assert "code" in parse_qs(urlparse(silent.url).query), silent.url
    assert token["id_token"]


server.shutdown()
print(f"{SUITE}: {results['passed']} passed, {results['failed']} failed")
sys.exit(0 if results["failed"] == 0 else 1)
