"""The TLS front's access log: one JSON object per request, written by nginx when the request ends.

{"time", "method", "uri", "status", "auth", "content_type", "body"}: "auth" says whether a bearer
token was sent (never the token), "body" is the request body of /api/v3/ requests only (what the
modules send, for the schema check), empty elsewhere.
No imports beyond the standard library: the test tiers read it.
"""

import json
import os
from urllib.parse import urlsplit

WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')


class AccessLog:
    """Requests the server received, counted from a mark (a byte offset in the log)."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0

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
