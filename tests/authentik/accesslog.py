"""The TLS front's access log: one JSON object per request, written by nginx when the request ends.

{"time", "method", "uri", "status", "auth", "content_type", "body"}: "auth" says whether a bearer
token was sent (never the token), "body" is the request body of /api/v3/ requests only (what the
modules send, for the schema check), empty elsewhere.
No imports beyond the standard library: the test tiers read it.
"""

import json
import os
import ssl
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')


class AccessLog:
    """Requests the server received, counted from a mark (a byte offset in the log)."""

    def __init__(self, path, url=None, ca_path=None):
        self.path = path
        # The front's URL and CA: with them, mark() waits until the log holds every request answered so far.
        self.url, self.ca_path = url, ca_path

    def size(self):
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0

    def mark(self, timeout=10):
        """A mark after every request the server has answered so far.

        nginx writes a request's line after sending the answer, so a client that was just answered may
        mark the log before that line is there, and see its own request as one sent after the mark. With
        the front's URL known, a probe (a health check carrying a token of its own) follows: the front's
        one worker logs requests in the order it finishes them, so the mark is the end of the probe's line.
        """
        if not self.url:
            return self.size()
        start, token = self.size(), uuid.uuid4().hex
        context = ssl.create_default_context(cafile=self.ca_path) if self.ca_path else ssl.create_default_context()
        try:
            urllib.request.urlopen(self.url.rstrip('/') + '/-/health/live/?kubeauth-mark=' + token, timeout=30,
                                   context=context).close()
        except urllib.error.HTTPError:
            pass  # any answer is logged
        deadline = time.monotonic() + timeout
        while True:
            with open(self.path, 'rb') as handle:
                handle.seek(start)
                data = handle.read()
            at = data.find(token.encode())
            if at >= 0 and data.find(b'\n', at) >= 0:
                return start + data.find(b'\n', at) + 1
            if time.monotonic() > deadline:
                raise RuntimeError('the access log %s has no line for the probe %s after %ss' % (self.path, token, timeout))
            time.sleep(0.02)

    def entries(self, since=0):
        """Entries written after the mark `since`, each with `path` and `query` split from `uri`."""
        try:
            with open(self.path, 'rb') as handle:
                handle.seek(since)
                data = handle.read()
        except FileNotFoundError:
            return []
        entries = []
        # A line still being written has no newline yet: it belongs to the next read.
        for line in data.split(b'\n')[:-1]:
            entry = json.loads(line.decode('utf-8'))
            parts = urlsplit(entry['uri'])
            entry['path'], entry['query'] = parts.path, parts.query
            entries.append(entry)
        return entries

    def writes(self, since=0):
        """API writes (POST/PUT/PATCH/DELETE to /api/v3/) after the mark."""
        return [e for e in self.entries(since) if e['method'] in WRITES and e['path'].startswith('/api/v3/')]
