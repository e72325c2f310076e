"""Logs in, discovers the JWKS and verifies the access token with PyJWT's
PyJWKClient. Usage: python verify.py BASE_URL ALG"""

import json
import sys
import urllib.request

import jwt


def fetch(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def main(base, alg):
    pair = fetch(f"{base}/api/auth/login", {"email": "alice@example.com", "password": "password123"})
    token = pair["access_token"]
    metadata = fetch(f"{base}/.well-known/openid-configuration")
    client = jwt.PyJWKClient(metadata["jwks_uri"])
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=[alg], issuer="mock-auth-server",
                        options={"require": ["exp", "iss", "sub"]})
    assert claims["sub"] == "test-user-123" and claims["type"] == "access", claims
    tampered = token[:-4] + ("BBBB" if token.endswith("AAAA") else "AAAA")
    try:
        jwt.decode(tampered, key.key, algorithms=[alg], issuer="mock-auth-server")
    except jwt.InvalidTokenError:
        print(f"python PyJWT {alg}: ok")
        return
    raise SystemExit("a tampered token verified")


if __name__ == "__main__":
    main(*sys.argv[1:3])
