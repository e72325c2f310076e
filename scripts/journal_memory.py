#!/usr/bin/env python3
"""RSS of the server after 2,000 and after 100,000 requests (JOURNAL_SIZE=1000).

One request in five is a login (two tokens into the lineage index, so its
10 x JOURNAL_SIZE bound is reached too), the rest GET /health. Usage:
  BIN=target/release/mock-auth-server python3 scripts/journal_memory.py
Prints both figures and their difference in KiB; exits 1 if over 2 MiB.
"""
import http.client, json, os, socket, subprocess, sys, threading, time

BIN = os.environ.get("BIN", "target/release/mock-auth-server")
THREADS = 4

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def hammer(port, count):
    login = json.dumps({"email": "alice@example.com", "password": "password123"})
    def work(n):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for i in range(n):
            if i % 5 == 0:
                conn.request("POST", "/api/auth/login", login, {"content-type": "application/json"})
            else:
                conn.request("GET", "/health")
            conn.getresponse().read()
        conn.close()
    threads = [threading.Thread(target=work, args=(count // THREADS,)) for _ in range(THREADS)]
    for t in threads: t.start()
    for t in threads: t.join()

port = free_port()
env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", JOURNAL_SIZE="1000", BCRYPT_COST="4", LOG_LEVEL="warn")
server = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port).request("GET", "/health"); break
        except OSError:
            time.sleep(0.1)
    started = time.time()
    hammer(port, 2000)
    after_2k = rss_kib(server.pid)
    hammer(port, 98000)
    after_100k = rss_kib(server.pid)
    took = time.time() - started
    diff = after_100k - after_2k
    print(f"RSS after 2,000 requests: {after_2k} KiB; after 100,000: {after_100k} KiB; "
          f"difference {diff} KiB ({took:.0f} s)")
    sys.exit(0 if diff <= 2048 else 1)
finally:
    server.terminate(); server.wait()
