#!/usr/bin/python3
"""Signed Twilio status callbacks for scripts/bench-receipts: for every message id the relay's
attempts hold (provider tw), a "sent" and a "delivered" callback, signed as Twilio signs them
(Tests/Support/receiptlib.py). Writes one request per line: path TAB signature TAB form body.

  receipts_requests.py DB PUBLIC_URL TOKEN OUT
"""
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, "Tests/Support")
import receiptlib  # noqa: E402

db, url, token, out = sys.argv[1:5]
sids = [r[0] for r in sqlite3.connect("file:%s?mode=ro" % db, uri=True).execute(
    "SELECT provider_message_id FROM attempts WHERE provider = 'tw' AND provider_message_id IS NOT NULL")]
path = urllib.parse.urlsplit(url).path
with open(out, "w") as f:
    for status in ("sent", "delivered"):
        for sid in sids:
            params = {"AccountSid": "AC0123456789abcdef0123456789abcdef", "ApiVersion": "2010-04-01",
                      "From": "+15005550006", "MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                      "SmsStatus": status, "To": "+6281300000000"}
            f.write("%s\t%s\t%s\n" % (path, receiptlib.twilio_signature(token, url, params),
                                      urllib.parse.urlencode(params)))
print(len(sids))
