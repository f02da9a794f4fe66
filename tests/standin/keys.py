"""Certificate-key pairs as authentik builds and describes them.

authentik's CertificateBuilder (used for ``authentik Self-signed Certificate``): subject
CN=<name>, O=authentik, OU=Self-signed; issuer CN=authentik <version>; valid from now-1 day
for 365 days; a random ``<id>.self-signed.goauthentik.io`` SAN; RSA 4096 by default.
The JWKS ``kid`` is md5(key PEM), as CertificateKeyPair.kid computes it up to 2025.10;
2026.2 stores base64url(SHA-512(key PEM)) for keys it makes (``kid_sha512``).
"""

import base64
import datetime
import functools
import hashlib
import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

# CertificateKeyPair.key_type (2025.12+): the algorithm of the certificate's public key.
KEY_TYPES = ((rsa.RSAPublicKey, "rsa"), (ec.EllipticCurvePublicKey, "ec"), (dsa.DSAPublicKey, "dsa"),
             (ed25519.Ed25519PublicKey, "ed25519"), (ed448.Ed448PublicKey, "ed448"))
EDWARDS = (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)

ID_ALPHABET = string.ascii_letters + string.digits


def generate_id(length: int = 40) -> str:
    """authentik.lib.generators.generate_id: letters and digits."""
    return "".join(secrets.choice(ID_ALPHABET) for dummy in range(length))


def build_self_signed(common_name: str, version: str, *, validity_days: int = 365, alg: str = "rsa", key_size: int = 4096, sans=()):
    """(certificate PEM, private key PEM) like authentik's CertificateBuilder."""
    if alg == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif alg == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif alg == "ed448":
        key = ed448.Ed448PrivateKey.generate()
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
        # EdDSA takes no hash algorithm (2026.2's CertificateBuilder).
        .sign(key, None if isinstance(key, EDWARDS) else hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), private_key_pem(key)


def private_key_pem(key) -> str:
    """PEM of a private key in the format authentik stores (TraditionalOpenSSL; PKCS8 for EdDSA keys)."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8 if isinstance(key, EDWARDS) else serialization.PrivateFormat.TraditionalOpenSSL,
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
    """The computed CertificateKeyPair fields (fingerprints, expiry, subject, key type).

    private_key_type (before 2025.12) is the private key's class name as 2025.10's serializer derives it
    (RSAPrivateKey -> rsa, ECPrivateKey -> ec, Ed25519PrivateKey -> ed25519, DSAPrivateKey -> dsa), null
    without a key; key_type (2025.12+) comes from the certificate's public key.
    """
    cert = load_certificate(certificate_pem)
    private_key_type = None
    if key_pem:
        private_key_type = type(load_private_key(key_pem)).__name__.replace("_", "").lower().replace("privatekey", "")
    public_key = cert.public_key()
    return {
        "fingerprint_sha256": _colon_hex(cert.fingerprint(hashes.SHA256())),
        "fingerprint_sha1": _colon_hex(cert.fingerprint(hashes.SHA1())),  # nosec - a fingerprint, as authentik shows it
        "cert_expiry": cert.not_valid_after_utc,
        "cert_subject": cert.subject.rfc4514_string(),
        "private_key_available": bool(key_pem),
        "private_key_type": private_key_type,
        "key_type": next((name for kind, name in KEY_TYPES if isinstance(public_key, kind)), None),
    }


def kid(key_pem: str) -> str:
    """CertificateKeyPair.kid: md5 of the stored key PEM (an identifier, not a security measure)."""
    return hashlib.md5(key_pem.encode("utf-8"), usedforsecurity=False).hexdigest() if key_pem else ""


def kid_sha512(key_pem: str) -> str:
    """generate_key_id (2026.2): base64url(SHA-512(key PEM)) without padding; the kid of keys made or changed there."""
    return base64.urlsafe_b64encode(hashlib.sha512(key_pem.encode("utf-8")).digest()).decode().rstrip("=") if key_pem else ""


def _b64url_uint(value: int) -> str:
    length = max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(certificate_pem: str, key_pem: str, use: str, key_id: str = None):
    """JWKSView.get_jwk_for_key: the public key as a JWK with x5c/x5t, or None without a key.

    key_id is the keypair's stored kid (2026.2); without it, md5 of the key as older releases compute it.
    """
    if not key_pem:
        return None
    key_id = key_id or kid(key_pem)
    key = load_private_key(key_pem)
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        data = {"alg": "RS256", "kid": key_id, "kty": "RSA", "use": use, "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        data = {
            "alg": "ES256", "kid": key_id, "kty": "EC", "use": use, "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(size, "big")), "y": _b64url(numbers.y.to_bytes(size, "big")),
        }
    else:
        return None
    cert = load_certificate(certificate_pem)
    data["x5c"] = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    data["x5t"] = _b64url(cert.fingerprint(hashes.SHA1()))  # nosec - JWK thumbprint format
    data["x5t#S256"] = _b64url(cert.fingerprint(hashes.SHA256()))
    return data
