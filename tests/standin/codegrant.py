"""The token endpoint's authorization_code and refresh_token grants (authentik.providers.oauth2.views.token).

authorization_code: the code must be given, the redirect_uri must match the provider's list
(checked again here, without adopting anything: a mismatch is invalid_client), the code must
exist, be unexpired and belong to this provider, and a code issued with a PKCE challenge needs the
verifier (S256: base64url(sha256(verifier)) without padding; plain: equal), while a verifier for a
code without challenge is refused (no downgrade). The code is deleted once used. The tokens keep
the code's scopes, nonce, auth_time and session (sid); a refresh token only with offline_access.

refresh_token: the token must exist for this provider, be unexpired and not revoked (a revoked one
is a reuse); scopes beyond the original ones or without offline_access are invalid_scope. The old
refresh token is revoked and a new one issued when refresh_token_threshold is 0 or passed.
"""

import base64
import hashlib
import time
from datetime import timedelta
from urllib.parse import urlsplit

from .authorize import FORBIDDEN_URI_SCHEMES, legacy_redirect_uri_matches, redirect_uri_matches
from .grants import TokenEndpoint, TokenError
from .keys import generate_id
from .resources.providers import parse_duration


def pkce_s256_challenge(verifier: str) -> str:
    """authentik.providers.oauth2.utils.pkce_s256_challenge."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode("utf-8").replace("=", "")


def seconds(duration: str) -> float:
    """timedelta_from_string in seconds."""
    return timedelta(**parse_duration(duration)).total_seconds()


class CodeTokenEndpoint(TokenEndpoint):
    """The token endpoint with the grants that follow a login at the authorize endpoint."""

    def code_grant(self, form: dict, provider: dict, request) -> dict:
        raw = form.get("code", "")
        if not raw:
            raise TokenError("invalid_grant")
        self.check_redirect_uri(provider, form.get("redirect_uri", ""))
        code = self.store.find("authorization_codes", code=raw)
        if code is None or code["expires"] < time.time() or code["provider"] != provider["pk"]:
            raise TokenError("invalid_grant")
        verifier = form.get("code_verifier")
        if code["code_challenge"]:
            if not verifier:
                raise TokenError("invalid_grant")
            expected = pkce_s256_challenge(verifier) if code["code_challenge_method"] == "S256" else verifier
            if expected != code["code_challenge"]:
                raise TokenError("invalid_grant")
        elif verifier:
            raise TokenError("invalid_grant")
        user = self.store.get("users", code["user"])
        answer = self.mint(provider, user, code["scope"], request, auth_time=code["auth_time"], nonce=code["nonce"],
                           session=code["session"])
        if "offline_access" in code["scope"]:
            answer["refresh_token"] = self.new_refresh_token(provider, code)
        self.store.remove("authorization_codes", code["pk"])
        return answer

    @staticmethod
    def check_redirect_uri(provider: dict, redirect_uri: str) -> None:
        """TokenParams.__check_redirect_uri: the provider's list as it is now."""
        allowed = provider["redirect_uris"]
        if isinstance(allowed, list):
            matched = redirect_uri_matches(allowed, redirect_uri)
        else:
            matched = legacy_redirect_uri_matches(allowed.split(), redirect_uri)
        if not matched:
            raise TokenError("invalid_client")
        if urlsplit(redirect_uri).scheme in FORBIDDEN_URI_SCHEMES:
            raise TokenError("invalid_request")

    def refresh_grant(self, form: dict, provider: dict, scope: list, request) -> dict:
        raw = form.get("refresh_token", "")
        if not raw:
            raise TokenError("invalid_grant")
        token = self.store.find("refresh_tokens", token=raw, provider=provider["pk"])
        if token is None or token["expires"] < time.time() or token["revoked"]:
            raise TokenError("invalid_grant")
        scope = scope or list(token["scope"])
        if set(scope) - set(token["scope"]) or "offline_access" not in scope:
            raise TokenError("invalid_scope")
        user = self.store.get("users", token["user"])
        answer = self.mint(provider, user, token["scope"], request, auth_time=token["auth_time"], session=token["session"])
        threshold = seconds(provider.get("refresh_token_threshold") or "seconds=0")
        if threshold == 0 or time.time() - token["expires"] > threshold:
            answer["refresh_token"] = self.new_refresh_token(provider, token)
            token["revoked"] = True
        return answer

    def new_refresh_token(self, provider: dict, grant: dict) -> str:
        """A RefreshToken (generate_client_secret: 128 characters) with the grant's user, scopes and session."""
        token = self.store.add("refresh_tokens", {
            "pk": self.store.new_uuid(), "token": generate_id(128), "provider": provider["pk"], "user": grant["user"],
            "scope": list(grant["scope"]), "auth_time": grant["auth_time"], "session": grant["session"], "revoked": False,
            "expires": time.time() + seconds(provider["refresh_token_validity"]),
        })
        return token["token"]
