#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) for the SMTP provider tests.

  smtp_server.py --out FILE [--cert CERT --key KEY] [--implicit-tls] [--auth USER:PASSWORD]

--cert/--key alone: STARTTLS offered and required before MAIL; with --implicit-tls the whole
connection is TLS (smtps). Without --cert: plain text, no STARTTLS. --auth requires AUTH.
Recipients whose local part starts with "tempfail" get 450, "reject" get 550 at RCPT.

Each accepted message is parsed with Python's email package and appended to FILE as one JSON
object: envelope, auth user, decoded headers, raw header lines, MIME parts, defects and whether
any line ended in a bare LF. Prints "PORT <n>" when listening; exits when stdin closes.
"""
import argparse
import asyncio
import email
import email.policy
import json
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("tempfail"):
            return "450 4.2.0 Mailbox temporarily unavailable"
        if local.startswith("reject"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        head = raw.split(b"\r\n\r\n", 1)[0]
        parts, defects = [], [repr(d) for d in msg.defects]
        for part in msg.walk():
            defects += [repr(d) for d in part.defects]
            if part.is_multipart():
                continue
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "content": part.get_content(),
            })
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "headers": [[k, str(v)] for k, v in msg.items()],
            "raw_header_lines": head.decode("ascii", "replace").split("\r\n"),
            "content_type": msg.get_content_type(),
            "parts": parts,
            "defects": defects,
            "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
            "max_line": max(len(line) for line in raw.split(b"\r\n")),
        }
        with open(self.out, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 Accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    args = ap.parse_args()

    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(":", 1)
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    handler = Recorder(args.out)

    def factory():
        return SMTP(
            handler,
            hostname="fake-smtp.test",
            tls_context=None if args.implicit_tls else tls,
            require_starttls=tls is not None and not args.implicit_tls,
            authenticator=authenticator if args.auth else None,
            auth_required=bool(args.auth),
            # With implicit TLS the whole session is encrypted; aiosmtpd only knows about STARTTLS.
            auth_require_tls=not args.implicit_tls,
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(factory, "127.0.0.1", 0, ssl=tls if args.implicit_tls else None))
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    threading.Thread(target=loop.run_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
