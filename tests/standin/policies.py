"""authentik's policy engine for applications (authentik.policies.engine.PolicyEngine).

Who may use an application: its enabled bindings, in order. Group and user bindings are
"static": they make one result together, passing when any of them matches (a member of the
group or of a group below it, the user; negate inverts each), so even mode "all" only needs one
matching group. Each policy binding adds one result (an expression policy's truth value; an
error in it is a failing result with the error as message). No result at all (no bindings)
passes. Mode "any" needs one passing result, mode "all" every one.

Used by the token endpoint (invalid_grant when not passing), the authorization endpoint and
core/applications/<slug>/check_access/.
"""

from dataclasses import dataclass, field

from . import expressions


@dataclass
class PolicyResult:
    """authentik.policies.types.PolicyResult (passing and messages)."""

    passing: bool
    messages: list = field(default_factory=list)


def _policy_result(app, binding: dict, user: dict) -> PolicyResult:
    """One policy binding: an expression policy evaluated for the user (PolicyProcess + PolicyEvaluator)."""
    policy = app.store.get("policies", binding["policy"])
    claims = app.oidc.claims
    try:
        value = expressions.evaluate(policy["expression"], user=claims.user_view(user), provider=None,
                                     find_user=lambda **match: app.store.find("users", **match))
        result = PolicyResult(bool(value))
    except Exception as exc:  # pylint: disable=broad-exception-caught  # authentik turns any error into a failing result
        result = PolicyResult(False, [str(exc)])
    if binding["negate"]:
        result.passing = not result.passing
    return result


def _static_result(app, bindings: list, user: dict):
    """compute_static_bindings: one result for all group and user bindings, or None without any."""
    static = [b for b in bindings if b["policy"] is None and (b["group"] or b["user"])]
    if not static:
        return None
    groups = app.resource("groups").ancestors(user.get("groups") or [])
    passing = 0
    for binding in static:
        if binding["user"] is not None:
            matches = binding["user"] == user.get("pk")
        else:
            matches = binding["group"] in groups
        if matches != binding["negate"]:
            passing += 1
    return PolicyResult(passing > 0)


def evaluate(app, target: dict, user: dict) -> PolicyResult:
    """PolicyEngine(target, user).build().result."""
    bindings = sorted((b for b in app.store.all("policy_bindings") if b["target"] == target["pk"] and b["enabled"]),
                      key=lambda b: b["order"])
    results = [_policy_result(app, b, user) for b in bindings if b["policy"] is not None]
    static = _static_result(app, bindings, user)
    if static is not None:
        results.append(static)
    if not results:
        return PolicyResult(True)
    mode = target.get("policy_engine_mode", "any")
    passing = all(r.passing for r in results) if mode == "all" else any(r.passing for r in results)
    return PolicyResult(passing, [message for r in results for message in r.messages])
