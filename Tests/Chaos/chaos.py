#!/usr/bin/python3
"""Chaos driver for scripts/chaos: runs the REAL release binary on loopback and injects faults.

  chaos.py --binary .build/release/otp-relay --work DIR [--scenarios crash,providers,...]
           [--rounds 20] [--jobs 300] [--slow 1000] [--attempts 3000] [--fault-rate 0.4]

Every scenario is bounded in time and count and stops by itself; everything binds 127.0.0.1.
Prints one figures table and a machine-readable CHAOS line; exits 1 if any scenario failed.
Never prints an OTP, a password or a full recipient (job ids and counts only).
"""
import argparse
import base64
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER = "simas-id"
PASSWORD = "chaos-" + base64.b16encode(os.urandom(12)).decode().lower()
DATA_KEY = base64.b64encode(os.urandom(32)).decode()
TERMINAL = ("sent", "dead", "expired")


def log(msg):
    print("chaos: " + msg, flush=True)


# ---------------------------------------------------------------- fake provider (http gateway)

class FaultPlan:
    """Fault mix for the fake provider; rates are fractions of requests."""

    def __init__(self, rate=0.0, seed=1):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.rate = rate
        # within the faulty fraction: error 500, 429 + Retry-After, timeout, reset, slow-then-ok
        self.mix = [("e500", 0.25), ("r429", 0.25), ("timeout", 0.15), ("reset", 0.15), ("slow", 0.20)]

    def pick(self):
        with self.lock:
            if self.rng.random() >= self.rate:
                return "ok"
            x, acc = self.rng.random(), 0.0
            for name, w in self.mix:
                acc += w
                if x < acc:
                    return name
            return "ok"


class Provider:
    """A loopback SMS gateway: counts requests per job id, answers by the fault plan."""

    def __init__(self, plan, latency_ms=(5, 40), limit_per_s=None):
        self.plan = plan
        self.latency_ms = latency_ms
        # A real limit: a token bucket of limit_per_s (a tenth of a second's burst); past it, 429.
        self.limit = limit_per_s
        self.tokens = (limit_per_s or 0) / 10.0
        self.tokens_at = time.monotonic()
        self.lock = threading.Lock()
        self.requests = collections.Counter()   # job id -> requests seen
        self.resets = collections.Counter()     # job id -> connections reset on its requests
        self.accepted = collections.Counter()   # job id -> 200s answered
        self.outcomes = collections.Counter()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                try:
                    job = json.loads(body).get("job_id", "?")
                except ValueError:
                    job = "?"
                kind = provider.plan.pick()
                if kind == "ok" and provider.over_limit():
                    kind = "limit429"
                with provider.lock:
                    provider.requests[job] += 1
                    if kind == "reset":
                        provider.resets[job] += 1
                    provider.outcomes[kind] += 1
                time.sleep(random.uniform(*provider.latency_ms) / 1000)
                if kind == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    self.connection.close()
                    return
                if kind == "timeout":
                    time.sleep(2.5)  # beyond the provider's total_timeout_ms (1 s)
                if kind == "slow":
                    time.sleep(0.4)
                if kind == "e500":
                    return self.reply(500, {"error": "injected"})
                if kind in ("r429", "limit429"):
                    return self.reply(429, {"error": "slow down"}, [("Retry-After", "1")])
                with provider.lock:
                    provider.accepted[job] += 1
                self.reply(200, {"data": {"id": "gw-" + job}})

            def reply(self, status, obj, headers=()):
                data = json.dumps(obj).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, *a):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def over_limit(self):
        if self.limit is None:
            return False
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.limit / 10.0, self.tokens + (now - self.tokens_at) * self.limit)
            self.tokens_at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return False
            return True

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- the service

class Service:
    def __init__(self, binary, work, db, provider_port=None, retry=None, extra_config=None, env_extra=None):
        self.binary, self.work, self.db = binary, work, db
        cfg = {"log_level": "info", "otp_validity_seconds": 300}
        if provider_port:
            cfg["delivery"] = {
                "providers": {"gw": {
                    "kind": "http", "method": "POST", "url": "http://127.0.0.1:%d/send" % provider_port,
                    "body_kind": "json", "body_template": "{\"job_id\": \"{job_id}\", \"to\": \"{to}\"}",
                    "channels": ["sms", "whatsapp"], "connect_timeout_ms": 500, "total_timeout_ms": 1000}},
                "routes": {"sms": ["gw"], "whatsapp": ["gw"]},
                "retry": retry or {"base_delay_ms": 100, "max_delay_ms": 1000, "max_attempts": 8},
                "circuit_breaker": {"consecutive_failures": 50, "failure_rate": 0.9, "window": 50,
                                    "cool_down_ms": 500},
                "workers": 16, "batch_size": 16, "lease_ms": 3000, "expire_sweep_ms": 1000, "max_idle_ms": 500,
            }
        cfg.update(extra_config or {})
        self.config_path = os.path.join(work, "config.json")
        with open(self.config_path, "w") as f:
            json.dump(cfg, f)
        self.env = dict(os.environ)
        self.env.update({
            "OTP_RELAY_DB": db, "OTP_RELAY_LISTEN": "127.0.0.1:0", "OTP_RELAY_ADMIN_LISTEN": "127.0.0.1:0",
            "OTP_RELAY_WEBHOOK_USERNAME": USER, "OTP_RELAY_WEBHOOK_PASSWORD": PASSWORD,
            "OTP_RELAY_ADMIN_USERNAME": "admin", "OTP_RELAY_ADMIN_PASSWORD": PASSWORD,
            "OTP_RELAY_DATA_KEY": DATA_KEY, "OTP_RELAY_CONFIG": self.config_path,
            "OTP_RELAY_SANDBOX_FILE": os.path.join(work, "sandbox.jsonl"),
        })
        self.env.update(env_extra or {})
        self.proc = None
        self.port = 0
        self.starts = 0

    def start(self, timeout=20):
        self.starts += 1
        self.stderr_path = os.path.join(self.work, "service-%d.log" % self.starts)
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=self.work,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.stderr_path) as f:
                for line in f:
                    if '"msg":"listening"' in line:
                        obj = json.loads(line)
                        self.port = int(str(obj.get("public", "")).rsplit(":", 1)[-1])
                        return
            if self.proc.poll() is not None:
                raise RuntimeError("service exited with %s (log %s)" % (self.proc.returncode, self.stderr_path))
            time.sleep(0.02)
        raise RuntimeError("service did not listen within %ds" % timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.stderr.close()

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


def query(db, sql):
    """Reads the outbox with the sqlite3 CLI, as an operator would (rows of fields; integers as int)."""
    out = subprocess.run(["sqlite3", "-readonly", "-batch", "-noheader", "-separator", "\x1f",
                          "-cmd", ".timeout 10000", db, sql],
                         capture_output=True, text=True, check=True).stdout
    conv = lambda v: int(v) if v.lstrip("-").isdigit() else v
    return [tuple(conv(v) for v in line.split("\x1f")) for line in out.splitlines()]


def statuses(db, ids):
    out = {}
    rows = query(db, "SELECT id, status FROM jobs")
    want = set(ids)
    for i, s in rows:
        if i in want:
            out[i] = s
    return out


def wait_terminal(db, ids, timeout):
    deadline = time.time() + timeout
    st = {}
    while time.time() < deadline:
        st = statuses(db, ids)
        if len(st) == len(ids) and all(s in TERMINAL for s in st.values()):
            return st, True
        time.sleep(0.25)
    return st, False


# ---------------------------------------------------------------- HTTP client bits

AUTH = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()


def webhook_request(identifier, otp, channel="sms", auth=AUTH, keep_alive=True):
    body = json.dumps({"identifier": identifier, "otp": otp, "channel": channel}).encode()
    head = ("POST /v1/webhooks/otp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (auth, len(body), "" if keep_alive else "Connection: close\r\n"))
    return head.encode() + body


def read_response(sock):
    """Reads one response; returns (status, headers dict, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, headers, rest[:n]


class Client:
    """A keep-alive connection that reconnects on failure."""

    def __init__(self, port, timeout=10):
        self.port, self.timeout, self.sock = port, timeout, None

    def call(self, raw):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        try:
            self.sock.sendall(raw)
            st, h, b = read_response(self.sock)
            if h.get("connection", "").lower() == "close":
                self.close()
            return st, h, b
        except Exception:
            self.close()
            raise

    def close(self):
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None


def phone(n):
    return "0813%08d" % n


def otp_for(n):
    return "%06d" % (n % 1000000)


# ---------------------------------------------------------------- scenarios

def scenario_crash(a, binary, work):
    """N rounds: load, SIGKILL at a random moment, restart. Then every 200 must end terminal."""
    db = os.path.join(work, "outbox.sqlite")
    provider = Provider(FaultPlan(0.0), latency_ms=(20, 120))
    svc = Service(binary, work, db, provider.port,
                  retry={"base_delay_ms": 100, "max_delay_ms": 1000, "max_attempts": 8})
    acked, seq, lock = [], [0], threading.Lock()
    kills_with_sending = 0
    in_flight_at_kill = 0
    errors_during = collections.Counter()

    def loader(port, stop):
        c = Client(port, timeout=5)
        while not stop.is_set():
            with lock:
                seq[0] += 1
                n = seq[0]
            try:
                st, _, body = c.call(webhook_request(phone(n), otp_for(n)))
            except Exception:
                errors_during["connection"] += 1
                time.sleep(0.01)
                continue
            if st == 200:
                with lock:
                    acked.append(json.loads(body)["id"])
            else:
                errors_during[st] += 1
            time.sleep(0.004)  # about 200 requests/s per loader: a busy morning, not a flood
        c.close()

    for r in range(a.rounds):
        svc.start()
        stop = threading.Event()
        threads = [threading.Thread(target=loader, args=(svc.port, stop)) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.3, 1.5))
        svc.kill()  # SIGKILL mid-load: commits, sends and leases in flight
        stop.set()
        for t in threads:
            t.join()
        sending = query(db, "SELECT count(*) FROM jobs WHERE status = 'sending'")[0][0]
        in_flight_at_kill += sending
        kills_with_sending += 1 if sending else 0
    svc.start()
    st, done = wait_terminal(db, acked, timeout=240)
    rc = svc.stop()
    time.sleep(0.2)
    lost = [i for i in acked if i not in st]
    not_terminal = [i for i, s in st.items() if s not in TERMINAL]
    counts = collections.Counter(st.values())
    dups = sum(n - 1 for j, n in provider.accepted.items() if n > 1)
    provider.stop()
    ok = done and not lost and not not_terminal and rc == 0
    return ok, {
        "rounds": a.rounds, "acknowledged": len(acked), "lost": len(lost), "not_terminal": len(not_terminal),
        "sent": counts["sent"], "dead": counts["dead"], "expired": counts["expired"],
        "sending_at_kill(sum)": in_flight_at_kill, "kills_with_sends_in_flight": kills_with_sending,
        "duplicate_sends": dups, "duplicates_per_crash": round(dups / a.rounds, 2),
        "non_200_during_load": dict(errors_during), "final_exit": rc,
    }


def post_and_drain(svc, db, count, first_phone):
    """Starts the service, posts `count` webhooks (distinct numbers from `first_phone`), and waits up to
    120 s for the accepted ones to end terminal: (ids, statuses, all terminal, seconds waited)."""
    svc.start()
    ids = []
    c = Client(svc.port)
    for n in range(count):
        st, _, body = c.call(webhook_request(phone(first_phone + n), otp_for(n)))
        if st == 200:
            ids.append(json.loads(body)["id"])
    c.close()
    t0 = time.time()
    st, done = wait_terminal(db, ids, timeout=120)
    return ids, st, done, time.time() - t0


def scenario_providers(a, binary, work):
    """A provider failing at --fault-rate with 500s, 429s, timeouts, resets and slow answers."""
    db = os.path.join(work, "outbox.sqlite")
    max_attempts = 6
    provider = Provider(FaultPlan(a.fault_rate, seed=7), latency_ms=(2, 20))
    svc = Service(binary, work, db, provider.port,
                  retry={"base_delay_ms": 100, "max_delay_ms": 1500, "max_attempts": max_attempts})
    ids, st, done, drain = post_and_drain(svc, db, a.jobs, 100000)
    rc = svc.stop()
    counts = collections.Counter(st.values())
    per_job = [provider.requests.get(i, 0) for i in ids]
    # A reset of a reused keep-alive connection makes libcurl send the request again by itself (below):
    # each reset may add one request the service never counted as a try.
    over = sum(1 for i in ids if provider.requests.get(i, 0) > max_attempts + provider.resets.get(i, 0))
    rows = query(db, "SELECT max(attempts) FROM jobs")
    tries = dict(query(db, "SELECT job_id, count(*) FROM attempts GROUP BY job_id"))
    # libcurl re-sends once by itself when a reused keep-alive connection dies before any answer
    # (a reset): the provider then sees more requests than the job has attempt rows.
    beyond = sum(1 for i in ids if provider.requests.get(i, 0) > tries.get(i, 0))
    dead_reasons = collections.Counter(r[0] for r in query(db, "SELECT substr(coalesce(last_error,''),1,40) FROM jobs WHERE status='dead'"))
    provider.stop()
    ok = done and len(ids) == a.jobs and over == 0 and rc == 0
    return ok, {
        "jobs": a.jobs, "accepted": len(ids), "all_terminal": done, "drain_s": round(drain, 1),
        "sent": counts["sent"], "dead": counts["dead"], "expired": counts["expired"],
        "fault_rate": a.fault_rate, "injected": dict(provider.outcomes),
        "provider_requests_max_per_job": max(per_job) if per_job else 0, "max_attempts": max_attempts,
        "jobs_over_max_attempts": over, "jobs.attempts_max": rows[0][0],
        "jobs_with_more_requests_than_attempt_rows": beyond,
        "dead_reasons": dict(dead_reasons), "final_exit": rc,
    }


def scenario_throttle(a, binary, work):
    """A provider with a real limit (--limit per second, 429 + Retry-After past it) and 5 % random
    faults: the rate governor finds the limit. Every job ends sent, the drain takes about what the
    limit allows (not minutes), and the provider refuses a bounded share of what it is sent."""
    db = os.path.join(work, "outbox.sqlite")
    provider = Provider(FaultPlan(0.05, seed=3), latency_ms=(2, 10), limit_per_s=a.limit)
    svc = Service(binary, work, db, provider.port,
                  retry={"base_delay_ms": 100, "max_delay_ms": 1500, "max_attempts": 12})
    ids, st, done, drain = post_and_drain(svc, db, a.throttle_jobs, 200000)
    rc = svc.stop()
    provider.stop()
    counts = collections.Counter(st.values())
    requests = sum(provider.requests.values())
    over = provider.outcomes["limit429"]
    # The floor: every job once at the limit; the bounds: twice that plus the retry backoff, and at
    # most 15 % of the requests refused for the limit (the governor that halved on every throttle
    # took 32.9 s for 600 at 50/s with 28.6 % refused; this one 17.6 s with 2.6 %).
    floor = len(ids) / float(a.limit)
    ok = (done and counts["sent"] == len(ids) == a.throttle_jobs and drain <= 2 * floor + 6
          and over <= 0.15 * requests and rc == 0)
    return ok, {
        "jobs": a.throttle_jobs, "accepted": len(ids), "limit_per_s": a.limit, "all_terminal": done,
        "sent": counts["sent"], "drain_s": round(drain, 1), "drain_at_limit_s": round(floor, 1),
        "provider_requests": requests, "over_limit_429": over,
        "over_limit_share": round(over / float(max(1, requests)), 3), "injected": dict(provider.outcomes),
        "final_exit": rc,
    }


def scenario_slowloris(a, binary, work):
    """--slow connections held open (idle or trickling a head) while timed webhooks keep going."""
    db = os.path.join(work, "outbox.sqlite")
    svc = Service(binary, work, db)
    svc.start()
    port = svc.port
    socks = []
    refused = 0
    for i in range(a.slow):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setblocking(False)
            socks.append([s, i % 2 == 0, 0])  # half idle, half trickling
        except OSError:
            refused += 1
    partial = b"POST /v1/webhooks/otp HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
    stop = threading.Event()
    reopened = [0]

    def trickle():
        while not stop.is_set():
            for entry in socks:
                s, trickling, pos = entry
                if not trickling:
                    continue
                try:
                    s.send(partial[pos:pos + 1])
                    entry[2] = (pos + 1) % len(partial)
                except OSError:
                    try:
                        s.close()
                        ns = socket.create_connection(("127.0.0.1", port), timeout=5)
                        ns.setblocking(False)
                        entry[0], entry[2] = ns, 0
                        reopened[0] += 1
                    except OSError:
                        pass
            stop.wait(1.0)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    time.sleep(1.0)
    lat, statuses_seen = [], collections.Counter()
    end = time.time() + a.slow_seconds
    n = 0
    while time.time() < end:
        n += 1
        t0 = time.perf_counter()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(webhook_request(phone(500000 + n), otp_for(n), keep_alive=False))
            st, _, _ = read_response(s)
            s.close()
        except Exception:
            st = "error"
        lat.append((time.perf_counter() - t0) * 1000)
        statuses_seen[st] += 1
        time.sleep(0.01)
    stop.set()
    t.join()
    alive = 0
    for s, _, _ in socks:
        try:
            s.recv(1)
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    rc = svc.stop()
    lat.sort()
    p = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2) if lat else None
    ok = p(0.99) is not None and p(0.99) <= 50 and statuses_seen.get(200, 0) == len(lat) and rc == 0
    return ok, {
        "slow_connections": a.slow, "refused_at_open": refused, "still_open_at_end": alive,
        "reopened_after_server_timeout": reopened[0], "requests": len(lat), "statuses": dict(statuses_seen),
        "p50_ms": p(0.5), "p99_ms": p(0.99), "max_ms": round(lat[-1], 2) if lat else None, "final_exit": rc,
    }


def scenario_full_store(a, binary, work):
    """The database on a 6 MiB tmpfs; the disk is filled under load, then space returns."""
    mnt = os.path.join(work, "smallfs")
    os.makedirs(mnt, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        return None, {"skipped": "cannot mount a tmpfs (%s)" % r.stderr.strip()[:80]}
    try:
        db = os.path.join(mnt, "outbox.sqlite")
        svc = Service(binary, work, db)
        svc.start()
        c = Client(svc.port)
        acked, n = [], [0]
        st_counts = collections.Counter()
        bad_shape = 0

        def send(k):
            nonlocal bad_shape
            n[0] += 1
            try:
                st, h, body = c.call(webhook_request(phone(700000 + n[0]), otp_for(n[0])))
            except Exception:
                st_counts["connection"] += 1
                return None
            st_counts[(k, st)] += 1
            if st == 200:
                acked.append(json.loads(body)["id"])
            elif st == 503:
                try:
                    obj = json.loads(body)
                    if obj.get("error") != "service_unavailable" or "error_description" not in obj or "retry-after" not in h:
                        bad_shape += 1
                except ValueError:
                    bad_shape += 1
            return st

        for _ in range(50):
            send("before")
        # Fill the filesystem: a filler file until ENOSPC.
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        full_503 = 0
        for _ in range(200):
            if send("full") == 503:
                full_503 += 1
        os.remove(filler)  # space returns
        t0 = time.time()
        recovered_after = None
        while time.time() - t0 < 30:
            if send("after") == 200:
                recovered_after = round(time.time() - t0, 2)
                break
            time.sleep(0.1)
        for _ in range(50):
            send("after")
        c.close()
        alive = svc.proc.poll() is None
        rc = svc.stop()
        # Every acknowledged job must be in the file, in any state (delivery is the sandbox here).
        present = statuses(db, acked)
        lost = [i for i in acked if i not in present]
        integrity = query(db, "PRAGMA integrity_check")[0][0]
        ok = (full_503 > 0 and not lost and recovered_after is not None and bad_shape == 0 and alive
              and integrity == "ok")
        return ok, {
            "acknowledged": len(acked), "lost": len(lost), "503_while_full": full_503,
            "non_partner_shaped_503": bad_shape, "recovered_after_s": recovered_after,
            "alive_throughout": alive, "integrity_check": integrity,
            "statuses": {"%s:%s" % k if isinstance(k, tuple) else k: v for k, v in sorted(st_counts.items(), key=str)},
            "final_exit": rc,
        }
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)


def scenario_brute_force(a, binary, work):
    """Thousands of wrong BasicAuth attempts from one client: throttled, nothing enqueued; the
    valid credential keeps working throughout."""
    db = os.path.join(work, "outbox.sqlite")
    svc = Service(binary, work, db)
    svc.start()
    before = query(db, "SELECT count(*) FROM jobs")[0][0]
    c = Client(svc.port)
    seen = collections.Counter()
    retry_after_missing = 0
    valid_ok, valid_total = 0, 0
    t0 = time.time()
    for i in range(a.attempts):
        guess = "Basic " + base64.b64encode(("%s:guess-%d" % (USER if i % 2 else "admin", i)).encode()).decode()
        try:
            st, h, body = c.call(webhook_request(phone(900000 + i), otp_for(i), auth=guess))
        except Exception:
            seen["connection"] += 1
            continue
        seen[st] += 1
        if st == 429 and "retry-after" not in h:
            retry_after_missing += 1
        if i % 500 == 250:
            valid_total += 1
            v = Client(svc.port)
            st2, _, _ = v.call(webhook_request(phone(990000 + i), otp_for(i)))
            v.close()
            valid_ok += 1 if st2 == 200 else 0
    elapsed = time.time() - t0
    c.close()
    after = query(db, "SELECT count(*) FROM jobs")[0][0]
    rc = svc.stop()
    enqueued_by_attacker = after - before - valid_ok
    ok = (seen[429] > 0 and seen[200] == 0 and enqueued_by_attacker == 0 and valid_ok == valid_total
          and retry_after_missing == 0 and rc == 0)
    return ok, {
        "wrong_attempts": a.attempts, "statuses": dict(seen), "throttled_429": seen[429],
        "unauthorized_401": seen[401], "enqueued_by_wrong_credentials": enqueued_by_attacker,
        "valid_requests_during_attack": "%d/%d ok" % (valid_ok, valid_total),
        "429_without_retry_after": retry_after_missing, "attempts_per_s": round(a.attempts / elapsed), "final_exit": rc,
    }


SCENARIOS = {
    "crash": scenario_crash, "providers": scenario_providers, "throttle": scenario_throttle,
    "slowloris": scenario_slowloris,
    "full-store": scenario_full_store, "brute-force": scenario_brute_force,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--limit", type=int, default=50, help="throttle: the provider's limit per second")
    ap.add_argument("--throttle-jobs", type=int, default=600)
    ap.add_argument("--fault-rate", type=float, default=0.4)
    ap.add_argument("--slow", type=int, default=1000)
    ap.add_argument("--slow-seconds", type=float, default=15)
    ap.add_argument("--attempts", type=int, default=3000)
    a = ap.parse_args()
    results = []
    failed = False
    for name in a.scenarios.split(","):
        work = os.path.join(os.path.abspath(a.work), name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        log("scenario %s (work dir %s)" % (name, work))
        t0 = time.time()
        try:
            ok, figures = SCENARIOS[name](a, os.path.abspath(a.binary), work)
        except Exception as e:  # a broken scenario is a failure, not a crash of the driver
            ok, figures = False, {"error": "%s: %s" % (type(e).__name__, str(e)[:200])}
        secs = round(time.time() - t0, 1)
        verdict = "skipped" if ok is None else ("PASS" if ok else "FAIL")
        failed |= ok is False
        results.append((name, verdict, secs, figures))
        log("%s %s in %ss: %s" % (name, verdict, secs, json.dumps(figures)))
    print()
    print("%-12s %-8s %8s  %s" % ("scenario", "result", "seconds", "figures"))
    for name, verdict, secs, fig in results:
        print("%-12s %-8s %8s  %s" % (name, verdict, secs, "; ".join("%s=%s" % kv for kv in fig.items())))
    print("CHAOS " + json.dumps({n: dict(fig, result=v, seconds=s) for n, v, s, fig in results}, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
