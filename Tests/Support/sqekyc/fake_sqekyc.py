#!/usr/bin/python3
"""A loopback SQEKYC for the KYC tests, speaking the partner document's shapes
("BE - BE Call to Store KYC Data"), including its spelling "sucess".

  POST /v1/common-kyc                 body {client_id, phone_number, full_name, nik, date_of_birth, email}
                                      200 {"meta": {"id", "status": "sucess", "message"}}
  GET  /v1/common-kyc?phone_number=   200 {"data": {..., "id", "created_at"}, "meta": {...}}, 404 when unknown

Both require Authorization: Basic base64(--client-id:--client-secret), else 401 with a meta.
A body without the six string fields gets 400. Every /v1 request is recorded as one JSON line in
--out (method, path, headers, body).

Prints "PORT <n>" once listening. Control is on stdin, one JSON object per line, each answered
"OK" on stdout; the process exits when stdin closes:
  {"fail": [{"status": 503, "retry_after": "2", "delay_ms": 0, "message": "...", "raw": "..."}, ...]}
      the next requests to /v1/common-kyc get these answers in order ("raw" replaces the meta
      body; a "delay_ms" without "status" only delays a normal answer: longer than the client's
      timeout, it is a timeout)
  {"spelling": "success"}   the status word of successful answers
  {"reset": true}           forget the failures and the stored records
"""
import base64
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit, parse_qs

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fakelib import RecordingHandler, Server  # noqa: E402

FIELDS = ["client_id", "phone_number", "full_name", "nik", "date_of_birth", "email"]
state = {"fail": [], "records": {}, "spelling": "sucess", "counter": 0}
lock = threading.Lock()


def meta(status, message):
    with lock:
        state["counter"] += 1
        n = state["counter"]
    return {"id": "req-%d" % n, "status": status, "message": message}


class Handler(RecordingHandler):
    expected_auth = None

    def _common(self):
        url = urlsplit(self.path)
        body = self.read_body()
        if not url.path.startswith("/v1/"):
            return self.reply(404, {"meta": meta("failed", "not found")})
        self.record(body)
        if url.path != "/v1/common-kyc":
            return self.reply(404, {"meta": meta("failed", "not found")})
        if self.headers.get("Authorization") != self.expected_auth:
            return self.reply(401, {"meta": meta("failed", "unauthorized")})
        with lock:
            plan = state["fail"].pop(0) if state["fail"] else None
        if plan:
            time.sleep(plan.get("delay_ms", 0) / 1000)
            if plan.get("status"):
                headers = [("Retry-After", plan["retry_after"])] if plan.get("retry_after") else []
                raw = plan["raw"].encode() if "raw" in plan else None
                return self.reply(plan["status"], {"meta": meta("failed", plan.get("message", "failure"))},
                                  raw=raw, headers=headers)
        if self.command == "POST":
            return self._store(body)
        if self.command == "GET":
            return self._fetch(parse_qs(url.query))
        return self.reply(405, {"meta": meta("failed", "method not allowed")})

    def _store(self, body):
        try:
            obj = json.loads(body)
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or any(not isinstance(obj.get(f), str) for f in FIELDS):
            return self.reply(400, {"meta": meta("failed", "invalid request body")})
        with lock:
            rec = {f: obj[f] for f in FIELDS}
            rec["id"] = "kyc-%d" % (len(state["records"]) + 1)
            rec["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            state["records"][obj["phone_number"]] = rec
        self.reply(200, {"meta": meta(state["spelling"], "store common kyc data success")})

    def _fetch(self, query):
        phone = query.get("phone_number", [""])[0]
        if not phone:
            return self.reply(400, {"meta": meta("failed", "phone_number is required")})
        with lock:
            rec = state["records"].get(phone)
        if rec is None:
            return self.reply(404, {"meta": meta("failed", "data not found")})
        self.reply(200, {"data": rec, "meta": meta(state["spelling"], "get common kyc data success")})

    do_GET = do_POST = do_PUT = do_DELETE = _common


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    args = ap.parse_args()
    Handler.out_path = args.out
    token = base64.b64encode(("%s:%s" % (args.client_id, args.client_secret)).encode()).decode()
    Handler.expected_auth = "Basic " + token
    srv = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        with lock:
            if cmd.get("reset"):
                state["fail"].clear()
                state["records"].clear()
            if "fail" in cmd:
                state["fail"].extend(cmd["fail"])
            if "spelling" in cmd:
                state["spelling"] = cmd["spelling"]
        print("OK", flush=True)


if __name__ == "__main__":
    main()
