"""The device code grant (RFC 8628) as authentik 2024.6 to 2026.2 serve it (authentik.providers.oauth2.views.device_*).

- ``POST /application/o/device/`` (DeviceView): the client id from the form (2026.2: HTTP Basic first, then the
  form, ``extract_client_auth``); an unknown client or a provider without application is ``invalid_client``. The
  scopes are kept as the client sent them (split on " ", not checked against the provider's mappings). The device
  token lives for the provider's ``access_code_validity``: ``expires_in`` says so, but nothing checks it afterwards;
  the worker's ``clean_expired_models`` (crontab ``2-59/5 * * * *``) deletes it at its first run after the expiry.
  The view is throttled per client address (DRF AnonRateThrottle, ``throttle.providers.oauth2.device``,
  default ``20/hour``): over the rate, 429 ``slow_down``.
- ``GET /device`` (DeviceEntryView behind ``login_required``): anonymous people go to the login flow with
  ``next``; then the brand of the request's host must have a device code flow (else an empty 404). With
  ``?code=`` the code is checked at once (CodeValidatorView), else the brand's device code flow runs with the
  code entry stage (``ak-provider-oauth2-device-code``). An unknown code, a provider without application, or a
  person the application's policies refuse: the access denied page (inside the flow, a ``xak-flow-shell``
  challenge). A valid code: the provider's authorization flow (its consent stage, if any) and the finish stage
  (``ak-provider-oauth2-device-code-finish``), whose challenge binds the device token to the person.
- The token endpoint's device_code grant: unknown device code ``invalid_grant``, not yet bound
  ``authorization_pending`` (400), else the tokens (no policy check here: it happened at the code entry; the
  session is not kept, so no ``sid`` and ``auth_time`` is the time of the exchange), a refresh token when the
  device request asked for ``offline_access`` (the scope is not filtered by the provider's mappings), and the
  device token is deleted.
"""

import secrets
import string
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, urlencode

from . import policies
from .authorize import error_page, parse_seconds
from .codegrant import CodeTokenEndpoint
from .grants import TOKEN_ERRORS, TokenError
from .wire import HTML, Response, not_allowed_page, plain_json

USER_CODE_LENGTH = 9
INTERVAL = 5
DEFAULT_THROTTLE = "20/hour"
THROTTLE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# clean_expired_models: crontab "2-59/5 * * * *".
CLEANUP_MINUTES = range(2, 60, 5)
TOKEN_HEADERS = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
CODE_ENTRY, FINISH = "devicecode", "devicefinish"


def generate_key(length: int = 128) -> str:
    """authentik.lib.generators.generate_key: letters, digits and punctuation."""
    alphabet = string.ascii_letters + string.digits + string.punctuation
    return "".join(secrets.choice(alphabet) for dummy in range(length))


def generate_user_code(length: int = USER_CODE_LENGTH) -> str:
    """generate_code_fixed_length: a number, zero-padded."""
    return str(secrets.randbelow(10 ** length - 1) + 1).zfill(length)


def cleaned_at(expires: float) -> float:
    """When clean_expired_models first runs after an expiry (it deletes the expired device token then)."""
    moment = datetime.fromtimestamp(expires, timezone.utc).replace(second=0, microsecond=0)
    while True:
        moment += timedelta(minutes=1)
        if moment.minute in CLEANUP_MINUTES:
            return moment.timestamp()


def parse_rate(rate: str):
    """SimpleRateThrottle.parse_rate: '20/hour' -> (20, 3600)."""
    count, period = rate.split("/")
    return int(count), THROTTLE_UNITS[period[0]]


class DeviceCodes:
    """Device tokens, the device authorization endpoint and the verification page."""

    def __init__(self, oidc, throttle_rate: str = DEFAULT_THROTTLE):
        self.app = oidc.app
        self.store = oidc.store
        self.sessions = oidc.sessions
        self.claims = oidc.claims
        self.rate = parse_rate(throttle_rate)
        self.history = {}

    @property
    def version(self) -> str:
        return self.app.profile.name

    def token(self, **match):
        """A device token that clean_expired_models has not deleted yet (expiry itself is never checked)."""
        token = self.store.find("device_tokens", **match)
        if token is not None and time.time() >= cleaned_at(token["expires"]):
            self.store.remove("device_tokens", token["pk"])
            return None
        return token

    def clean_expired(self) -> int:
        """clean_expired_models, now: every expired device token goes."""
        expired = [t for t in self.store.all("device_tokens") if t["expires"] < time.time()]
        for token in expired:
            self.store.remove("device_tokens", token["pk"])
        return len(expired)

    # -- POST /application/o/device/ --------------------------------------------------------------
    def throttled(self, request) -> bool:
        """AnonRateThrottle.allow_request, keyed by X-Forwarded-For or the client address."""
        key = "".join(request.header("x-forwarded-for").split()) or request.remote_addr
        count, duration = self.rate
        now = time.time()
        history = [moment for moment in self.history.get(key, []) if moment > now - duration]
        if len(history) >= count:
            self.history[key] = history
            return True
        self.history[key] = [now] + history
        return False

    def authorize(self, request) -> Response:
        """DeviceView: throttle, then POST only."""
        if self.throttled(request):
            return self.error(request, "slow_down", 429)
        if request.method != "POST":
            return not_allowed_page("POST, OPTIONS")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)) \
            if request.content_type == "application/x-www-form-urlencoded" else {}
        if self.app.profile.device_client_auth_basic:
            client_id = self.app.oidc.tokens.client_auth(request, form)[0]
        else:
            client_id = form.get("client_id")
        provider = self.store.find("providers", client_id=client_id) if client_id else None
        if provider is None or self.store.find("applications", provider=provider["pk"]) is None:
            return self.error(request, "invalid_client", 400)
        lifetime = parse_seconds(provider["access_code_validity"])
        token = self.store.add("device_tokens", {
            "pk": self.store.new_uuid(), "provider": provider["pk"], "device_code": generate_key(), "user_code": generate_user_code(),
            "scope": form.get("scope", "").split(), "expires": time.time() + lifetime, "user": None,
        })
        url = f"{request.base_url}/device"
        return plain_json(200, {
            "device_code": token["device_code"],
            "verification_uri": url,
            "verification_uri_complete": url + "?" + urlencode({"code": token["user_code"]}),
            "user_code": token["user_code"],
            "expires_in": int(lifetime),
            "interval": INTERVAL,
        }, TOKEN_HEADERS)

    @staticmethod
    def error(request, error: str, status: int) -> Response:
        """TokenResponse(DeviceCodeError(error).create_dict(request))."""
        return plain_json(status, {"error": error, "error_description": TOKEN_ERRORS[error], "request_id": request.request_id},
                          TOKEN_HEADERS)

    # -- GET /device ------------------------------------------------------------------------------
    def entry(self, request) -> Response:
        """login_required(DeviceEntryView)."""
        if request.method not in ("GET", "HEAD", "POST"):
            return not_allowed_page("GET, POST, HEAD, OPTIONS")
        session = self.sessions.load(request)
        response = self.entry_for(request, session)
        self.sessions.save(session, response)
        return response

    def entry_for(self, request, session: dict) -> Response:
        user = self.sessions.user(session)
        full_path = request.path + (f"?{request.query_string}" if request.query_string else "")
        if user is None:
            # Django's redirect_to_login: next quoted with "/" kept.
            return Response(302, b"", [("Content-Type", HTML), ("Location", "/flows/-/default/authentication/?next=" + quote(full_path, safe="/"))])
        brand = self.app.resource("brands").for_host(request.host)
        flow = self.store.get("flows", brand["flow_device_code"]) if brand and brand.get("flow_device_code") else None
        if flow is None:
            return Response(404, b"", [("Content-Type", HTML)])
        codes = request.query_values("code")
        if codes:
            return self.validate_code(codes[-1], session, user, request.query_string)
        if not self.applies(flow, user):
            return Response(404, b"", [("Content-Type", HTML)])
        session["plan"] = {"flow": flow["slug"], "stages": [CODE_ENTRY], "pending_user": None}
        return self.to_flow(flow, user, request.query_string)

    @staticmethod
    def applies(flow: dict, user: dict) -> bool:
        """FlowPlanner._check_authentication for a logged-in person (a flow that wants none is refused)."""
        return flow["authentication"] not in ("require_unauthenticated", "require_outpost", "require_redirect") and \
            (flow["authentication"] != "require_superuser" or user.get("is_superuser"))

    def to_flow(self, flow: dict, user: dict, query_string: str) -> Response:
        """FlowPlan.to_redirect: the flow interface with the request's query (and inspector=available for superusers)."""
        query = parse_qsl(query_string, keep_blank_values=True)
        if self.app.resource("users").is_superuser(user):
            query.append(("inspector", "available"))
        location = f"/if/flow/{flow['slug']}/" + ("?" + urlencode(query) if query else "")
        return Response(302, b"", [("Content-Type", HTML), ("Location", location)])

    def validate_code(self, code: str, session: dict, user: dict, query_string: str) -> Response:
        """CodeValidatorView: the access denied page, or the provider's authorization flow with the finish stage."""
        token = self.token(user_code=code)
        provider = self.store.get("providers", token["provider"]) if token else None
        application = self.store.find("applications", provider=provider["pk"]) if provider else None
        if application is None or not policies.evaluate(self.app, application, user).passing:
            return self.denied()
        flow = self.store.get("flows", provider["authorization_flow"])
        # The default authorization flows' only stage is a consent stage.
        stages = ["consent"] if flow["stages"] else []
        session["plan"] = {"flow": flow["slug"], "stages": stages + [FINISH], "application": application["pk"],
                           "params": {"provider": provider["pk"], "scope": token["scope"], "prompt": []},
                           "device": token["pk"], "pending_user": None}
        return self.to_flow(flow, user, query_string)

    def denied(self) -> Response:
        """AccessDeniedResponse (policies/denied.html; the policy messages only for superusers)."""
        return error_page(self.version, "Permission denied", "Request has been denied.", status=200)

    # -- flow executor stages ---------------------------------------------------------------------
    def stages(self) -> dict:
        return {CODE_ENTRY: self.stage_code_entry, FINISH: self.stage_finish}

    def stage_code_entry(self, executor, ctx, flow, session, plan, data) -> Response:
        """OAuthDeviceCodeStage: the person types the code; a valid one leaves for the authorization flow."""
        body = {"component": "ak-provider-oauth2-device-code"}
        if data is not None:
            code = str(data.get("code") or "")
            if code and self.integer_code():
                # 2024.6's and 2024.8's IntegerField: the number is looked up as text, so a code with leading zeros never matches.
                try:
                    code = str(int(code))
                except ValueError:
                    body["response_errors"] = {"code": [{"string": "A valid integer is required.", "code": "invalid"}]}
                    return plain_json(200, executor.challenge(flow, session, plan, body))
            if code:
                user = self.sessions.user(session)
                response = self.validate_code(code, session, user, ctx.request.query_string)
                if response.status == 302:
                    return executor.redirect(ctx, response.header("Location"))
                # to_stage_response: a rendered page becomes a shell challenge.
                return plain_json(200, executor.shaped({"component": "xak-flow-shell", "body": response.body.decode("utf-8")}))
            body["response_errors"] = {"code": [{"string": "This field is required.", "code": "required"}]}
        return plain_json(200, executor.challenge(flow, session, plan, body))

    def integer_code(self) -> bool:
        """Whether the release's code entry takes an integer (OAuthDeviceCodeChallengeResponseRequest.code)."""
        return dict(self.app.spec.properties("OAuthDeviceCodeChallengeResponseRequest"))["code"].get("type") == "integer"

    def stage_finish(self, executor, ctx, flow, session, plan, data) -> Response:
        """OAuthDeviceCodeFinishStage: its challenge binds the device token to the person, and the page says it may be
        closed (the web interface never answers it). An answer fails: challenge_valid calls stage_ok() but returns
        nothing, and the executor's to_stage_response(None) raises, so the flow error challenge (no error text for a
        person who is not a superuser) comes back (2024.6 to 2026.2; seen on the real 2025.10.4 and 2026.2.2)."""
        if data is not None:
            session["plan"]["stages"].pop(0)
            return plain_json(200, executor.shaped({"component": "ak-stage-flow-error", "request_id": ctx.request.request_id}))
        token = self.store.get("device_tokens", plan["device"])
        if token is not None:
            token["user"] = session["user"]
        return plain_json(200, executor.challenge(flow, session, plan, {"component": "ak-provider-oauth2-device-code-finish"}))


class DeviceTokenEndpoint(CodeTokenEndpoint):
    """The token endpoint with the device_code grant besides the code and refresh grants."""

    devices = None  # DeviceCodes, set by OIDC

    def device_grant(self, form: dict, provider: dict, request) -> dict:
        token = self.devices.token(device_code=form.get("device_code", ""), provider=provider["pk"])
        if token is None:
            raise TokenError("invalid_grant")
        if token["user"] is None:
            raise TokenError("authorization_pending")
        user = self.store.get("users", token["user"])
        now = int(time.time())
        answer = self.mint(provider, user, token["scope"], request, auth_time=now)
        if "offline_access" in token["scope"]:
            answer["refresh_token"] = self.new_refresh_token(provider, {"user": user["pk"], "scope": token["scope"], "auth_time": now,
                                                                        "session": None})
        self.store.remove("device_tokens", token["pk"])
        return answer
