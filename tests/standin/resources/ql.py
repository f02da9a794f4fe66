"""The `autocomplete` of list envelopes whose viewset has authentik's QL search (users, groups).

authentik.enterprise.search.pagination.AutocompletePagination describes the viewset's
get_ql_fields() with djangoql's schema serializer; every other list sends {}. Found against a
real 2025.10.4 server (tests/real/test_standin_parity.py); suggest_nested is off for these
fields, so the answer does not depend on the stored attributes.
"""

# schema name -> (djangoql model, [(field, type, nullable, options enum or None)]), as get_ql_fields() lists them.
QL_FIELDS = {
    "User": ("authentik_core.user", [
        ("username", "str", False, None), ("name", "str", False, None), ("email", "str", False, None),
        ("path", "str", False, None), ("is_active", "bool", True, None), ("type", "str", False, "UserTypeEnum"),
        ("attributes", "relation", False, None),
    ]),
    "Group": ("authentik_core.group", [
        ("name", "str", False, None), ("is_superuser", "bool", True, None), ("attributes", "relation", False, None),
    ]),
}


def autocomplete(spec, schema_name: str) -> dict:
    """The envelope's autocomplete for the resource of schema_name ({} without QL search)."""
    if schema_name not in QL_FIELDS:
        return {}
    model, fields = QL_FIELDS[schema_name]
    described = {}
    for name, kind, nullable, options in fields:
        entry = {"type": kind, "nullable": nullable, "options": spec.schemas[options]["enum"] if options else None}
        if kind == "relation":
            entry["relation"] = f"{model}_{name}"
        described[name] = entry
    return {"current_model": model, "models": {model: described}}
