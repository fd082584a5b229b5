#!/usr/bin/python3
"""A loopback Twilio Programmable Messaging API: POST /2010-04-01/Accounts/{sid}/Messages.json.

  fake_twilio.py --out FILE --account AC… --user USER --password SECRET

Speaks Twilio's shapes: form-encoded requests with HTTP Basic, 201 with a Message resource, and
errors as {"code", "message", "more_info", "status"}. The error is chosen by the recipient: a To
number (after any "whatsapp:") of the form +62812000<code> answers Twilio error <code> with its
real HTTP status; +628120005030 answers 503 with an HTML body and Retry-After.
Each request is recorded (method, path, headers, body, parsed form) as a JSON line in FILE.

With --relay-file, a message with a StatusCallback gets signed status callbacks (receiptlib) as
Twilio sends them: "sent" then "delivered"; a To of the form +62813300<code> gets "sent" then
"undelivered" with ErrorCode <code>; +62813400… gets "sent" only. POST /_callback with
{"url", "params", "signature": good|bad|none} sends one callback and answers the relay's status.
"""
import json
import secrets
from urllib.parse import parse_qsl

from fakelib import RecordingHandler, serve
import receiptlib

STATUS = {20003: 401, 20404: 404, 20429: 429, 63018: 429}
MESSAGES = {  # Twilio's texts echo the number, as the real API does.
    21211: "The 'To' number {to} is not a valid phone number.",
    21614: "'To' number {to} is not a valid mobile number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
    63003: "Channel could not find To address {to}",
}


class Twilio(RecordingHandler):
    def error(self, status, code, to="", headers=()):
        self.reply(status, {
            "code": code,
            "message": MESSAGES.get(code, "Error {code} for {to}").format(code=code, to=to),
            "more_info": "https://www.twilio.com/docs/errors/%d" % code,
            "status": status,
        }, headers=headers)

    def do_POST(self):
        body = self.read_body()
        a = self.args
        if self.path == "/_callback":
            spec = json.loads(body)
            status, text = receiptlib.send_twilio(a.relay_file, a.password, spec["url"], spec["params"],
                                                  spec.get("signature", "good"))
            return self.reply(200, {"status": status, "body": text})
        form = parse_qsl(body.decode(), keep_blank_values=True)
        self.record(body, form=form)
        if self.path != "/2010-04-01/Accounts/%s/Messages.json" % a.account:
            return self.error(404, 20404)
        import base64
        expected = "Basic " + base64.b64encode(("%s:%s" % (a.user, a.password)).encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self.error(401, 20003)
        f = dict(form)
        if not f.get("To") or not (f.get("From") or f.get("MessagingServiceSid")) \
                or not (f.get("Body") or f.get("ContentSid")):
            return self.error(400, 21604 if not f.get("To") else 21603)
        to = f["To"]
        number = to[len("whatsapp:"):] if to.startswith("whatsapp:") else to
        if number == "+628120005030":
            return self.reply(503, raw=b"<html>Service Unavailable</html>", content_type="text/html",
                              headers=[("Retry-After", "2")])
        if number.startswith("+62812000") and len(number) == 14:
            code = int(number[9:])
            status = STATUS.get(code, 400)
            headers = [("Retry-After", "3")] if status == 429 else []
            return self.error(status, code, to=number, headers=headers)
        sid = "SM" + secrets.token_hex(16)
        if a.relay_file and f.get("StatusCallback"):
            self.callbacks(f, sid, number)
        self.reply(201, {
            "account_sid": a.account, "api_version": "2010-04-01", "body": f.get("Body", ""),
            "date_created": "Thu, 26 Nov 2026 14:00:00 +0000", "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": f.get("From"),
            "messaging_service_sid": f.get("MessagingServiceSid"), "num_segments": "1",
            "sid": sid, "status": "queued", "to": to,
            "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (a.account, sid),
        })


    def callbacks(self, f, sid, number):
        a = self.args
        url = f["StatusCallback"]
        base = {"AccountSid": a.account, "ApiVersion": "2010-04-01", "From": f.get("From", ""),
                "MessageSid": sid, "SmsSid": sid, "To": f["To"]}

        def send(status, code=None):
            params = dict(base, MessageStatus=status, SmsStatus=status)
            if code:
                params["ErrorCode"] = code
            return lambda: receiptlib.send_twilio(a.relay_file, a.password, url, params)
        if number.startswith("+62813300"):
            steps = [("sent", send("sent")), ("undelivered", send("undelivered", number[9:]))]
        elif number.startswith("+62813400"):
            steps = [("sent", send("sent"))]
        else:
            steps = [("sent", send("sent")), ("delivered", send("delivered"))]
        receiptlib.later(self.record, steps)


if __name__ == "__main__":
    serve(Twilio, [("--account", {"required": True}), ("--user", {"required": True}),
                   ("--password", {"required": True}), ("--relay-file", {"default": None})])
