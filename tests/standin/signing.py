"""JSON Web Tokens as OAuth2Provider.encode produces them.

Written with ``cryptography`` only, so that the tests can verify the stand-in's tokens with an
independent implementation (PyJWT). No signing key: HS256 with the provider's client_secret;
RSA key: RS256; EC P-256 key: ES256; the header carries the key's kid when a key is set.
"""

import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from . import keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def algorithm(key_pem: str) -> str:
    """The JWT alg a provider signs with: HS256 without key, else by key type."""
    if not key_pem:
        return "HS256"
    key = keys.load_private_key(key_pem)
    return "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"


def encode(payload: dict, *, client_secret: str, key_pem: str = "", key_id: str = None) -> str:
    """Signed compact JWT; header {alg, kid, typ} like PyJWT writes it for authentik.

    key_id: the keypair's kid (stored on 2026.2); md5 of the key, as older releases compute it, when not given.
    """
    alg = algorithm(key_pem)
    header = {"alg": alg}
    if key_pem:
        header["kid"] = key_id or keys.kid(key_pem)
    header["typ"] = "JWT"
    signing_input = f"{_segment(header)}.{_segment(payload)}".encode()
    return f"{signing_input.decode()}.{_b64(_sign(signing_input, alg, client_secret, key_pem))}"


def _sign(data: bytes, alg: str, client_secret: str, key_pem: str) -> bytes:
    if alg == "HS256":
        return hmac.new(client_secret.encode(), data, hashlib.sha256).digest()
    key = keys.load_private_key(key_pem)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    r_value, s_value = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r_value.to_bytes(32, "big") + s_value.to_bytes(32, "big")
