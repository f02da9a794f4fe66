"""policies/expression, policies/all and policies/bindings.

Only expression policies exist in the stand-in (authentik's other policy types are not
emulated), so policies/all lists those. A binding's target is any PolicyBindingModel:
here applications and flows, whose pk is their pbm_uuid.
"""

from .. import expressions
from ..errors import ApiError, FieldError
from ..fields import BodyValidator, Relation
from .base import Resource, boolean, exact

TARGETS = ("applications", "flows")


class ExpressionPolicies(Resource):
    """ExpressionPolicyViewSet."""

    collection = "policies"
    model_label = "ExpressionPolicy"
    path = "policies/expression"
    lookup_kwarg = "policy_uuid"
    schema = "ExpressionPolicy"
    # Policy.name is unique=True; DRF names the model the field is declared on (Policy).
    unique = {"name": "policy with this name already exists."}
    constants = {
        "component": "ak-policy-expression-form",
        "verbose_name": "Expression Policy",
        "verbose_name_plural": "Expression Policies",
        "meta_model_name": "authentik_policies_expression.expressionpolicy",
    }

    def filters(self) -> dict:
        return {name: exact(name) for name in ("name", "expression")} | {
            "execution_logging": boolean("execution_logging"), "policy_uuid": exact("pk")}

    def get_bound_to(self, obj, _ctx):
        """PolicySerializer.get_bound_to: bindings (prompt stages are not emulated)."""
        return sum(1 for b in self.store.all("policy_bindings") if b["policy"] == obj["pk"])

    @staticmethod
    def validate_expression(value: str):
        """PolicyEvaluator.validate: the expression must compile."""
        message = expressions.syntax_error(value)
        if message:
            raise FieldError(message)

    def defaults(self, _ctx) -> dict:
        return {"execution_logging": False}

    def destroy(self, obj: dict, ctx) -> None:
        self.app.resource("policy_bindings").drop_for("policy", obj["pk"])
        super().destroy(obj, ctx)


class AllPolicies(ExpressionPolicies):
    """PolicyViewSet (policies/all): list, detail and delete over every policy type."""

    name = "policies_all"
    model_label = "Policy"
    path = "policies/all"
    schema = "Policy"

    def routes(self) -> list:
        from ..routing import Route  # pylint: disable=import-outside-toplevel
        return [
            Route(f"{self.path}/", {"GET": self.list_view}, access="list"),
            Route(f"{self.path}/{{policy_uuid}}/", {"GET": self.detail_view, "DELETE": self.delete_view}, access="detail"),
        ]

    def filters(self) -> dict:
        return {"bindings__isnull": boolean(lambda obj: self.get_bound_to(obj, None) == 0)}


class PolicyBindings(Resource):
    """PolicyBindingViewSet."""

    collection = "policy_bindings"
    model_label = "PolicyBinding"
    path = "policies/bindings"
    lookup_kwarg = "policy_binding_uuid"
    schema = "PolicyBinding"
    ordering = ("order", "pk")
    search_fields = ("policy_name",)
    relations = {"policy": Relation("policies"), "group": Relation("groups"), "user": Relation("users", "int"),
                 "target": Relation("policy_binding_models")}

    def filters(self) -> dict:
        return {
            "target": exact("target"),
            "target_in": lambda obj, values: obj["target"] in values,
            "policy": exact("policy"),
            "policy__isnull": boolean(lambda obj: obj["policy"] is None),
            "enabled": boolean("enabled"),
            "order": exact("order"),
            "timeout": exact("timeout"),
        }

    def search_value(self, obj, field: str) -> str:
        policy = self.store.get("policies", obj["policy"]) if obj["policy"] else None
        return policy["name"] if policy else ""

    def nested(self, _ctx, field: str) -> str:
        """Component of a nested *_obj field (the errata made it anyOf [ref, null])."""
        return self.spec.schemas[self.schema]["properties"][field]["anyOf"][0]["$ref"].rsplit("/", 1)[-1]

    def get_policy_obj(self, obj, ctx):
        """The policy, or null for a group or user binding."""
        policy = self.store.get("policies", obj["policy"]) if obj["policy"] else None
        return self.app.resource("policies_all").represent(policy, ctx) if policy else None

    def get_group_obj(self, obj, ctx):
        """The group (PartialGroup; the full Group before 2025), or null."""
        group = self.store.get("groups", obj["group"]) if obj["group"] else None
        return self.app.resource("groups").represent(group, ctx, self.nested(ctx, "group_obj")) if group else None

    def get_user_obj(self, obj, ctx):
        """The user (PartialUser; the full User before 2025), or null."""
        user = self.store.get("users", obj["user"]) if obj["user"] is not None else None
        return self.app.resource("users").represent(user, ctx, self.nested(ctx, "user_obj")) if user else None

    def validate(self, ctx, instance=None, partial=False) -> dict:
        # PolicyBindingModelForeignKey: the target is any object with policies (an application, a flow).
        def exists(collection, pk):
            if collection == "policy_binding_models":
                return any(self.store.exists(name, pk) for name in TARGETS)
            return self.store.exists(collection, pk)
        validator = BodyValidator(self.spec, self.request_schema(partial), partial=partial, relations=self.relations,
                                  exists=exists, hooks=self.hooks(instance))
        return self.validate_object(validator.run(ctx.data), instance, ctx)

    def validate_object(self, validated: dict, _instance, _ctx) -> dict:
        """PolicyBindingSerializer.validate: exactly one of the target's supported subjects, in this request.

        It reads only the request's own fields, so a PATCH must repeat target and subject: without
        a target the real server fails with AttributeError (a 500), which the stand-in reproduces.
        """
        target = validated.get("target")
        if target is None:
            raise AttributeError("'NoneType' object has no attribute 'supported_policy_binding_targets'")
        count = sum(1 for name in ("group", "policy", "user") if validated.get(name) not in (None, ""))
        if count > 1:
            raise ApiError(400, {"non_field_errors": ["Only one of 'group', 'policy', 'user' can be set."]})
        if count < 1:
            raise ApiError(400, {"non_field_errors": ["One of 'group', 'policy', 'user' must be set."]})
        return validated

    def defaults(self, _ctx) -> dict:
        return {"policy": None, "group": None, "user": None, "negate": False, "enabled": True, "timeout": 30,
                "failure_result": False}

    def drop_for(self, field: str, pk) -> None:
        """CASCADE: bindings of a deleted policy, group, user or target go with it."""
        for binding in list(self.store.all(self.collection)):
            if binding[field] == pk:
                self.store.remove(self.collection, binding["pk"])
