"""Shared plumbing for the loopback fakes: a threaded HTTP/1.1 server on a free port that prints
"PORT <n>", records every request as one JSON line in --out, and exits when stdin closes."""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    out_path = None
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def record(self, body, **extra):
        rec = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        rec.update(extra)
        with self.lock, open(self.out_path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def reply(self, status, obj=None, raw=None, content_type="application/json", headers=()):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The delivery engine opens many connections at once (no thread per send): a listen backlog
    # of 5 (socketserver's default) would drop SYNs and turn them into connect timeouts.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass


def serve(handler_class, extra_args=()):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    for name, kwargs in extra_args:
        ap.add_argument(name, **kwargs)
    args = ap.parse_args()
    handler_class.out_path = args.out
    handler_class.args = args
    srv = Server(("127.0.0.1", 0), handler_class)
    print("PORT %d" % srv.server_address[1], flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdin.read()
