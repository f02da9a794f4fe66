"""Browser sessions (Django's session middleware with authentik's cookie), for the login and authorize steps.

A session lives in the store's ``sessions`` collection, keyed by the ``authentik_session`` cookie;
it holds who is logged in (authentik's AuthenticatedSession), the flow plan being executed and
the query the flow interface was opened with. A request without a valid cookie gets a new session,
sent back with Set-Cookie, as Django does once the session is modified.
"""

import hashlib
import secrets
import time
from http.cookies import CookieError, SimpleCookie

COOKIE = "authentik_session"
# authentik's SESSION_COOKIE_AGE default (sessions.unauthenticated_age: days=1).
COOKIE_AGE = 86400


def hash_session_key(key: str) -> str:
    """authentik.providers.oauth2.id_token.hash_session_key: the `sid` claim."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class Sessions:
    """Cookie sessions over the store."""

    def __init__(self, store):
        self.store = store

    def cookie_key(self, request):
        """The session key the request's cookie names, or None."""
        try:
            cookie = SimpleCookie(request.header("cookie"))
        except CookieError:
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def load(self, request) -> dict:
        """The request's session; a fresh (unsaved until answered) one when it has none."""
        session = self.store.get("sessions", self.cookie_key(request))
        if session is None:
            session = {"pk": secrets.token_hex(16), "user": None, "login_time": None, "plan": None, "get": {}, "new": True}
        return session

    def save(self, session: dict, response) -> None:
        """Keep the session and, for a new one, send its cookie (HttpOnly, SameSite=None, Secure)."""
        self.store.add("sessions", session)
        if session.pop("new", False):
            expires = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + COOKIE_AGE))
            response.headers.append((
                "Set-Cookie",
                f"{COOKIE}={session['pk']}; expires={expires}; HttpOnly; Max-Age={COOKIE_AGE}; Path=/; SameSite=None; Secure",
            ))

    def user(self, session: dict):
        """The logged-in user of a session, or None (anonymous)."""
        return self.store.get("users", session["user"]) if session.get("user") is not None else None

    def login(self, session: dict, user: dict) -> None:
        """django.contrib.auth.login (a new session key) plus the login event whose time becomes auth_time."""
        self.store.remove("sessions", session["pk"])
        session.update(pk=secrets.token_hex(16), new=True)
        session["user"] = user["pk"]
        session["login_time"] = int(time.time())
        session["login_uid"] = secrets.token_hex(8)
