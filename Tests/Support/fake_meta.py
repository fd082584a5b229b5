#!/usr/bin/python3
"""A loopback WhatsApp Cloud API: POST /{version}/{phone-number-id}/messages with a Bearer token.

  fake_meta.py --out FILE --version v21.0 --phone-id ID --token TOKEN

Answers {"messaging_product", "contacts", "messages": [{"id": "wamid…"}]} or Graph API errors
{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}. A recipient "to" of the
form 62812000<code> answers that error code; 628120005030 answers 503 with Retry-After.
The request body must be a well-formed authentication template message, else error 100.
Each request is recorded as a JSON line in FILE, with the parsed JSON body.

With --relay-file, --app-secret and --receipts-url (the public URL of the status webhook), each
accepted message gets signed status webhooks (receiptlib) as Meta sends them: "sent", "delivered",
"read"; a "to" of the form 62813100<code> gets "sent" then "failed" with errors[0].code <code>;
62813200… gets "sent" only. POST /_callback with {"statuses", "signature": good|bad|none}
sends one webhook and answers the relay's status.
"""
import json
import secrets

from fakelib import RecordingHandler, serve
import receiptlib

HTTP_STATUS = {190: 401, 131000: 500, 131016: 503, 10: 403, 200: 403}


class Meta(RecordingHandler):
    def error(self, code, message, typ="OAuthException", subcode=None):
        err = {"message": message, "type": typ, "code": code, "fbtrace_id": "A" + secrets.token_hex(8)}
        if subcode is not None:
            err["error_subcode"] = subcode
        self.reply(HTTP_STATUS.get(code, 400), {"error": err})

    def do_POST(self):
        body = self.read_body()
        a = self.args
        if self.path == "/_callback":
            spec = json.loads(body)
            raw = receiptlib.meta_body(a.phone_id, spec["statuses"])
            status, text = receiptlib.send_meta(a.relay_file, a.app_secret, a.receipts_url, raw,
                                                spec.get("signature", "good"))
            return self.reply(200, {"status": status, "body": text})
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        self.record(body, json=doc)
        a = self.args
        if self.path != "/%s/%s/messages" % (a.version, a.phone_id):
            return self.error(100, "Unsupported post request.", "GraphMethodException", 33)
        if self.headers.get("Authorization") != "Bearer " + a.token:
            return self.error(190, "Invalid OAuth access token - Cannot parse access token", subcode=463)
        if not valid_template_message(doc):
            return self.error(100, "(#100) Invalid parameter")
        to = doc["to"]
        if to == "628120005030":
            return self.reply(503, {"error": {"message": "Service temporarily unavailable", "code": 2,
                                              "type": "OAuthException"}}, headers=[("Retry-After", "4")])
        if to.startswith("62812000") and len(to) > 8:
            return self.error(int(to[8:]), "(#%s) error for %s" % (to[8:], to))
        wamid = "wamid.HBgN" + secrets.token_hex(12).upper() + "=="
        if a.relay_file:
            self.callbacks(doc, wamid, to)
        self.reply(200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        })

    def callbacks(self, doc, wamid, to):
        a = self.args

        def send(status, code=None):
            st = {"id": wamid, "status": status, "timestamp": "1764600000", "recipient_id": to}
            if doc.get("biz_opaque_callback_data"):
                st["biz_opaque_callback_data"] = doc["biz_opaque_callback_data"]
            if code:
                st["errors"] = [{"code": int(code), "title": "Message undeliverable.",
                                 "message": "Message undeliverable for " + to,
                                 "error_data": {"details": "Message failed to send to " + to}}]
            raw = receiptlib.meta_body(a.phone_id, [st])
            return lambda: receiptlib.send_meta(a.relay_file, a.app_secret, a.receipts_url, raw)
        if to.startswith("62813100"):
            steps = [("sent", send("sent")), ("failed", send("failed", to[8:]))]
        elif to.startswith("62813200"):
            steps = [("sent", send("sent"))]
        else:
            steps = [("sent", send("sent")), ("delivered", send("delivered")), ("read", send("read"))]
        receiptlib.later(self.record, steps)


def valid_template_message(doc):
    try:
        t = doc["template"]
        ok = (doc["messaging_product"] == "whatsapp" and doc["type"] == "template"
              and doc["to"].isdigit() and isinstance(t["name"], str) and t["language"]["code"])
        for c in t.get("components", []):
            assert c["type"] in ("body", "button")
            for p in c["parameters"]:
                assert p["type"] == "text" and isinstance(p["text"], str)
        return ok
    except (KeyError, TypeError, AttributeError, AssertionError):
        return False


if __name__ == "__main__":
    serve(Meta, [("--version", {"required": True}), ("--phone-id", {"required": True}),
                 ("--token", {"required": True}), ("--relay-file", {"default": None}),
                 ("--app-secret", {"default": None}), ("--receipts-url", {"default": None})])
