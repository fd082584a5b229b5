#!/usr/bin/env python3
"""Runs the real binary under strace through a serve (webhooks accepted; one delivered by the sandbox,
one over libcurl to a loopback HTTP gateway (Tests/Support/fake_gateway.py); /metrics,
/readyz and the status page; the watchdog; SIGTERM) and checks that every system call it made is
allowed by the unit's SystemCallFilter= lines, expanded with `systemd-analyze syscall-filter`, and
every socket family it opened by RestrictAddressFamilies=: a filter too narrow would kill the service
(SIGSYS) or fail its calls (EPERM) only in production.
  deploy/check/syscalls.py BINARY UNIT_FILE"""
import base64, json, os, re, signal, subprocess, sys, tempfile, time, urllib.request

binary, unit = os.path.realpath(sys.argv[1]), sys.argv[2]

def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    g, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line.strip(); g[cur] = []
        elif cur and line.strip() and not line.strip().startswith("#"):
            g[cur].append(line.strip())
    return g

G = groups()
def expand(names, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n in seen: continue
            seen.add(n); out |= expand(G.get(n, []), seen)
        else:
            out.add(n)
    return out

allowed, families = set(), set()
for line in open(unit):
    m = re.match(r"\s*RestrictAddressFamilies=(.*)", line)
    if m: families |= set(m.group(1).split())
    m = re.match(r"\s*SystemCallFilter=(~?)(.*)", line)
    if not m: continue
    names = expand(m.group(2).split())
    if m.group(1): allowed -= names
    else: allowed |= names

support = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Support")
with tempfile.TemporaryDirectory() as d:
    trace = os.path.join(d, "trace")
    gw = subprocess.Popen([sys.executable, os.path.join(support, "fake_gateway.py"), "--out", d + "/gateway.jsonl"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    gw_port = int(gw.stdout.readline().split()[1])
    with open(d + "/config.json", "w") as f:
        json.dump({"delivery": {"providers": {
            "gw": {"kind": "http", "method": "POST", "url": "http://localhost:%d/sms" % gw_port, "body_kind": "json",
                   "body_template": "{\"to\": \"{to}\", \"text\": \"{text}\"}", "channels": ["sms"]},
            "sb": {"kind": "sandbox", "file": d + "/sandbox.jsonl"}},
            "routes": {"sms": ["gw"], "whatsapp": ["sb"], "email": ["sb"]}}}, f)
    env = {"PATH": "/usr/bin:/bin", "OTP_RELAY_DB": d + "/o.sqlite", "OTP_RELAY_LISTEN": "127.0.0.1:0",
           "OTP_RELAY_ADMIN_LISTEN": "127.0.0.1:0", "OTP_RELAY_WEBHOOK_USERNAME": "simas-id",
           "OTP_RELAY_WEBHOOK_PASSWORD": "check-password-0123456789", "OTP_RELAY_ADMIN_USERNAME": "admin",
           "OTP_RELAY_ADMIN_PASSWORD": "check-password-0123456789", "OTP_RELAY_SANDBOX_FILE": d + "/sandbox.jsonl",
           "NOTIFY_SOCKET": "@otp-relay-check-%d" % os.getpid(), "WATCHDOG_USEC": "200000",
           "OTP_RELAY_CONFIG": d + "/config.json"}
    err = open(d + "/stderr", "w")
    p = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, binary, "serve"], env=env, cwd=d,
                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        ports, deadline = None, time.time() + 30
        while not ports and time.time() < deadline:
            time.sleep(0.1)
            for line in open(d + "/stderr"):
                if '"msg":"listening"' in line:
                    o = json.loads(line); ports = (o["public"].rsplit(":", 1)[1], o["admin"].rsplit(":", 1)[1])
        if not ports: sys.exit("syscalls: the service did not start: " + open(d + "/stderr").read()[-2000:])
        auth = "Basic " + base64.b64encode(b"simas-id:check-password-0123456789").decode()
        for channel, identifier in [("sms", "081234567890"), ("whatsapp", "081234567891")]:
            body = json.dumps({"identifier": identifier, "otp": "123456", "channel": channel}).encode()
            req = urllib.request.Request("http://127.0.0.1:%s/v1/webhooks/otp" % ports[0], data=body,
                                         headers={"Authorization": auth, "Content-Type": "application/json"})
            assert urllib.request.urlopen(req, timeout=10).status == 200
        def delivered(f):
            return os.path.exists(f) and os.path.getsize(f) > 0
        deadline = time.time() + 20
        while time.time() < deadline and not (delivered(d + "/sandbox.jsonl") and delivered(d + "/gateway.jsonl")):
            time.sleep(0.1)
        if not (delivered(d + "/sandbox.jsonl") and delivered(d + "/gateway.jsonl")):
            sys.exit("syscalls: the OTPs were not delivered: " + open(d + "/stderr").read()[-2000:])
        admin = "Basic " + base64.b64encode(b"admin:check-password-0123456789").decode()
        for path in ["/metrics", "/readyz", "/", "/v1/stats"]:
            urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%s%s" % (ports[1], path),
                                                          headers={"Authorization": admin}), timeout=10).read()
        time.sleep(0.5)  # a few watchdog pings
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=30)
        os.killpg(gw.pid, signal.SIGTERM)
        gw.wait(timeout=10)
    used, opened = set(), set()
    for line in open(trace):
        f = re.match(r"\d+\s+socket\((AF_[A-Z0-9]+)", line)
        if f: opened.add(f.group(1))
        m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
        if m and "resumed" not in line.split("(")[0] and not line.split()[1].startswith("+++") and not line.split()[1].startswith("---"):
            used.add(m.group(1))
    # Before execve the process is strace's child; the filter applies from the service's execve.
    used.discard("execve")
    # SQLite gives a file it creates its database's owner (fchown) only when running as root; the
    # unit never does (DynamicUser=yes).
    if os.geteuid() == 0: used.discard("fchown")
    denied = sorted(used - allowed)
    if opened - families:
        sys.exit("syscalls: socket families not in RestrictAddressFamilies: " + ", ".join(sorted(opened - families)))
    if denied:
        sys.exit("syscalls: not allowed by the unit's SystemCallFilter: " + ", ".join(denied))
    print("syscalls: the %d distinct system calls serve made are all allowed by the unit's SystemCallFilter; socket families %s"
          % (len(used), " ".join(sorted(opened))))
