"""Certificate-key pairs as authentik builds and describes them.

authentik's CertificateBuilder (used for ``authentik Self-signed Certificate``): subject
CN=<name>, O=authentik, OU=Self-signed; issuer CN=authentik <version>; valid from now-1 day
for 365 days; a random ``<id>.self-signed.goauthentik.io`` SAN; RSA 4096 by default.
The JWKS ``kid`` is md5(key PEM), as CertificateKeyPair.kid computes it.
"""

import base64
import datetime
import functools
import hashlib
import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ID_ALPHABET = string.ascii_letters + string.digits


def generate_id(length: int = 40) -> str:
    """authentik.lib.generators.generate_id: letters and digits."""
    return "".join(secrets.choice(ID_ALPHABET) for dummy in range(length))


def build_self_signed(common_name: str, version: str, *, validity_days: int = 365, alg: str = "rsa", key_size: int = 4096, sans=()):
    """(certificate PEM, private key PEM) like authentik's CertificateBuilder."""
    if alg == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "authentik"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Self-signed"),
    ])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"authentik {version}")])
    names = [x509.DNSName(name) for name in sans] or [x509.DNSName(f"{generate_id()}.self-signed.goauthentik.io")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=validity_days))
        .add_extension(x509.SubjectAlternativeName(names), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), private_key_pem(key)


def private_key_pem(key) -> str:
    """PEM of a private key in the format authentik stores (TraditionalOpenSSL)."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


def load_certificate(pem: str) -> x509.Certificate:
    """Parse a PEM certificate (ValueError when it is not one)."""
    return x509.load_pem_x509_certificate(pem.encode())


@functools.lru_cache(maxsize=64)
def load_private_key(pem: str):
    """Parse an unencrypted PEM private key (ValueError/TypeError when it is not one).

    Cached: loading checks an RSA key's consistency, which takes a large part of a second.
    """
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _colon_hex(data: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in data)


def describe(certificate_pem: str, key_pem: str) -> dict:
    """The computed CertificateKeyPair fields (fingerprints, expiry, subject, key type)."""
    cert = load_certificate(certificate_pem)
    key_type = None
    if key_pem:
        key = load_private_key(key_pem)
        key_type = "rsa" if isinstance(key, rsa.RSAPrivateKey) else "ec" if isinstance(key, ec.EllipticCurvePrivateKey) else None
    return {
        "fingerprint_sha256": _colon_hex(cert.fingerprint(hashes.SHA256())),
        "fingerprint_sha1": _colon_hex(cert.fingerprint(hashes.SHA1())),  # nosec - a fingerprint, as authentik shows it
        "cert_expiry": cert.not_valid_after_utc,
        "cert_subject": cert.subject.rfc4514_string(),
        "private_key_available": bool(key_pem),
        "private_key_type": key_type,
    }


def kid(key_pem: str) -> str:
    """CertificateKeyPair.kid: md5 of the stored key PEM (an identifier, not a security measure)."""
    return hashlib.md5(key_pem.encode("utf-8"), usedforsecurity=False).hexdigest() if key_pem else ""


def _b64url_uint(value: int) -> str:
    length = max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(certificate_pem: str, key_pem: str, use: str):
    """JWKSView.get_jwk_for_key: the public key as a JWK with x5c/x5t, or None without a key."""
    if not key_pem:
        return None
    key = load_private_key(key_pem)
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        data = {"alg": "RS256", "kid": kid(key_pem), "kty": "RSA", "use": use, "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        data = {
            "alg": "ES256", "kid": kid(key_pem), "kty": "EC", "use": use, "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(size, "big")), "y": _b64url(numbers.y.to_bytes(size, "big")),
        }
    else:
        return None
    cert = load_certificate(certificate_pem)
    data["x5c"] = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    data["x5t"] = _b64url(cert.fingerprint(hashes.SHA1()))  # nosec - JWK thumbprint format
    data["x5t#S256"] = _b64url(cert.fingerprint(hashes.SHA256()))
    return data
