"""An independent SMART Backend Services client (Debian python3-jwt, PyJWT): signs a client
assertion, gets a token from Meridian, verifies that token against Meridian's published JWKS
and reads FHIR with it. Prints one JSON object; exits non-zero on any failure.

usage: smart_backend_client.py TOKEN_URL CLIENT_ID KEY_PEM ALG KID FHIR_BASE ISSUER JWKS_URL
"""
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid

import jwt


def main(token_url, client_id, key_pem, alg, kid, fhir_base, issuer, jwks_url):
    with open(key_pem, "rb") as f:
        private_key = f.read()
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": client_id, "sub": client_id, "aud": token_url, "exp": now + 240, "jti": str(uuid.uuid4())},
        private_key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials",
        "scope": "system/*.rs",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }).encode()
    with urllib.request.urlopen(urllib.request.Request(token_url, data=form), timeout=30) as r:
        token_response = json.load(r)
    access_token = token_response["access_token"]

    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(access_token)
    claims = jwt.decode(access_token, signing_key.key, algorithms=["RS256", "RS384", "ES256", "ES384"],
                        audience=fhir_base, issuer=issuer, options={"require": ["exp", "iat", "sub", "jti"]})

    request = urllib.request.Request(fhir_base + "/Patient?_count=1",
                                     headers={"Authorization": "Bearer " + access_token, "Accept": "application/fhir+json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        bundle = json.load(r)
        status = r.status

    print(json.dumps({
        "token_type": token_response["token_type"],
        "expires_in": token_response["expires_in"],
        "verified_alg": jwt.get_unverified_header(access_token)["alg"],
        "sub": claims["sub"],
        "scope": claims["scope"],
        "fhir_status": status,
        "fhir_type": bundle["resourceType"],
        "pyjwt": jwt.__version__,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:9])
