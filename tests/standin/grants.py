"""POST /application/o/token/: client authentication, the grants, and the tokens they issue.

authentik.providers.oauth2.views.token: client_credentials and password are handled alike
(username + app password, the provider's own secret, or base64(username:password) as secret);
authorization_code and refresh_token are added by codegrant.py.
"""

import base64
import binascii
import hmac
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from . import policies, signing
from .keys import generate_id
from .resources.providers import parse_duration
from .resources.tokens import active_token
from .sessions import hash_session_key
from .wire import Response, plain_json

ACR = "goauthentik.io/providers/oauth2/default"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = ("authorization_code", "implicit", "hybrid", "refresh_token", "client_credentials", "password", DEVICE_CODE)
TOKEN_ERRORS = {
    "invalid_request": "The request is otherwise malformed",
    "invalid_client": "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
    "invalid_grant": "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the "
                     "redirection URI used in the authorization request, or was issued to another client",
    "unauthorized_client": "The client is not authorized to use this authorization grant type",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed",
    # DeviceCodeError (authentik's texts, missing spaces included).
    "authorization_pending": "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps",
    "access_denied": "The authorization request was denied.",
    "expired_token": 'The "device_code" has expired, and the device authorization session has concluded.  The client MAY commence a '
                     "new device authorization request but SHOULD wait for user interaction before restarting to avoid unnecessary polling.",
    "slow_down": 'A variant of "authorization_pending", the authorization request isstill pending and polling should continue, but the '
                 "interval MUSTbe increased by 5 seconds for this and all subsequent requests.",
}


class TokenError(Exception):
    """An OAuth2 error answered with 400 {error, error_description, request_id}."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def _parse_scope(text: str) -> list:
    # authentik keeps scopes in a set (its order varies per process); the stand-in keeps request order.
    return list(dict.fromkeys(text.split()))


class TokenEndpoint:
    """The token endpoint of all OAuth2 providers."""

    def __init__(self, app, claims):
        self.app = app
        self.store = app.store
        self.claims = claims

    def handle(self, request) -> Response:
        """POST /application/o/token/."""
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)) \
            if request.content_type == "application/x-www-form-urlencoded" else {}
        try:
            client_id, client_secret = self.client_auth(request, form)
            provider = self.store.find("providers", client_id=client_id)
            if provider is None:
                raise TokenError("invalid_client")
            return plain_json(200, self.grant(form, provider, client_secret, request), [("Cache-Control", "no-store")])
        except TokenError as exc:
            body = {"error": exc.error, "error_description": TOKEN_ERRORS[exc.error], "request_id": request.request_id}
            return plain_json(400, body, [("Cache-Control", "no-store")])

    @staticmethod
    def client_auth(request, form: dict):
        """extract_client_auth: HTTP Basic first, else client_id/client_secret form fields."""
        header = request.header("authorization")
        if re.match(r"^Basic\s{1}.+$", header):
            try:
                client_id, dummy, client_secret = base64.b64decode(header.split()[1]).decode("utf-8").partition(":")
            except (ValueError, binascii.Error):
                client_id = client_secret = ""
            return client_id, client_secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def grant(self, form: dict, provider: dict, client_secret: str, request) -> dict:
        """TokenParams + TokenView."""
        grant_type = form.get("grant_type", "")
        if self.app.profile.grant_types_enforced and grant_type in GRANT_TYPES and grant_type not in provider["grant_types"]:
            # 2026.5+: the provider's grant_types (versions.DERIVED says what is known of the answer).
            raise TokenError("unauthorized_client")
        if grant_type in ("authorization_code", "refresh_token") and provider["client_type"] == "confidential" \
                and not hmac.compare_digest(provider["client_secret"], client_secret):
            raise TokenError("invalid_client")
        # Scopes without a mapping on the provider are dropped silently (recorded).
        available = {mapping["scope_name"] for mapping in self.claims.mappings(provider)}
        scope = [name for name in _parse_scope(form.get("scope", "")) if name in available]
        if grant_type == "authorization_code":
            return self.code_grant(form, provider, request)
        if grant_type == "refresh_token":
            return self.refresh_grant(form, provider, scope, request)
        if grant_type in ("client_credentials", "password"):
            user = self.client_credentials_user(form, provider, client_secret)
            return self.issue(provider, user, scope, request)
        if grant_type == DEVICE_CODE:
            return self.device_grant(form, provider, request)
        raise TokenError("unsupported_grant_type")

    def code_grant(self, form: dict, provider: dict, request) -> dict:
        """authorization_code: codegrant.CodeTokenEndpoint, which oidc.py serves."""
        raise NotImplementedError

    def refresh_grant(self, form: dict, provider: dict, scope: list, request) -> dict:
        """refresh_token: codegrant.CodeTokenEndpoint, which oidc.py serves."""
        raise NotImplementedError

    def device_grant(self, form: dict, provider: dict, request) -> dict:
        """urn:ietf:params:oauth:grant-type:device_code: device.DeviceTokenEndpoint, which oidc.py serves."""
        raise NotImplementedError

    def client_credentials_user(self, form: dict, provider: dict, client_secret: str) -> dict:
        """__post_init_client_credentials: username+app password, provider secret, or base64(user:password)."""
        if form.get("client_assertion_type", ""):
            raise TokenError("invalid_grant")  # JWT federation sources are not emulated
        if form.get("username", ""):
            return self.password_user(provider, form["username"], form.get("password", ""))
        if hmac.compare_digest(client_secret.encode(), provider["client_secret"].encode()):
            return self.generated_user(provider)
        try:
            username, dummy, password = base64.b64decode(client_secret).decode("utf-8").partition(":")
        except (ValueError, binascii.Error):
            raise TokenError("invalid_grant") from None
        return self.password_user(provider, username, password)

    def application(self, provider: dict) -> dict:
        """The provider's application; no application means no access (invalid_grant)."""
        app = self.store.find("applications", provider=provider["pk"])
        if app is None:
            raise TokenError("invalid_grant")
        return app

    def password_user(self, provider: dict, username: str, password: str) -> dict:
        """A user authenticated by username and one of their app-password tokens."""
        user = self.store.find("users", username=username)
        token = active_token(self.store, password, "app_password") if user else None
        if user is None or token is None or token["user"] != user["pk"]:
            raise TokenError("invalid_grant")
        self.check_access(self.application(provider), user)
        user["last_login"] = datetime.now(timezone.utc)
        return user

    def generated_user(self, provider: dict) -> dict:
        """The service account authentik creates (or updates) for client_id+client_secret."""
        app = self.application(provider)
        values = {
            "attributes": {"goauthentik.io/user/generated": True},
            "last_login": datetime.now(timezone.utc),
            "name": f"Autogenerated user from application {app['name']} (client credentials)",
            "path": f"goauthentik.io/apps/{app['slug']}",
            "type": "service_account",
        }
        username = f"ak-{provider['name'][:128]}-client_credentials"
        user = self.store.find("users", username=username)
        if user is None:
            user = self.app.resource("users").create(dict(values, username=username), None)
        else:
            user.update(values)
        return self.check_access(app, user)

    def check_access(self, application: dict, user: dict) -> dict:
        """__check_policy_access: the application's policy engine; a refusal is a plain invalid_grant."""
        if not policies.evaluate(self.app, application, user).passing:
            raise TokenError("invalid_grant")
        return user

    def subject(self, provider: dict, user: dict) -> str:
        """IDToken.sub by the provider's sub_mode."""
        mode = provider["sub_mode"]
        uid = self.app.resource("users").get_uid(user, None)
        return {
            "hashed_user_id": uid,
            "user_id": str(user["pk"]),
            "user_uuid": str(user["uuid"]),
            "user_email": user["email"],
            "user_username": user["username"],
            "user_upn": (user.get("attributes") or {}).get("upn", uid),
        }[mode]

    def issue(self, provider: dict, user: dict, scope: list, request) -> dict:
        """create_client_credentials_response: an access token and an id_token, no refresh token."""
        now = int(time.time())
        return self.mint(provider, user, scope, request, auth_time=now)

    def mint(self, provider: dict, user: dict, scope: list, request, *, auth_time: int, nonce=None, session=None) -> dict:
        """AccessToken + IDToken.new: the token answer (exp from access_token_validity, sid from the session)."""
        now = int(time.time())
        lifetime = int(timedelta(**parse_duration(provider["access_token_validity"])).total_seconds())
        id_token = {
            "iss": self.app.resource("providers").issuer(provider, request.base_url),
            "sub": self.subject(provider, user),
            "aud": provider["client_id"],
            "exp": now + lifetime,
            "iat": now,
            "auth_time": auth_time,
            "acr": ACR,
            "nonce": nonce,
            "sid": hash_session_key(session) if session else None,
            "jti": generate_id() if self.app.profile.id_token_jti else None,
        }
        id_token = {key: value for key, value in id_token.items() if value is not None}
        if provider["include_claims_in_id_token"]:
            id_token.update(self.claims.for_user(provider, user, scope))
        access = dict(id_token, azp=provider["client_id"], uid=generate_id(), scope=" ".join(scope))
        pair = self.store.get("keypairs", provider["signing_key"]) if provider.get("signing_key") else None
        key_pem = pair["key_data"] if pair else ""
        key_id = self.app.resource("keypairs").kid(pair) if pair else None
        access_token = signing.encode(access, client_secret=provider["client_secret"], key_pem=key_pem, key_id=key_id)
        self.store.add("access_tokens", {
            "pk": self.store.new_uuid(), "token": access_token, "provider": provider["pk"], "user": user["pk"],
            "scope": scope, "expires": now + lifetime, "sub": id_token["sub"],
        })
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "scope": " ".join(scope),
            "expires_in": lifetime,
            "id_token": signing.encode(id_token, client_secret=provider["client_secret"], key_pem=key_pem, key_id=key_id),
        }
