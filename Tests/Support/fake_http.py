#!/usr/bin/python3
"""A loopback HTTP/1.1 server for HTTPClient tests.

Prints "PORT <n>" once listening and exits when its stdin closes (the test process ended).
Routes (any method):
  /echo               200, JSON of method, path, headers, body, client port
  /status/<n>         status n, header X-Test: yes, body "status <n>"
  /slow?ms=<n>        sleeps n ms, then 200
  /big?bytes=<n>      200 with n bytes; &chunked=1 sends no Content-Length
  /redirect           302 to /echo
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body, headers=(), chunked=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 16384):
                part = body[i:i + 16384]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def _handle(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/echo":
            out = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
                "client_port": self.client_address[1],
            }
            self._reply(200, json.dumps(out).encode(), [("Content-Type", "application/json")])
        elif url.path.startswith("/status/"):
            n = int(url.path.split("/")[2])
            self._reply(n, b"status %d" % n, [("X-Test", "yes"), ("Retry-After", "7")])
        elif url.path == "/slow":
            time.sleep(int(q.get("ms", ["1000"])[0]) / 1000)
            self._reply(200, b"slow")
        elif url.path == "/big":
            n = int(q.get("bytes", ["0"])[0])
            self._reply(200, b"x" * n, chunked=q.get("chunked") == ["1"])
        elif url.path == "/redirect":
            self._reply(302, b"", [("Location", "/echo")])
        else:
            self._reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def do_HEAD(self):
        self._reply(200, b"")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up early (size limits, timeouts) are expected


def main():
    """fake_http.py [HOST] [CERT KEY]: with a certificate and key, serves HTTPS."""
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    if ":" in host:
        import socket
        Server.address_family = socket.AF_INET6
    srv = Server((host, 0), Handler)
    if len(sys.argv) > 3:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns at EOF: the parent is gone


if __name__ == "__main__":
    main()
