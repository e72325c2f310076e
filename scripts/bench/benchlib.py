#!/usr/bin/env python3
"""Helpers of scripts/bench.sh that are awkward in bash.

Standard library only, so a fresh machine needs nothing installed:

  tokens URL FIELD COUNT          log alice in COUNT times, print FIELD of each
  codes URL COUNT                 COUNT fresh authorization codes for alice
  code-body                       the code exchange's form body, up to the code
  fill URL COUNT PREFIX           register COUNT users concurrently (all 201)
  check-users URL TOTAL           check /api/auth/users paging and its total
  check-hits URL                  check the server's fault rules were never hit
  startup OUT LABEL PATH CMD...   time fork -> first 200 from PATH, once
  report RESULTS MODE             print the Markdown tables from the results
"""

import base64
import hashlib
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

EMAIL = "alice@example.com"
PASSWORD = "password123"


def _conn(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def _post(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def tokens(url, field, count):
    """Prints FIELD (access_token or refresh_token) of COUNT logins."""
    conn = _conn(url)
    for _ in range(int(count)):
        status, body = _post(conn, "/api/auth/login", {"email": EMAIL, "password": PASSWORD})
        if status != 200:
            sys.exit(f"login answered {status}: {body[:200]!r}")
        print(json.loads(body)[field])


# The code flow of a public client (PKCE S256), as a single-page app does it:
# without a clients file any client id and loopback redirect URI is accepted.
CLIENT_ID = "bench-spa"
REDIRECT_URI = "http://127.0.0.1:9/callback"
VERIFIER = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
AUTHORIZE = "/oauth2/authorize?" + urllib.parse.urlencode({
    "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": "openid",
    "code_challenge": CHALLENGE, "code_challenge_method": "S256"})


def code_body():
    """Prints the exchange's form body without the code's value."""
    print(urllib.parse.urlencode({"grant_type": "authorization_code", "client_id": CLIENT_ID,
                                  "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER}) + "&code=")


def _code_of(response):
    location = response.getheader("Location") or ""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if response.status != 302 or "code" not in query:
        sys.exit(f"authorize answered {response.status}, Location {location[:200]!r}")
    return query["code"][0]


def _mint_codes(url, cookie, n):
    """N codes from one connection with the session cookie (a pool worker)."""
    mine, conn = [], _conn(url)
    for _ in range(n):
        conn.request("GET", AUTHORIZE, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        mine.append(_code_of(response))
    return mine


def codes(url, count, workers=4):
    """Prints COUNT single-use codes: alice clicks "continue as" on the login
    page once, then each code is one authorize request with her session
    cookie, as a returning user's browser makes it."""
    count = int(count)
    conn = _conn(url)
    conn.request("GET", "/api/auth/users?limit=100")
    users = json.loads(conn.getresponse().read())["users"]
    alice = next(u["id"] for u in users if u["email"] == EMAIL)
    form = AUTHORIZE.split("?", 1)[1] + "&" + urllib.parse.urlencode({"action": "continue", "user_id": alice})
    conn.request("POST", "/oauth2/authorize", form, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
    if not cookie:
        sys.exit(f"the login page's continue answered {response.status} with no session cookie")
    found = [_code_of(response)]
    share = [(count - 1) // workers + (1 if i < (count - 1) % workers else 0) for i in range(workers)]
    # Processes, not threads: the GIL held threads to one core, and at
    # 25,000 codes per second of the run the first codes neared their 60 s
    # life before the exchange run reached them.
    with multiprocessing.Pool(workers) as pool:
        for mine in pool.starmap(_mint_codes, [(url, cookie, n) for n in share]):
            found.extend(mine)
    if len(found) != count:
        sys.exit(f"made {len(found)} codes of {count}")
    print("\n".join(found))


def fill(url, count, prefix, workers=24):
    """Registers COUNT users over HTTP, WORKERS keep-alive connections at once.

    Honest filling: every user goes through the real register route (bcrypt
    at the server's cost included), as a client would create them.
    """
    count = int(count)
    lock = threading.Lock()
    state = {"next": 0, "failed": None}

    def worker():
        conn = _conn(url)
        while True:
            with lock:
                if state["next"] >= count or state["failed"]:
                    return
                n = state["next"]
                state["next"] += 1
            body = {"email": f"{prefix}-{n}@fill.example.com", "password": PASSWORD, "name": f"Fill {n}"}
            try:
                status, answer = _post(conn, "/api/auth/register", body)
            except (OSError, http.client.HTTPException) as error:
                state["failed"] = f"register #{n}: {error}"
                return
            if status != 201:
                state["failed"] = f"register #{n} answered {status}: {answer[:200]!r}"
                return

    threads = [threading.Thread(target=worker) for _ in range(min(workers, max(count, 1)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if state["failed"]:
        sys.exit(state["failed"])


def check_users(url, total):
    """The last page of 10 has 10 users and the right total; the default page
    is capped at 1000 whatever the store's size."""
    total = int(total)
    conn = _conn(url)
    conn.request("GET", f"/api/auth/users?limit=10&offset={max(total - 10, 0)}")
    response = conn.getresponse()
    page = json.loads(response.read())
    expected = min(10, total)
    if response.status != 200 or page["total"] != total or len(page["users"]) != expected:
        sys.exit(f"users page: status {response.status}, total {page.get('total')} (want {total}), "
                 f"{len(page.get('users', []))} users (want {expected})")
    conn.request("GET", "/api/auth/users")
    response = conn.getresponse()
    page = json.loads(response.read())
    if response.status != 200 or len(page["users"]) != min(total, 1000):
        sys.exit(f"default users page: status {response.status}, {len(page.get('users', []))} users")


def check_hits(url):
    """The idle rule must have matched nothing: else /me on its server
    measured a fault, not the engine's cost when no rule applies."""
    conn = _conn(url)
    conn.request("GET", "/api/dev/faults")
    rules = json.loads(conn.getresponse().read())["rules"]
    if len(rules) != 1 or rules[0]["hits"] != 0:
        sys.exit(f"fault rules: {rules!r}")


def _answers_200(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.1".encode() + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def startup(out, label, path, *cmd):
    """Appends to OUT one line: LABEL and the milliseconds from fork to the
    first 200 from PATH (/health). The port comes from the first stdout line."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        if not line.startswith("listening on http://"):
            sys.exit(f"{label}: first stdout line was {line!r}")
        port = int(line.strip().rsplit(":", 1)[1])
        deadline = start + 10
        while not _answers_200(port, path):
            if time.perf_counter() > deadline:
                sys.exit(f"{label}: no 200 from {path} within 10 s")
            time.sleep(0.0005)
        elapsed_ms = (time.perf_counter() - start) * 1000
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"startup\t{label}\t{elapsed_ms:.2f}\n")


# ---------------------------------------------------------------- report ---

def _load(path):
    """Results file lines: kind, then tab-separated fields (see bench.sh)."""
    runs, values = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "run":
                # run scenario rep requests duration_us p50_us p99_us non2xx sockerr server_cpu_us
                _, scenario, _rep, req, dur, p50, p99, bad, sock, cpu = parts
                runs.setdefault(scenario, []).append(
                    {"rps": int(req) / (int(dur) / 1e6), "p50": int(p50) / 1000, "p99": int(p99) / 1000,
                     "requests": int(req), "non2xx": int(bad), "sockerr": int(sock),
                     "cpu": int(cpu) / max(int(req), 1)})
            else:
                values.setdefault((parts[0], parts[1]), []).append(float(parts[2]))
    return runs, values


def _med(runs, scenario, key):
    return statistics.median(r[key] for r in runs[scenario]) if scenario in runs else None


def _fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _ratio(num, den):
    return None if num is None or not den else num / den


def _verdict(value, ok):
    if value is None:
        return "n/a"
    return "met" if ok(value) else "**missed**"


def report(path, mode):
    runs, values = _load(path)
    conns = values.get(("conns", "delayed"), [None])[0]
    out = []
    reps = max((len(v) for v in runs.values()), default=0)
    out.append(f"Medians of {reps} interleaved run(s) per scenario ({mode} mode).\n")

    out.append("| scenario | ours req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | baseline route | baseline req/s "
               "| p50 ms | p99 ms | CPU µs/req | ratio (req/s) | ratio (CPU) | target |")
    out.append("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|")
    pairs = [
        ("GET /health", "health", "GET /static", "static", 0.8),
        ("GET /api/auth/me", "me", "GET /verify", "verify", 0.8),
        ("POST /api/auth/login (cost 4)", "login4", "POST /bcrypt/4", "bcrypt4", 0.8),
        ("POST /api/auth/login (cost 10)", "login10", "POST /bcrypt/10", "bcrypt10", 0.8),
        ("POST /api/auth/register (cost 4)", "register", "POST /bcrypt/4", "bcrypt4", None),
        ("POST /api/auth/refresh", "refresh", "GET /verify", "verify", None),
        (f"GET /api/auth/me?simulate_delay=200, {_fmt(conns)} conns", "delayed",
         "GET /verify?sleep_ms=200", "sleep", None),
    ]
    for label, ours, base_label, base, target in pairs:
        ratio = _ratio(_med(runs, ours, "rps"), _med(runs, base, "rps"))
        cpu_ratio = _ratio(_med(runs, base, "cpu"), _med(runs, ours, "cpu"))
        goal = "none" if target is None else f">= {target}: {_verdict(ratio, lambda r, t=target: r >= t)}"
        bad = sum(r["non2xx"] + r["sockerr"] for r in runs.get(ours, []))
        out.append(f"| {label} | {_fmt(_med(runs, ours, 'rps'))} | {_fmt(_med(runs, ours, 'p50'), 2)} "
                   f"| {_fmt(_med(runs, ours, 'p99'), 2)} | {_fmt(_med(runs, ours, 'cpu'), 1)} | {bad} "
                   f"| {base_label} | {_fmt(_med(runs, base, 'rps'))} "
                   f"| {_fmt(_med(runs, base, 'p50'), 2)} | {_fmt(_med(runs, base, 'p99'), 2)} "
                   f"| {_fmt(_med(runs, base, 'cpu'), 1)} | {_fmt(ratio, 2)} | {_fmt(cpu_ratio, 2)} | {goal} |")

    ceiling = values.get(("ceiling", "delayed"), [None])[0]
    rps = _med(runs, "delayed", "rps")
    ratio = _ratio(rps, ceiling)
    out.append(f"| same, against the ceiling {_fmt(conns)} conns / 0.2 s | {_fmt(rps)} | | | | | ceiling "
               f"| {_fmt(ceiling)} | | | | {_fmt(ratio, 2)} | | >= 0.9: {_verdict(ratio, lambda r: r >= 0.9)} |")
    out.append("\nratio (req/s): ours / baseline throughput. ratio (CPU): baseline CPU per request / ours, "
               "the server process's own CPU time (all threads) over the run, which the other tenants of a "
               "shared machine disturb far less than throughput.")

    out.append("\n| measure | ours | baseline | target |")
    out.append("|---|---:|---:|---|")
    ours_start = statistics.median(values[("startup", "ours")]) if ("startup", "ours") in values else None
    base_start = statistics.median(values[("startup", "baseline")]) if ("startup", "baseline") in values else None
    n_start = len(values.get(("startup", "ours"), []))
    out.append(f"| startup, fork to first 200 from /health (median of {n_start}) | {_fmt(ours_start, 1)} ms "
               f"| {_fmt(base_start, 1)} ms | < 50 ms: {_verdict(ours_start, lambda v: v < 50)} |")
    mib = 1024 * 1024

    def val(kind, key):
        got = values.get((kind, key))
        return max(got) if got else None

    idle = val("rss", "idle")
    out.append(f"| resident set at idle | {_fmt(idle and idle / mib, 1)} MiB "
               f"| {_fmt(val('rss', 'baseline_idle') and val('rss', 'baseline_idle') / mib, 1)} MiB "
               f"| < 20 MiB: {_verdict(idle, lambda v: v < 20 * mib)} |")
    under = val("rss", "me_load")
    out.append(f"| resident set under the /me load (peak of 0.2 s samples, 10-user server) "
               f"| {_fmt(under and under / mib, 1)} MiB "
               f"| {_fmt(val('rss', 'baseline_verify_load') and val('rss', 'baseline_verify_load') / mib, 1)} MiB | |")
    end = val("rss", "ours_end")
    if end is not None:
        out.append(f"| resident set of the server that took the register and refresh runs, at the end "
                   f"| {_fmt(end / mib, 1)} MiB | | |")
    for key in ("mid", "big"):
        before, after = val("rss_before", key), val("rss_after", key)
        added = val("registered", key)
        if before is None or after is None or not added:
            continue
        per_user = (after - before) / added
        target = f"< 1 KiB: {_verdict(per_user, lambda v: v < 1024)}" if key == "big" else ""
        out.append(f"| resident set after {int(added):,} registered users ({_fmt(before / mib, 1)} -> "
                   f"{_fmt(after / mib, 1)} MiB) | {_fmt(per_user)} bytes/user | | {target} |")

    out.append("\n| users in store | GET /api/auth/me req/s | vs smallest | p99 ms | CPU µs/req "
               "| GET /api/auth/users?limit=10 (last page) req/s | vs smallest | p99 ms | CPU µs/req |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sizes = sorted((int(v[0]), key) for (kind, key), v in values.items() if kind == "users_total")
    me0 = users0 = None
    worst = None
    for total, key in sizes:
        me, users = _med(runs, f"me_{key}", "rps"), _med(runs, f"users_{key}", "rps")
        me0 = me if me0 is None else me0
        users0 = users if users0 is None else users0
        change = _ratio(me, me0)
        if change is not None and total == sizes[-1][0]:
            worst = change
        out.append(f"| {total:,} | {_fmt(me)} | {_fmt(change, 2)} | {_fmt(_med(runs, f'me_{key}', 'p99'), 2)} "
                   f"| {_fmt(_med(runs, f'me_{key}', 'cpu'), 1)} "
                   f"| {_fmt(users)} | {_fmt(_ratio(users, users0), 2)} | {_fmt(_med(runs, f'users_{key}', 'p99'), 2)} "
                   f"| {_fmt(_med(runs, f'users_{key}', 'cpu'), 1)} |")
    if worst is not None:
        big_key, small_key = sizes[-1][1], sizes[0][1]
        cpu_change = _ratio(_med(runs, f"me_{big_key}", "cpu"), _med(runs, f"me_{small_key}", "cpu"))
        out.append(f"\n/me throughput at {sizes[-1][0]:,} users is {worst:.2f} of that at {sizes[0][0]:,} "
                   f"(CPU per request: {_fmt(cpu_change, 2)} times): "
                   f"target within 10 %: {_verdict(worst, lambda r: abs(1 - r) <= 0.10)}.")
    out.extend(_part_two(runs, values))
    print("\n".join(out))


def _goal(ratio, target):
    """A target is a minimum ratio, or ("within", x): |1 - ratio| <= x."""
    if target is None:
        return "none"
    if isinstance(target, tuple):
        return f"within {target[1]:.0%}: {_verdict(ratio, lambda r: abs(1 - r) <= target[1])}"
    return f">= {target:g}: {_verdict(ratio, lambda r: r >= target)}"


def _pairs_table(runs, pairs, right="baseline"):
    """Rows of (label, ours, reference label, reference, target), each a
    median of ours, a median of the reference, their ratios and a verdict."""
    out = [f"| scenario | req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | {right} | req/s | p99 ms | CPU µs/req "
           "| ratio (req/s) | ratio (CPU) | target |",
           "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for label, ours, ref_label, ref, target in pairs:
        if ours not in runs:
            continue
        ratio = _ratio(_med(runs, ours, "rps"), _med(runs, ref, "rps"))
        cpu_ratio = _ratio(_med(runs, ref, "cpu"), _med(runs, ours, "cpu"))
        bad = sum(r["non2xx"] + r["sockerr"] for r in runs.get(ours, []))
        out.append(f"| {label} | {_fmt(_med(runs, ours, 'rps'))} | {_fmt(_med(runs, ours, 'p50'), 2)} "
                   f"| {_fmt(_med(runs, ours, 'p99'), 2)} | {_fmt(_med(runs, ours, 'cpu'), 1)} | {bad} "
                   f"| {ref_label} | {_fmt(_med(runs, ref, 'rps'))} | {_fmt(_med(runs, ref, 'p99'), 2)} "
                   f"| {_fmt(_med(runs, ref, 'cpu'), 1)} | {_fmt(ratio, 2)} | {_fmt(cpu_ratio, 2)} "
                   f"| {_goal(ratio, target)} |")
    return out


def _oauth_section(runs, title, lead, baseline_pairs, peer_pairs, tail):
    """One configuration of the token endpoint (issue 10): its rows against
    the baseline, then against the peer, with a lead and a closing line."""
    out = [f"\n### Part II: OAuth token endpoint {title} (issue 10), baseline and peer\n"]
    if lead:
        out.append(lead + "\n")
    out += _pairs_table(runs, baseline_pairs)
    out.append("")
    out += _pairs_table(runs, peer_pairs, right="peer (oauth2-mock-server)")
    if tail:
        out.append("\n" + tail)
    return out


def _part_two(runs, values):
    """The tables of issues 9 to 12."""
    out = ["\n### Part II: asymmetric algorithms (issue 9)\n"]
    pairs = []
    for alg in ("RS256", "ES256", "EdDSA"):
        pairs += [
            (f"GET /api/auth/me ({alg})", f"me_{alg}", f"GET /verify/{alg}", f"verify_{alg}", 0.8),
            (f"POST /api/auth/login ({alg}, cost 4)", f"login_{alg}",
             f"POST /login/{alg} (bcrypt 4 + 2 signatures)", f"blogin_{alg}", 0.8),
            (f"POST /api/dev/tokens ({alg}, one token)", f"devtoken_{alg}",
             f"POST /sign/{alg} (jsonwebtoken)", f"sign_{alg}", 0.8),
            (f"same ({alg})", f"devtoken_{alg}", f"POST /sign-parsed/{alg} (key kept parsed)",
             f"signp_{alg}", None),
        ]
    pairs.append(("GET /.well-known/jwks.json (RS256 server)", "jwks", "GET /jwks (fixed body)", "bjwks", None))
    out += _pairs_table(runs, pairs)

    cc, code = "POST /oauth2/token client_credentials", "POST /oauth2/token authorization_code"
    out += _oauth_section(runs, "at RS256", None, [
        (cc, "cc", "POST /sign/RS256 (jsonwebtoken)", "sign_RS256", 0.8),
        (f"{code} (openid: 3 tokens)", "code", "POST /sign/RS256 (jsonwebtoken)", "sign_RS256", 0.8),
        ("same", "code", "POST /sign-parsed/RS256?n=3 (3 signatures)", "signp3", None),
    ], [
        (cc, "cc", "peer POST /token client_credentials", "peer_cc", 5),
        (code, "code", "peer POST /token authorization_code", "peer_code", 5),
        ("POST /api/auth/login (RS256, cost 4)", "login_RS256", "peer POST /token client_credentials",
         "peer_cc", None),
        ("POST /api/dev/tokens (RS256)", "devtoken_RS256", "peer POST /token client_credentials", "peer_cc", None),
    ], "The peer is the npm `oauth2-mock-server` (RS256) on Node, in the same run; it checks neither "
       "the client nor the code, so its code exchange is its token issue with an ID token.")
    out += _oauth_section(runs, "with the defaults",
                          "No setting changed: access and refresh tokens HS256, the ID token RS256 "
                          "(`ID_TOKEN_ALGORITHM`'s default), on the `small` server.", [
        (cc, "cc_default", "POST /sign/HS256 (jsonwebtoken)", "sign_HS256", 0.8),
        (f"{code} (openid: 2 HS256 + 1 RS256)", "code_default", "POST /sign/RS256 (jsonwebtoken)", "sign_RS256", 0.8),
        ("same", "code_default", "POST /sign-parsed/RS256 (one signature, key kept parsed)", "signp_RS256", None),
    ], [
        (cc, "cc_default", "peer POST /token client_credentials", "peer_cc", 5),
        (code, "code_default", "peer POST /token authorization_code", "peer_code", 5),
        ("baseline POST /sign-parsed/RS256: one RSA signature and nothing else", "signp_RS256",
         "peer POST /token authorization_code", "peer_code", None),
    ], "The last row is the ceiling of any code exchange that signs an RS256 ID token on this machine: "
       "the baseline route that signs one RSA-2048 token and does nothing else.")
    out += _oauth_section(runs, "at ES256 on both sides",
                          "Our `JWT_ALGORITHM=ES256` server (access, refresh and ID tokens ES256) against a "
                          "second peer instance whose key is ES256.", [
        (cc, "cc_es", "POST /sign/ES256 (jsonwebtoken)", "sign_ES256", 0.8),
        (f"{code} (openid: 3 tokens)", "code_es", "POST /sign-parsed/ES256?n=3 (3 signatures)", "signp3_es", 0.8),
        ("same", "code_es", "POST /sign/ES256 (jsonwebtoken, one signature)", "sign_ES256", None),
    ], [
        (cc, "cc_es", "peer (ES256) POST /token client_credentials", "peer_es_cc", 5),
        (code, "code_es", "peer (ES256) POST /token authorization_code", "peer_es_code", 5),
    ], None)

    fake = values.get(("fake_total", "fake"), [0])[0]
    out.append("\n### Part II: idle fault engine, journal, fake users (issues 11 and 12)\n")
    pairs = [
        ("GET /api/auth/me, one fault rule set (matching nothing here)", "me_rule",
         "GET /api/auth/me, no rule (me_small)", "me_small", 0.95),
        ("GET /api/auth/me, JOURNAL_SIZE=1000 (default; me_small)", "me_small",
         "GET /api/auth/me, JOURNAL_SIZE=0", "me_nojournal", 0.95),
        (f"GET /api/auth/me, {int(fake):,} users ({int(fake) - 5:,} fake)", "me_fake",
         "GET /api/auth/me, 10 users (me_small)", "me_small", 0.9),
        (f"POST /api/auth/login, {int(fake):,} users", "login_fake",
         "POST /api/auth/login, 10 users", "login_small", 0.9),
    ]
    out += _pairs_table(runs, pairs, right="reference (same run)")
    out.append("\nThese targets are one-sided: the setting must not slow /me or login by more than 5 % "
               "(10 % for the store's size); a faster row is noise.")
    me_ratio = _ratio(_med(runs, "me", "rps"), _med(runs, "verify", "rps"))
    me_cpu = _ratio(_med(runs, "verify", "cpu"), _med(runs, "me", "cpu"))
    out.append(f"\nGET /api/auth/me with no rule against GET /verify, this run: {_fmt(me_ratio, 2)} "
               f"(CPU {_fmt(me_cpu, 2)}); Part I's run: 0.71 (CPU 0.63).")

    mib = 1024 * 1024
    first, total = values.get(("journal_rss", "first")), values.get(("journal_rss", "total"))
    if first and total:
        n_first = int(values[("journal_count", "first")][0])
        n_total = int(values[("journal_count", "total")][0])
        diff = total[0] - first[0]
        out.append("\n| measure (JOURNAL_SIZE=1000, fresh server) | value | target |")
        out.append("|---|---:|---|")
        out.append(f"| resident set after {n_first:,} requests | {_fmt(first[0] / mib, 2)} MiB | |")
        out.append(f"| resident set after {n_total:,} requests | {_fmt(total[0] / mib, 2)} MiB | |")
        out.append(f"| growth | {_fmt(diff / 1024)} KiB | <= 2 MiB: {_verdict(diff, lambda d: d <= 2 * mib)} |")

    crypto = {}
    for (kind, key), got in values.items():
        if kind == "crypto":
            backend, alg, op = key.split("/")
            crypto[(backend, alg, op)] = statistics.median(got)
    if crypto:
        reps = max(len(v) for (kind, _), v in values.items() if kind == "crypto")
        out.append(f"\n### Crypto backends (bench/crypto), µs per operation, median of {reps} run(s)\n")
        out.append("| operation | jsonwebtoken `rust_crypto` | jsonwebtoken `aws_lc_rs` | aws-lc-rs key kept parsed "
                   "| rust_crypto / aws_lc_rs | aws_lc_rs / kept parsed |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for alg in ("RS256", "ES256", "EdDSA"):
            for op in ("sign", "verify"):
                rc, aws, kept = (crypto.get((b, alg, op)) for b in ("rust_crypto", "aws_lc_rs", "kept_parsed"))
                out.append(f"| {alg} {op} | {_fmt(rc, 1)} | {_fmt(aws, 1)} | {_fmt(kept, 1)} "
                           f"| {_fmt(_ratio(rc, aws), 1)} | {_fmt(_ratio(aws, kept), 1)} |")
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    commands = {"tokens": tokens, "codes": codes, "code-body": code_body, "fill": fill, "check-users": check_users,
                "check-hits": check_hits, "startup": startup, "report": report}
    if command not in commands:
        sys.exit(__doc__)
    commands[command](*args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
