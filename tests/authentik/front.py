"""The TLS front: Debian's nginx with a test CA, passing Host and X-Forwarded-Proto to the web app
(authentik builds the issuer URL from the request) and logging every request as one JSON line.

nginx is unpacked from Debian's package into the tools cache (apt-get download + dpkg-deb -x):
installing the package would start a system-wide nginx on port 80.
"""

import glob
import os
import shutil
import tempfile

from authentik.layout import APT_GET, TOOLS
from authentik.steps import StepError, run

NGINX_DIR = os.path.join(TOOLS, 'nginx')
NGINX = os.path.join(NGINX_DIR, 'usr', 'sbin', 'nginx')

OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = %(cn)s
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

NGINX_CONFIG = """# Written by kubeauth tests/authentik/front.py
worker_processes 1;
daemon off;
user nobody nogroup;
pid %(dir)s/nginx.pid;
error_log %(logs)s/front-error.log info;
events { worker_connections 512; }
http {
  client_body_temp_path %(dir)s/tmp/body;
  proxy_temp_path %(dir)s/tmp/proxy;
  fastcgi_temp_path %(dir)s/tmp/fastcgi;
  uwsgi_temp_path %(dir)s/tmp/uwsgi;
  scgi_temp_path %(dir)s/tmp/scgi;
  # What the modules send to the API is logged for the schema check; nothing from /application/o/.
  map $request_uri $kubeauth_api_body { "~^/api/v3/" $request_body; default ""; }
  # Whether a token was sent, never the token.
  map $http_authorization $kubeauth_auth { "" "none"; "~^Bearer " "bearer"; default "other"; }
  log_format kubeauth escape=json '{"time":"$time_iso8601","method":"$request_method","uri":"$request_uri",'
                                  '"status":$status,"auth":"$kubeauth_auth","content_type":"$content_type",'
                                  '"body":"$kubeauth_api_body"}';
  access_log %(access_log)s kubeauth;
  server {
    listen 127.0.0.1:%(port)d ssl;
    ssl_certificate %(dir)s/server.pem;
    ssl_certificate_key %(dir)s/server.key;
    # Bodies stay in memory, so $request_body is there to log.
    client_max_body_size 16m;
    client_body_buffer_size 16m;
    location / {
      proxy_pass http://127.0.0.1:%(upstream)d;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 300s;
    }
  }
}
"""


def ensure_nginx(log):
    if os.access(NGINX, os.X_OK):
        return 'cached'
    work = tempfile.mkdtemp(prefix='kubeauth-nginx-')
    try:
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        try:
            run('front', APT_GET + ['download', 'nginx'], log, cwd=work, env=env, timeout=600)
        except StepError:
            run('front', APT_GET + ['update'], log, env=env, timeout=600)  # a fresh machine has no lists yet
            run('front', APT_GET + ['download', 'nginx'], log, cwd=work, env=env, timeout=600)
        debs = glob.glob(os.path.join(work, 'nginx_*.deb'))
        if os.path.exists(NGINX_DIR):
            shutil.rmtree(NGINX_DIR)
        run('front', ['dpkg-deb', '-x', debs[0], NGINX_DIR + '.partial'], log)
        os.rename(NGINX_DIR + '.partial', NGINX_DIR)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 'unpacked'


def make_certs(directory, log):
    """A CA (ca.pem, what clients trust) and a server certificate for 127.0.0.1/localhost signed by it."""
    os.makedirs(directory, exist_ok=True)

    def path(name):
        return os.path.join(directory, name)

    with open(path('ca.cnf'), 'w', encoding='utf-8') as handle:
        handle.write(OPENSSL_CONFIG % {'cn': 'kubeauth authentik test CA'})
    with open(path('server.cnf'), 'w', encoding='utf-8') as handle:
        handle.write(OPENSSL_CONFIG % {'cn': '127.0.0.1'})
    ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
    run('front', ['openssl', 'req', '-x509'] + ec + ['-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '30',
                                                     '-config', path('ca.cnf'), '-extensions', 'ca_ext'], log)
    run('front', ['openssl', 'req'] + ec + ['-keyout', path('server.key'), '-out', path('server.csr'), '-config', path('server.cnf')],
        log)
    run('front', ['openssl', 'x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
                  '-CAcreateserial', '-days', '30', '-out', path('server.pem'), '-extfile', path('server.cnf'),
                  '-extensions', 'server_ext'], log)
    for name in ('ca.key', 'server.key'):
        os.chmod(path(name), 0o600)
    return path('ca.pem')


def write_config(directory, logs, access_log, port, upstream):
    import pwd  # pylint: disable=import-outside-toplevel
    nobody = pwd.getpwnam('nobody')
    for name in ('body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'):
        temp = os.path.join(directory, 'tmp', name)
        os.makedirs(temp, exist_ok=True)
        os.chown(temp, nobody.pw_uid, nobody.pw_gid)
    # Request bodies are in the log: readable by root only.
    if not os.path.exists(access_log):
        open(access_log, 'a').close()  # pylint: disable=consider-using-with
    os.chmod(access_log, 0o600)
    config = os.path.join(directory, 'nginx.conf')
    with open(config, 'w', encoding='utf-8') as handle:
        handle.write(NGINX_CONFIG % {'dir': directory, 'logs': logs, 'access_log': access_log, 'port': port, 'upstream': upstream})
    return config


def command(config, directory):
    return [NGINX, '-e', 'stderr', '-p', directory, '-c', config]
