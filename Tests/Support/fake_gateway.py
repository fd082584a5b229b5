#!/usr/bin/python3
"""A loopback SMS gateway for the generic `http` provider tests.

  fake_gateway.py --out FILE

Records every request (method, path, headers, raw body, form pairs) as a JSON line in FILE.
POST /status/<n> answers n with Retry-After: 5; POST /slow/<ms> records, waits ms, then answers
200; POST /broken/<name> answers 400 while a file <name> exists beside FILE (a provider an
operator then fixes), else 200; anything else answers 200 {"data": {"id": "gw-<count>"}}.
"""
import itertools
import json
import os
import time
from urllib.parse import parse_qsl

from fakelib import RecordingHandler, serve

counter = itertools.count(1)


class Gateway(RecordingHandler):
    def handle_any(self):
        body = self.read_body()
        self.record(body, form=parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if self.path.startswith("/slow/"):
            time.sleep(int(self.path.split("/")[2]) / 1000)
        if self.path.startswith("/status/"):
            n = int(self.path.split("/")[2])
            return self.reply(n, {"error": "status %d" % n}, headers=[("Retry-After", "5")])
        if self.path.startswith("/broken/"):
            flag = os.path.join(os.path.dirname(os.path.abspath(self.out_path)), os.path.basename(self.path))
            if os.path.exists(flag):
                return self.reply(400, {"error": "broken"})
        self.reply(200, {"data": {"id": "gw-%d" % next(counter)}})

    do_POST = do_PUT = do_GET = handle_any


if __name__ == "__main__":
    serve(Gateway)
