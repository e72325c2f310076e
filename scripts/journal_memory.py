#!/usr/bin/env python3
"""RSS of the server after 2,000 and after 100,000 requests (JOURNAL_SIZE=1000).

Issue 12's bound: once the journal's ring (JOURNAL_SIZE entries) and the
lineage index (2 x JOURNAL_SIZE tokens) are full, more requests must not
grow the server. One request in five is a login (two tokens into the lineage
index, so its bound is reached too), the rest GET /health. Usage:

  python3 scripts/journal_memory.py [--bin target/release/mock-auth-server]
      [--first 2000] [--total 100000] [--results FILE] [--no-check]

Prints both figures and their difference in KiB; exits 1 if the difference
is over 2 MiB (unless --no-check: scripts/bench.sh reports it instead, and
fails only when the measurement itself fails). --results appends the
figures to a bench results file.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

THREADS = 4


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def hammer(port, count):
    """COUNT requests over THREADS keep-alive connections; raises on any
    answer that is not 200, so a broken server is not measured as a small one."""
    login = json.dumps({"email": "alice@example.com", "password": "password123"})
    errors = []

    def work(n):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for i in range(n):
                if i % 5 == 0:
                    conn.request("POST", "/api/auth/login", login, {"content-type": "application/json"})
                else:
                    conn.request("GET", "/health")
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"answer {response.status}")
            conn.close()
        except (OSError, http.client.HTTPException, RuntimeError) as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(count // THREADS,)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bin", default=os.environ.get("BIN", "target/release/mock-auth-server"))
    parser.add_argument("--first", type=int, default=2000)
    parser.add_argument("--total", type=int, default=100000)
    parser.add_argument("--results")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", JOURNAL_SIZE="1000", BCRYPT_COST="4",
               RUST_LOG="warn")
    server = subprocess.Popen([args.bin], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        started = time.time()
        hammer(port, args.first)
        after_first = rss_kib(server.pid)
        hammer(port, args.total - args.first)
        after_total = rss_kib(server.pid)
        took = time.time() - started
    finally:
        server.terminate()
        server.wait()
    diff = after_total - after_first
    print(f"RSS after {args.first:,} requests: {after_first} KiB; after {args.total:,}: {after_total} KiB; "
          f"difference {diff} KiB ({took:.0f} s)")
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(f"journal_rss\tfirst\t{after_first * 1024}\n")
            f.write(f"journal_rss\ttotal\t{after_total * 1024}\n")
            f.write(f"journal_count\tfirst\t{args.first}\n")
            f.write(f"journal_count\ttotal\t{args.total}\n")
    sys.exit(0 if args.no_check or diff <= 2048 else 1)


if __name__ == "__main__":
    main()
