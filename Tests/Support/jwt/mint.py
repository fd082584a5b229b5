#!/usr/bin/python3
"""Mints the SIMAS-ID test tokens with an implementation independent of ours (PyJWT and
cryptography; hmac for the HS256 confusion token) and writes the JWKS documents the fake IdP
serves.

usage: mint.py OUTDIR --now EPOCH_SECONDS --issuer ISS --client CLIENT_ID [--distinct N]

Writes OUTDIR/tokens.json ({name: token}), OUTDIR/jwks-initial.json, OUTDIR/jwks-rotated.json (adds key-b),
OUTDIR/jwks-retired.json (key-a removed) and
OUTDIR/jwks.json (a copy of the initial set, which fake_idp.py serves). With --distinct N, also
OUTDIR/distinct-tokens.txt: N valid tokens (key-a, each with its own jti), one a line, for
scripts/bench-auth's distinct-token workload.
"""
import argparse, base64, hashlib, hmac, json, os, shutil, sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def rsa_jwk(key, kid, use="sig", alg="RS256"):
    pub = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "n": b64u(int_bytes(pub.n)), "e": b64u(int_bytes(pub.e))}
    if use:
        jwk["use"] = use
    if alg:
        jwk["alg"] = alg
    return jwk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--now", type=int, required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--distinct", type=int, default=0)
    a = ap.parse_args()
    now, iss, cid = a.now, a.issuer, a.client
    os.makedirs(a.outdir, exist_ok=True)

    new = lambda bits: rsa.generate_private_key(public_exponent=65537, key_size=bits)
    key_a, key_b, key_rogue, key_enc = new(2048), new(2048), new(2048), new(2048)
    key_weak = new(1024)
    key_ec = ec.generate_private_key(ec.SECP256R1())
    ec_pub = key_ec.public_key().public_numbers()
    ec_jwk = {"kty": "EC", "kid": "key-ec", "crv": "P-256", "use": "sig", "alg": "ES256",
              "x": b64u(ec_pub.x.to_bytes(32, "big")), "y": b64u(ec_pub.y.to_bytes(32, "big"))}

    initial = {"keys": [rsa_jwk(key_a, "key-a"), rsa_jwk(key_weak, "key-weak"), ec_jwk,
                        rsa_jwk(key_enc, "key-enc", use="enc", alg="RSA-OAEP")]}
    rotated = {"keys": initial["keys"] + [rsa_jwk(key_b, "key-b")]}
    retired = {"keys": [k for k in rotated["keys"] if k["kid"] != "key-a"]}
    for name, doc in (("jwks-initial.json", initial), ("jwks-rotated.json", rotated), ("jwks-retired.json", retired)):
        with open(os.path.join(a.outdir, name), "w") as f:
            json.dump(doc, f)
    shutil.copy(os.path.join(a.outdir, "jwks-initial.json"), os.path.join(a.outdir, "jwks.json"))

    def claims(**over):
        c = {"iss": iss, "aud": [cid, "account"], "azp": cid, "sub": "f3b1c2d4-0000-4000-8000-000000000001",
             "exp": now + 300, "iat": now - 10, "nbf": now - 10, "typ": "Bearer", "scope": "openid profile",
             "preferred_username": "6285610573956",
             "realm_access": {"roles": ["otp-admin", "offline_access"]},
             "resource_access": {cid: {"roles": ["replay"]}}}
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def rs(payload, key=key_a, kid="key-a", **headers):
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid, **headers})

    def segments(token):
        return token.split(".")

    t = {}
    t["valid"] = rs(claims())
    t["valid_aud_string"] = rs(claims(aud=cid))
    t["valid_at_jwt"] = rs(claims(), typ="at+jwt")
    t["valid_no_typ_no_nbf"] = rs(claims(typ=None, nbf=None))
    t["valid_skew_inside_leeway"] = rs(claims(exp=now - 20, iat=now + 20, nbf=now + 20))
    t["rotated"] = rs(claims(), key=key_b, kid="key-b")

    t["alg_none"] = jwt.encode(claims(), None, algorithm="none", headers={"kid": "key-a"})
    # Algorithm confusion: HS256 keyed with the RSA public key as the HMAC secret (PyJWT refuses to
    # do this, which is the point, so it is built by hand).
    pem = key_a.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-a"}).encode())
    p = b64u(json.dumps(claims()).encode())
    t["hs256_public_key"] = f"{h}.{p}." + b64u(hmac.new(pem, f"{h}.{p}".encode(), hashlib.sha256).digest())
    t["unknown_kid"] = rs(claims(), key=key_rogue, kid="key-rogue")

    h, p, s = segments(t["valid"])
    t["tampered_payload"] = f"{h}.{b64u(json.dumps(claims(sub='someone-else')).encode())}.{s}"
    mid = len(s) // 2
    t["tampered_signature"] = f"{h}.{p}.{s[:mid]}{'A' if s[mid] != 'A' else 'B'}{s[mid + 1:]}"
    t["wrong_iss"] = rs(claims(iss=iss + "-other"))
    t["aud_string_other"] = rs(claims(aud="account"))
    t["aud_array_other"] = rs(claims(aud=["account", "siminvest-other"]))
    t["azp_other"] = rs(claims(azp="someone-else"))
    t["expired"] = rs(claims(exp=now - 120, iat=now - 600, nbf=now - 600))
    t["no_exp"] = rs(claims(exp=None))
    t["nbf_future"] = rs(claims(nbf=now + 120))
    t["iat_future"] = rs(claims(iat=now + 120))
    t["crit_unknown"] = rs(claims(), crit=["urn:example:must-understand"], **{"urn:example:must-understand": True})
    t["weak_key"] = rs(claims(), key=key_weak, kid="key-weak")
    t["enc_key"] = rs(claims(), key=key_enc, kid="key-enc")
    t["header_typ_other"] = rs(claims(), typ="JOSE")
    t["payload_typ_id"] = rs(claims(typ="ID"))
    t["no_kid"] = jwt.encode(claims(), key_a, algorithm="RS256")

    h, p, s = segments(t["valid"])
    t["malformed_b64_padding"] = f"{h}==.{p}.{s}"
    t["malformed_b64_standard_alphabet"] = f"{h}.{p}.{s.replace('-', '+').replace('_', '/')}" if ("-" in s or "_" in s) else f"{h}.{p}+.{s}"
    # Same bytes, different spelling: set an unused trailing bit in the last character.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(s[-1])
    t["malformed_b64_trailing_bits"] = f"{h}.{p}.{s[:-1]}{alphabet[last | 1]}" if len(s) % 4 != 0 else f"{h}.{p}.{s}"
    t["oversized"] = rs(claims(pad="x" * 9000))
    t["two_segments"] = f"{h}.{p}"

    # The token gateway's cases: a rogue key behind a known kid, another user, a role holder, and
    # a claim a header must never carry.
    t["unknown_key"] = rs(claims(), key=key_rogue, kid="key-a")
    t["other_user"] = rs(claims(sub="f3b1c2d4-0000-4000-8000-000000000002", preferred_username="6281234567890"))
    t["bu_admin"] = rs(claims(realm_access={"roles": ["bu-admin"]}))
    t["crlf_username"] = rs(claims(preferred_username="6285610573956\r\nX-Injected: yes"))
    t["no_phone"] = rs(claims(preferred_username="not-a-phone"))

    for i in range(50):
        t[f"storm_{i}"] = rs(claims(), key=key_rogue, kid=f"storm-{i}")

    if a.distinct > 0:
        t["bench_repeated"] = rs(claims(jti="bench-repeated", exp=now + 3600))
    with open(os.path.join(a.outdir, "tokens.json"), "w") as f:
        json.dump(t, f, indent=1)
    if a.distinct > 0:
        with open(os.path.join(a.outdir, "distinct-tokens.txt"), "w") as f:
            for i in range(a.distinct):
                f.write(rs(claims(jti=f"bench-{i:08d}", exp=now + 3600)) + "\n")
    print(f"minted {len(t)} tokens into {a.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
