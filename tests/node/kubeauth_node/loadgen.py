"""A bounded load generator: authenticated requests at a fixed rate through the load balancer, counted.

    token = admin_token(facts['kubeconfig'])
    with LoadGenerator(facts['lb_url'], facts['ca_cert'], {'admin': token}, rate=5, duration=600) as load:
        ...                                   # the rollout
        load.add_token('oidc', id_token)      # once the OIDC settings reached a node
    report = load.report()                    # counts per token, every failure with its reason and time

Each request is a new TLS connection (so the load balancer chooses an apiserver for each), a GET of
`path` with `Authorization: Bearer <token>`; 200 is a success, anything else (a status, a refused or
reset connection, a timeout) a failure. Bounded: it stops at `duration` seconds or `max_requests`
requests, whichever comes first, or at stop(); requests still in flight are waited for (timeout each).
"""

import http.client
import json
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from kubeauth_node.common import binary

MAX_TOKENS = 8


class LoadGenerator:

    def __init__(self, url, ca_file, tokens, rate=5.0, duration=300.0, path='/api/v1/namespaces/default', timeout=5.0,
                 max_requests=None):
        if rate <= 0 or duration <= 0:
            raise ValueError('rate and duration must be positive')
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 443
        self.context = ssl.create_default_context(cafile=ca_file)
        self.path = path
        self.rate = float(rate)
        self.duration = float(duration)
        self.timeout = float(timeout)
        self.max_requests = int(max_requests or self.rate * self.duration * MAX_TOKENS)
        self._tokens = dict(tokens)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._samples = []  # (seconds since start, label, ok, status or None, reason, latency)
        self._sent = 0
        self._pool = ThreadPoolExecutor(max_workers=min(64, max(4, int(self.rate * self.timeout * 2))))
        self._thread = threading.Thread(target=self._schedule, name='loadgen', daemon=True)
        self._started = None
        self._ended = None

    # ------------------------------------------------------------ control

    def start(self):
        self._started = time.monotonic()
        self._thread.start()
        return self

    def add_token(self, label, token):
        """Send requests with this token too, from the next tick on."""
        with self._lock:
            if label not in self._tokens and len(self._tokens) >= MAX_TOKENS:
                raise ValueError('at most %d tokens' % MAX_TOKENS)
            self._tokens[label] = token

    def elapsed(self):
        """Seconds since start(): the clock of the report's failure times."""
        return time.monotonic() - self._started

    def stop(self):
        """Stop sending, wait for requests in flight; the report."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._pool.shutdown(wait=True)
        if self._ended is None:
            self._ended = time.monotonic()
        return self.report()

    def wait(self):
        """Block until the duration (or max_requests) is reached; the report."""
        self._thread.join()
        return self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ sending

    def _schedule(self):
        tick = 0
        while not self._stop.is_set():
            due = self._started + tick / self.rate
            if due - self._started >= self.duration:
                break
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            with self._lock:
                batch = list(self._tokens.items())
            for label, token in batch:
                if self._sent >= self.max_requests:
                    self._stop.set()
                    break
                self._sent += 1
                self._pool.submit(self._request, label, token)
            tick += 1
        self._ended = time.monotonic()

    def _request(self, label, token):
        started = time.monotonic()
        status, reason = None, ''
        connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        try:
            connection.request('GET', self.path, headers={'Authorization': 'Bearer ' + token, 'Accept': 'application/json'})
            response = connection.getresponse()
            status = response.status
            body = response.read(4096)
            if status != 200:
                reason = 'HTTP %d %s' % (status, _status_message(body))
        except (OSError, http.client.HTTPException) as exc:
            reason = '%s: %s' % (type(exc).__name__, exc)
        finally:
            connection.close()
        latency = time.monotonic() - started
        with self._lock:
            self._samples.append((started - self._started, label, status == 200, status, reason, latency))

    # ------------------------------------------------------------ results

    def report(self):
        """{'sent', 'ok', 'failed', 'duration', 'per_token': {label: {sent, ok, failed}}, 'reasons': {reason: n},
        'failures': [{'at': s, 'token': label, 'reason': r}], 'max_latency'}."""
        with self._lock:
            samples = list(self._samples)
        per_token, reasons = {}, {}
        for _at, label, ok, _status, reason, _latency in samples:
            counts = per_token.setdefault(label, {'sent': 0, 'ok': 0, 'failed': 0})
            counts['sent'] += 1
            counts['ok' if ok else 'failed'] += 1
            if not ok:
                reasons[reason] = reasons.get(reason, 0) + 1
        failures = [{'at': round(at, 3), 'token': label, 'reason': reason}
                    for at, label, ok, _status, reason, _latency in sorted(samples) if not ok]
        end = self._ended or time.monotonic()
        return {
            'sent': len(samples),
            'ok': sum(1 for sample in samples if sample[2]),
            'failed': len(failures),
            'duration': round(end - self._started, 3) if self._started else 0.0,
            'rate': self.rate,
            'per_token': per_token,
            'reasons': reasons,
            'failures': failures,
            'max_latency': round(max((sample[5] for sample in samples), default=0.0), 3),
        }


def _status_message(body):
    """The message of a Kubernetes Status object (e.g. Unauthorized), or the start of the body."""
    try:
        return json.loads(body).get('message', '')[:200]
    except (ValueError, AttributeError):
        return body[:200].decode('utf-8', 'replace')


ADMIN_OBJECTS = '''apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: {namespace}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {name}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: {name}
    namespace: {namespace}
'''


def admin_token(kubeconfig, name='kubeauth-loadgen', namespace='kube-system', duration='2h'):
    """A cluster-admin ServiceAccount token (`kubectl create token`), minted through kubeconfig's server."""
    kubectl = [binary('kubectl'), '--kubeconfig', kubeconfig]
    subprocess.run(kubectl + ['apply', '-f', '-'], input=ADMIN_OBJECTS.format(name=name, namespace=namespace), text=True,
                   capture_output=True, check=True, timeout=60)
    result = subprocess.run(kubectl + ['create', 'token', name, '-n', namespace, '--duration=' + duration],
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.strip()
