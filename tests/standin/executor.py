"""Logging in and consenting without a browser: the flow executor API and the pages that lead to it.

authentik.flows.views.executor and the stages of the default flows, modelled minimally:
``/flows/-/default/authentication/`` redirects to the flow interface ``/if/flow/<slug>/`` (an HTML
shell; its script drives ``/api/v3/flows/executor/<slug>/?query=<the page's query>``). GET returns
the current stage's challenge, POST answers it; a passed stage answers 302 back to the executor
(the redirect the flow interface follows), the end of the flow a ``xak-flow-redirect`` challenge
to ``next``. Stages: the default authentication flow's identification (username or email; an
unknown user is let through to fail at the password, authentik's pretend_user_exists), password
(authentik's TokenBackend: an app password of that user; the stand-in keeps no user passwords),
user login; an authorization flow's consent stage (remembered per user and application, mode
``expiring``) and the OAuth2 fulfillment stage that issues the code. Not modelled: MFA (the
default validation stage skips users without devices), captcha, sources, flow inspector, CSRF.
"""

import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

from .errors import ApiError
from .resources.tokens import active_token
from .resources.users import avatar
from .routing import Route
from .wire import HTML, Response, not_found_page, plain_json

AUTH_STAGES = ["identification", "password", "login"]
CANCEL_URL = "/flows/-/cancel/"
BACKGROUND = "/static/dist/assets/images/flow_background.jpg"
DEFAULT_AVATAR = "/static/dist/assets/images/user_default.png"
FAILED_ATTEMPTS_BEFORE_CANCEL = 5
CHALLENGES = {
    "ak-stage-identification": "IdentificationChallenge", "ak-stage-password": "PasswordChallenge",
    "ak-stage-consent": "ConsentChallenge", "ak-stage-access-denied": "AccessDeniedChallenge",
    "xak-flow-redirect": "RedirectChallenge", "xak-flow-shell": "ShellChallenge",
    "ak-provider-oauth2-device-code": "OAuthDeviceCodeChallenge",
    "ak-provider-oauth2-device-code-finish": "OAuthDeviceCodeFinishChallenge",
    "ak-stage-flow-error": "FlowErrorChallenge",
}
# ChallengeTypes' type (before 2024.8) of the components that are not native stages.
CHALLENGE_TYPES = {"xak-flow-redirect": "redirect", "xak-flow-shell": "shell"}
SHELL = """<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{title}</title></head>
<body><ak-flow-executor flowSlug="{slug}"></ak-flow-executor></body></html>
"""


def field_error(field: str, message: str, code: str) -> dict:
    """response_errors as DRF's ValidationError gives them to the flow interface."""
    return {field: [{"string": message, "code": code}]}


class FlowExecutor:
    """The executor API plus /flows/-/... and /if/flow/<slug>/."""

    def __init__(self, oidc):
        self.app = oidc.app
        self.store = oidc.store
        self.sessions = oidc.sessions
        self.authorize = oidc.authorize
        self.device_stages = oidc.devices.stages()

    def routes(self) -> list:
        """FlowExecutorView: AllowAny, the session cookie says who is logging in."""
        return [Route("flows/executor/{flow_slug}/", {"GET": self.executor_view, "POST": self.executor_view},
                      access="public", admin_only=False)]

    # -- pages ----------------------------------------------------------------------------------
    def handle_page(self, request) -> Response:
        """/flows/-/default/authentication/, /flows/-/cancel/ and the flow interface /if/flow/<slug>/."""
        session = self.sessions.load(request)
        query = f"?{request.query_string}" if request.query_string else ""
        if request.path == "/flows/-/default/authentication/":
            flow = self.store.find("flows", slug="default-authentication-flow") or next(
                iter(sorted((f for f in self.store.all("flows") if f["designation"] == "authentication"), key=lambda f: f["slug"])), None)
            if flow is None:
                return not_found_page(self.app.profile.name)
            if session.get("plan") and session["plan"]["flow"] != flow["slug"]:
                session["plan"] = None
            response = Response(302, b"", [("Content-Type", HTML), ("Location", f"/if/flow/{flow['slug']}/{query}")])
        elif request.path == CANCEL_URL:
            self.cancel(session)
            response = Response(302, b"", [("Content-Type", HTML), ("Location", "/")])
        elif request.path.startswith("/if/flow/") and (flow := self.store.find("flows", slug=request.path.split("/")[3])):
            response = Response(200, SHELL.format(title=flow["title"], slug=flow["slug"]).encode(), [("Content-Type", HTML)])
        else:
            return not_found_page(self.app.profile.name)
        self.sessions.save(session, response)
        return response

    @staticmethod
    def cancel(session: dict) -> None:
        session.update(plan=None, get={})
        session.pop("application_pre", None)

    # -- /api/v3/flows/executor/<slug>/ ---------------------------------------------------------
    def executor_view(self, ctx) -> Response:
        flow = self.store.find("flows", slug=ctx.kwargs["flow_slug"])
        if flow is None:
            raise ApiError(404, {"detail": "No Flow matches the given query."})
        session = self.sessions.load(ctx.request)
        response = self.dispatch(ctx, flow, session)
        self.sessions.save(session, response)
        return response

    def dispatch(self, ctx, flow: dict, session: dict) -> Response:
        plan = session.get("plan")
        if plan and plan["flow"] != flow["slug"]:
            self.cancel(session)
            plan = None
        session["get"] = dict(parse_qsl(ctx.query("query", "")))
        if plan is None:
            if flow["designation"] != "authentication":
                # Authorization flows are planned by the authorize endpoint, with its parameters.
                return self.stage_invalid(ctx, flow, session, "Flow does not apply to current user.")
            plan = session["plan"] = {"flow": flow["slug"], "stages": list(AUTH_STAGES), "pending_user": None}
        if not plan["stages"]:
            return self.flow_done(ctx, flow, session)
        stage = plan["stages"][0]
        data = ctx.data if ctx.request.method == "POST" else None
        device_stage = self.device_stages.get(stage)
        if device_stage:
            return device_stage(self, ctx, flow, session, plan, data)
        return getattr(self, f"stage_{stage.split('_')[0]}")(ctx, flow, session, plan, data)

    def stage_ok(self, ctx, flow: dict, session: dict) -> Response:
        """The stage passed: on to the next (a 302 back to the executor), or the flow is done."""
        session["plan"]["stages"].pop(0)
        if not session["plan"]["stages"]:
            return self.flow_done(ctx, flow, session)
        target = f"/api/v3/flows/executor/{flow['slug']}/?" + urlencode(ctx.request.query)
        return self.redirect(ctx, target)

    def redirect(self, ctx, target: str) -> Response:
        """to_stage_response: a redirect to the request's own URL stays a 302, others become xak-flow-redirect."""
        if target == f"{ctx.request.path}?{ctx.request.query_string}":
            return Response(302, b"", [("Content-Type", HTML), ("Location", target)])
        return plain_json(200, self.shaped({"component": "xak-flow-redirect", "to": target}))

    def flow_done(self, ctx, flow: dict, session: dict) -> Response:
        target = session.get("get", {}).get("next", "/")
        self.cancel(session)
        parts = urlsplit(target)
        if target and not (parts.scheme and parts.netloc):
            return self.redirect(ctx, target)
        return self.stage_invalid(ctx, flow, session, "Invalid next URL")

    def stage_invalid(self, ctx, flow: dict, session: dict, message: str) -> Response:
        """AccessDeniedStage: the flow is cancelled."""
        self.cancel(session)
        return plain_json(200, self.challenge(flow, session, None, {
            "component": "ak-stage-access-denied", "pending_user": "", "pending_user_avatar": DEFAULT_AVATAR,
            "error_message": message}))

    def challenge(self, flow: dict, session: dict, plan, data: dict) -> dict:
        """ChallengeStageView._get_challenge: flow_info first, then the stage's fields."""
        title = flow["title"]
        application = self.store.get("applications", plan.get("application")) if plan else None
        if application and "%(app)s" in title:
            title = title % {"app": application["name"]}
        info = {"title": title, "background": BACKGROUND, "cancel_url": CANCEL_URL, "layout": flow["layout"]}
        return self.shaped(dict({"flow_info": info}, **data))

    def shaped(self, data: dict) -> dict:
        """The challenge as the emulated release's serializer has it: only its fields; a `type` (native, or
        redirect) where the release still has ChallengeTypes' type (before 2024.8); captcha_stage null only
        where the schema allows null (without a captcha stage, older releases leave it out)."""
        schema = self.app.spec.schemas[CHALLENGES[data["component"]]]
        properties = schema.get("properties", {})
        shaped = {"type": CHALLENGE_TYPES.get(data["component"], "native")} if "type" in properties else {}
        for name, value in data.items():
            if name in properties and not (name == "captcha_stage" and not properties[name].get("nullable")):
                shaped[name] = value
        return shaped

    def pending(self, session: dict, plan: dict):
        """(username, avatar) of the user being logged in, or of the logged-in user."""
        user = self.store.get("users", plan.get("pending_user")) if plan.get("pending_user") else self.sessions.user(session)
        if user is None:
            return plan.get("pending_identifier") or "", DEFAULT_AVATAR
        return user["username"], avatar(user["name"])

    # -- stages ---------------------------------------------------------------------------------
    def stage_identification(self, ctx, flow, session, plan, data) -> Response:
        if data is not None:
            uid = str(data.get("uid_field") or "")
            if uid:
                user = next((u for u in self.store.all("users") if u["is_active"] and uid in (u["username"], u["email"])), None)
                # pretend_user_exists: an unknown user goes on and fails at the password stage.
                plan.update(pending_user=user["pk"] if user else None, pending_identifier=uid)
                return self.stage_ok(ctx, flow, session)
        body = {"component": "ak-stage-identification"}
        if data is not None:
            body["response_errors"] = field_error("uid_field", "This field is required.", "required")
        body.update({"user_fields": ["email", "username"], "password_fields": False, "allow_show_password": False})
        if session.get("application_pre"):
            body["application_pre"] = session["application_pre"]
        body.update({"flow_designation": flow["designation"], "captcha_stage": None,
                     "primary_action": "Log in" if flow["designation"] == "authentication" else "Continue",
                     "sources": [], "show_source_labels": False, "enable_remember_me": False})
        return plain_json(200, self.challenge(flow, session, plan, body))

    def stage_password(self, ctx, flow, session, plan, data) -> Response:
        errors = None
        if data is not None:
            password = data.get("password") or ""
            user = self.store.get("users", plan["pending_user"]) if plan.get("pending_user") else None
            token = active_token(self.store, password, "app_password") if password and user else None
            if token is not None and token["user"] == user["pk"] and user["is_active"]:
                plan["authenticated"] = True
                return self.stage_ok(ctx, flow, session)
            errors = field_error("password", "This field is required.", "required") if not password else \
                field_error("password", "Invalid password", "invalid")
            if password:
                session["invalid_tries"] = session.get("invalid_tries", 0) + 1
                if session["invalid_tries"] >= FAILED_ATTEMPTS_BEFORE_CANCEL:
                    session.pop("invalid_tries")
                    return self.stage_invalid(ctx, flow, session, "Invalid password")
        username, picture = self.pending(session, plan)
        body = {"component": "ak-stage-password"}
        if errors:
            body["response_errors"] = errors
        body.update({"pending_user": username, "pending_user_avatar": picture, "allow_show_password": False})
        return plain_json(200, self.challenge(flow, session, plan, body))

    def stage_login(self, ctx, flow, session, plan, _data) -> Response:
        """UserLoginStage without remember-me: log the pending user in."""
        if not plan.get("authenticated"):
            return self.stage_invalid(ctx, flow, session, "No Pending user to login.")
        self.sessions.login(session, self.store.get("users", plan["pending_user"]))
        return self.stage_ok(ctx, flow, session)

    def stage_consent(self, ctx, flow, session, plan, data) -> Response:
        """ConsentStage (mode expiring) or the in-memory one of prompt=consent (always asks)."""
        always = plan["stages"][0] == "consent_always"
        params = plan["params"]
        scopes = {m["scope_name"]: m["description"] for m in self.app.oidc.claims.mappings(self.store.get("providers", params["provider"]))}
        permissions = [{"name": scopes[name], "id": name} for name in sorted(params["scope"]) if name in scopes]
        key = f"{session['user']}:{plan['application']}"
        granted = self.store.get("consents", key)
        if data is not None and data.get("token") and data.get("token") == session.get("consent_token"):
            if not always:
                self.store.add("consents", {"pk": key, "permissions": " ".join(p["id"] for p in permissions)})
            return self.stage_ok(ctx, flow, session)
        if data is None and not always and granted and set(granted["permissions"].split()) == {p["id"] for p in permissions}:
            return self.stage_ok(ctx, flow, session)
        allowed = set(granted["permissions"].split()) if granted and not always else None
        session["consent_token"] = str(uuid.uuid4())
        username, picture = self.pending(session, plan)
        body = {"component": "ak-stage-consent"}
        if data is not None:
            body["response_errors"] = field_error("token", "Invalid consent token, re-showing prompt", "invalid")
        application = self.store.get("applications", plan["application"])
        body.update({
            "pending_user": username, "pending_user_avatar": picture,
            "header_text": f"You're about to sign into {application['name']}.",
            "permissions": [p for p in permissions if allowed is None or p["id"] in allowed],
            "additional_permissions": [p for p in permissions if allowed is not None and p["id"] not in allowed],
            "token": session["consent_token"],
        })
        return plain_json(200, self.challenge(flow, session, plan, body))

    def stage_fulfillment(self, ctx, flow, session, plan, _data) -> Response:
        """OAuthFulfillmentStage: the code, handed to the client by a xak-flow-redirect."""
        params = plan["params"]
        if {"none", "consent"}.issubset(params["prompt"]):
            target = self.authorize.error_uri(params, "consent_required")
        else:
            target = self.authorize.fulfil(session, params).header("Location")
        self.cancel(session)
        return plain_json(200, self.shaped({"component": "xak-flow-redirect", "to": target}))
