"""Small OIDC issuers over HTTPS for the node tests: discovery, keys and signed id_tokens, nothing else.

One server holds any number of issuers under /application/o/<slug>/ (authentik's layout), each with its own RSA key.
An issuer's public URL may name a host the apiserver cannot reach: the discovery document states that issuer, and
its jwks_uri points back at the address the request came in on, as authentik behind an ingress answers.
"""

import base64
import http.server
import json
import socket
import ssl
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from standin import tls  # tests/standin: a throwaway CA and server certificate


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def uint_bytes(number):
    return number.to_bytes((number.bit_length() + 7) // 8, 'big')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Issuer:
    def __init__(self, slug, public_base):
        self.slug = slug
        self.url = '%s/application/o/%s/' % (public_base, slug)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = slug + '-key'

    def jwks(self):
        numbers = self.key.public_key().public_numbers()
        return {'keys': [{'kty': 'RSA', 'alg': 'RS256', 'use': 'sig', 'kid': self.kid,
                          'n': b64url(uint_bytes(numbers.n)), 'e': b64url(uint_bytes(numbers.e))}]}

    def token(self, audience='kubernetes', lifetime=3600, **claims):
        now = int(time.time())
        payload = dict({'iss': self.url, 'aud': audience, 'sub': 'sub-' + self.slug, 'iat': now, 'nbf': now - 5,
                        'exp': now + lifetime, 'email': 'user@%s.example.com' % self.slug, 'email_verified': True,
                        'groups': ['team-' + self.slug]}, **claims)
        header = {'alg': 'RS256', 'typ': 'JWT', 'kid': self.kid}
        signing_input = ('%s.%s' % (b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()))).encode('ascii')
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode('ascii') + '.' + b64url(signature)


class IssuerServer:
    """HTTPS on 127.0.0.1:<free port>; issuers named by slug, with public URLs on `public_host` (this address unless given)."""

    def __init__(self, state_dir):
        self.port = free_port()
        self.address = 'https://127.0.0.1:%d' % self.port
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        paths = tls.make_certificates(Path(state_dir))
        self.ca_path = str(paths['ca'])
        self.issuers = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = self.path.split('/')
                issuer = server.issuers.get(parts[3]) if len(parts) > 4 and parts[1:3] == ['application', 'o'] else None
                rest = '/'.join(parts[4:])
                if issuer is None or rest not in ('.well-known/openid-configuration', 'jwks/'):
                    self.send_error(404)
                    return
                here = 'https://%s/application/o/%s/' % (self.headers.get('Host'), issuer.slug)
                body = issuer.jwks() if rest == 'jwks/' else {
                    'issuer': issuer.url, 'jwks_uri': here + 'jwks/', 'authorization_endpoint': here + 'authorize/',
                    'token_endpoint': here + 'token/', 'response_types_supported': ['code'],
                    'subject_types_supported': ['public'], 'id_token_signing_alg_values_supported': ['RS256']}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(paths['cert']), str(paths['key']))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, slug, public_host=None):
        base = 'https://%s:%d' % (public_host, self.port) if public_host else self.address
        self.issuers[slug] = Issuer(slug, base)
        return self.issuers[slug]

    def ca_pem(self):
        with open(self.ca_path, encoding='ascii') as handle:
            return handle.read()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
