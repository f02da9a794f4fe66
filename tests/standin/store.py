"""In-memory object store: one dict of objects (plain dicts keyed by pk) per collection."""

import uuid
from collections import defaultdict


class Store:
    """All authentik objects of one stand-in. Callers hold the app lock while using it."""

    def __init__(self):
        self.collections = defaultdict(dict)
        self.counters = defaultdict(int)

    def next_int(self, collection: str) -> int:
        """Next integer primary key (authentik's AutoFields never reuse a deleted pk)."""
        self.counters[collection] += 1
        return self.counters[collection]

    def seed_counter(self, collection: str, value: int) -> None:
        """Let integer pks start after value (objects created by migrations come first)."""
        self.counters[collection] = max(self.counters[collection], value)

    @staticmethod
    def new_uuid() -> str:
        """A fresh UUID primary key."""
        return str(uuid.uuid4())

    def add(self, collection: str, obj: dict) -> dict:
        """Insert (or replace) an object under its pk."""
        self.collections[collection][obj["pk"]] = obj
        return obj

    def get(self, collection: str, pk):
        """Object by pk, or None."""
        return self.collections[collection].get(pk)

    def exists(self, collection: str, pk) -> bool:
        """Whether an object with that pk exists."""
        return pk in self.collections[collection]

    def all(self, collection: str) -> list:
        """All objects of a collection in insertion order."""
        return list(self.collections[collection].values())

    def find(self, collection: str, **match):
        """First object whose fields equal all given values, or None."""
        for obj in self.collections[collection].values():
            if all(obj.get(key) == value for key, value in match.items()):
                return obj
        return None

    def remove(self, collection: str, pk) -> None:
        """Delete an object (no cascade; resources handle their relations)."""
        self.collections[collection].pop(pk, None)

    def dump(self) -> dict:
        """Every collection as lists, for /_standin/state (secrets included: test-only endpoint)."""
        return {name: list(objs.values()) for name, objs in self.collections.items()}
