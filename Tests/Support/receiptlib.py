"""Delivery receipts as Twilio and Meta send them, for the loopback fakes.

Twilio: a form POST to the message's StatusCallback URL, X-Twilio-Signature =
base64(HMAC-SHA1(auth token, URL + each parameter name + value, sorted by name)) - the algorithm of
twilio-python's RequestValidator.compute_signature. Meta: a JSON POST of entry[].changes[].value.statuses[],
X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(app secret, raw body)).

The callback URL is the public one (behind nginx in production); the fakes post to the relay's
loopback address read from --relay-file (written by the test once the relay listens) at the
same path, as nginx would forward it. Each callback's answer is recorded in the fake's --out file.
"""
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def twilio_signature(token, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def meta_signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def relay_url(relay_file, public_url):
    with open(relay_file) as f:
        base = f.read().strip()
    p = urllib.parse.urlsplit(public_url)
    return base + p.path + (("?" + p.query) if p.query else "")


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, str(e)


def send_twilio(relay_file, token, public_url, params, signature="good"):
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1"}
    if signature == "good":
        headers["X-Twilio-Signature"] = twilio_signature(token, public_url, params)
    elif signature == "bad":
        headers["X-Twilio-Signature"] = twilio_signature(token + "x", public_url, params)
    return post(relay_url(relay_file, public_url), body, headers)


def meta_body(phone_id, statuses):
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_id},
                  "statuses": statuses},
        "field": "messages"}]}]}).encode()


def send_meta(relay_file, secret, public_url, body, signature="good"):
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature == "good":
        headers["X-Hub-Signature-256"] = meta_signature(secret, body)
    elif signature == "bad":
        headers["X-Hub-Signature-256"] = meta_signature(secret + "x", body)
    return post(relay_url(relay_file, public_url), body, headers)


def later(record, callbacks, delay=0.15):
    """Sends each (label, fn) in order after the reply, recording the relay's answers."""
    def run():
        for label, fn in callbacks:
            time.sleep(delay)
            status, _ = fn()
            record(b"", callback=label, response=status)
    threading.Thread(target=run, daemon=True).start()
