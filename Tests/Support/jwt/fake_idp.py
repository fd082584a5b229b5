#!/usr/bin/python3
"""A fake SIMAS-ID for tests, on 127.0.0.1 only.

usage: fake_idp.py --dir DIR [--port 0]

Prints "PORT <n>" on stdout once listening. Serves:
  GET /v1/oidc/certs      DIR/jwks.json (re-read per request), counted; optional delay, status and
                          Cache-Control set through the control endpoints
  GET /v1/oidc/userinfo   Bearer userinfo-ok -> 200 claims; userinfo-noscope -> 403
                          insufficient_scope; userinfo-forbidden -> 403 without a scope error;
                          userinfo-broken -> 500; anything else -> 401 invalid_token
Control (not counted):
  GET /_control/count                  {"certs": n, "userinfo": n}
  GET /_control/use?jwks=NAME          serve DIR/NAME from now on
  GET /_control/delay?ms=N             delay each certs response
  GET /_control/status?code=N          answer certs with this status (200 restores)
  GET /_control/cache?value=V          Cache-Control on certs ("" removes it)
  GET /_control/stop                   shut down
"""
import argparse, json, os, shutil, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

state = {"certs": 0, "userinfo": 0, "delay_ms": 0, "status": 200, "cache": "max-age=300"}
lock = threading.Lock()
DIR = "."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/v1/oidc/certs":
            with lock:
                state["certs"] += 1
                delay, status, cache = state["delay_ms"], state["status"], state["cache"]
            if delay:
                time.sleep(delay / 1000)
            if status != 200:
                return self.send(status, {"error": "unavailable"})
            with open(os.path.join(DIR, "jwks.json"), "rb") as f:
                body = f.read()
            return self.send(200, body, [("Cache-Control", cache)] if cache else [])
        if url.path == "/v1/oidc/userinfo":
            with lock:
                state["userinfo"] += 1
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            if token == "userinfo-ok":
                return self.send(200, {"sub": "279a-9bf", "email_verified": False, "preferred_username": "6285610573956",
                                       "given_name": "John", "family_name": "Doe", "timestamp": "2023-10-13T08:27:25Z"})
            if token == "userinfo-noscope":
                return self.send(403, {"error": "insufficient_scope"},
                                 [("WWW-Authenticate", 'Bearer realm="simas-id", error="insufficient_scope", error_description="openid scope required"')])
            if token == "userinfo-forbidden":
                return self.send(403, {"error": "forbidden"})
            if token == "userinfo-broken":
                return self.send(500, {"error": "unexpected_error"})
            return self.send(401, {"error": "invalid_token"},
                             [("WWW-Authenticate", 'Bearer realm="simas-id", error="invalid_token", error_description="Token verification failed"')])
        if url.path == "/_control/count":
            with lock:
                return self.send(200, {"certs": state["certs"], "userinfo": state["userinfo"]})
        if url.path == "/_control/use":
            shutil.copy(os.path.join(DIR, os.path.basename(q["jwks"])), os.path.join(DIR, "jwks.json.tmp"))
            os.replace(os.path.join(DIR, "jwks.json.tmp"), os.path.join(DIR, "jwks.json"))
            return self.send(200, {"ok": True})
        if url.path == "/_control/delay":
            with lock:
                state["delay_ms"] = int(q["ms"])
            return self.send(200, {"ok": True})
        if url.path == "/_control/status":
            with lock:
                state["status"] = int(q["code"])
            return self.send(200, {"ok": True})
        if url.path == "/_control/cache":
            with lock:
                state["cache"] = q.get("value", "")
            return self.send(200, {"ok": True})
        if url.path == "/_control/stop":
            self.send(200, {"ok": True})
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            return
        self.send(404, {"error": "not_found"})


def main():
    global DIR
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    DIR = a.dir
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
