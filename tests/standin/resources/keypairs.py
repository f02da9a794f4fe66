"""crypto/certificatekeypairs: the keys providers sign tokens with."""

from cryptography.exceptions import UnsupportedAlgorithm

from .. import keys
from ..errors import FieldError, PERMISSION_DENIED, ApiError
from ..fields import BodyValidator
from ..routing import Route
from ..wire import json_response
from .base import Resource, boolean, exact

DOWNLOAD_URL = "/api/v3/crypto/certificatekeypairs/{pk}/{action}/?download"
DETAIL_FIELDS = ("fingerprint_sha256", "fingerprint_sha1", "cert_expiry", "cert_subject", "private_key_type")
COMPUTED_FIELDS = ("fingerprint_sha256", "fingerprint_sha1", "cert_expiry", "cert_subject", "private_key_available",
                   "private_key_type", "key_type")


class KeyPairs(Resource):
    """CertificateKeyPairViewSet. The internal JWT keypair (managed jwt-managed) is not listed by it."""

    collection = "keypairs"
    model_label = "CertificateKeyPair"
    path = "crypto/certificatekeypairs"
    lookup_kwarg = "kp_uuid"
    schema = "CertificateKeyPair"
    unique = {"name": "Certificate-Key Pair with this name already exists."}

    def routes(self) -> list:
        detail = f"{self.path}/{{kp_uuid}}"
        return [
            Route(f"{self.path}/generate/", {"POST": self.generate_view}, access="list"),
            Route(f"{detail}/view_certificate/", {"GET": self.view_certificate}, access="detail"),
            Route(f"{detail}/view_private_key/", {"GET": self.view_private_key}, access="detail"),
            Route(f"{detail}/used_by/", {"GET": self.used_by_view}, access="detail"),
        ] + super().routes()

    def filters(self) -> dict:
        return {
            "name": exact("name"),
            "managed": exact("managed"),
            "has_key": boolean(lambda obj: obj["key_data"]),
            # 2026.2: MultipleChoiceFilter over the stored key_type.
            "key_type": lambda obj, values: self.details(obj)["key_type"] in values,
        }

    def kid(self, obj: dict) -> str:
        """The keypair's kid in JWKS and token headers: stored SHA-512 form on 2026.2 (a fresh install's
        keys are all made there), md5 computed on older releases."""
        return keys.kid_sha512(obj["key_data"]) if self.profile.kid_sha512 else keys.kid(obj["key_data"])

    # -- representation ------------------------------------------------------------------------
    def details(self, obj: dict) -> dict:
        """Computed certificate facts, cached on the object (parsing a key is not free)."""
        if "_details" not in obj:
            obj["_details"] = keys.describe(obj["certificate_data"], obj["key_data"])
        return obj["_details"]

    def represent(self, obj, ctx, schema: str = None) -> dict:
        data = super().represent(obj, ctx, schema)
        # include_details=false blanks the parsed fields; 2026.2 stores them and dropped the parameter.
        details_optional = "include_details" in self.spec.query_params(self.template, "get")
        if details_optional and ctx.query("include_details", "true").lower() in ("false", "0"):
            data.update({name: None for name in DETAIL_FIELDS if name in data})
        return data

    def field_value(self, obj, name: str, ctx):
        if name in COMPUTED_FIELDS:
            return self.details(obj)[name]
        if name == "certificate_download_url":
            return DOWNLOAD_URL.format(pk=obj["pk"], action="view_certificate")
        if name == "private_key_download_url":
            return DOWNLOAD_URL.format(pk=obj["pk"], action="view_private_key")
        return super().field_value(obj, name, ctx)

    # -- writing --------------------------------------------------------------------------------
    @staticmethod
    def validate_certificate_data(value: str):
        """validate_certificate_data: must parse as a PEM certificate."""
        try:
            keys.load_certificate(value)
        except ValueError:
            raise FieldError("Unable to load certificate.") from None

    @staticmethod
    def validate_key_data(value: str):
        """validate_key_data: empty, or an unencrypted PEM private key."""
        if value:
            try:
                keys.load_private_key(value)
            except (ValueError, TypeError, UnsupportedAlgorithm):
                raise FieldError("Unable to load private key (possibly encrypted?).") from None

    def defaults(self, _ctx) -> dict:
        return {"managed": None, "key_data": ""}

    def update(self, obj: dict, validated: dict, ctx) -> dict:
        obj.pop("_details", None)
        return super().update(obj, validated, ctx)

    def destroy(self, obj: dict, ctx) -> None:
        # Provider.signing_key/encryption_key are SET_NULL foreign keys.
        for provider in self.store.all("providers"):
            for name in ("signing_key", "encryption_key"):
                if provider.get(name) == obj["pk"]:
                    provider[name] = None
        super().destroy(obj, ctx)

    # -- actions --------------------------------------------------------------------------------
    def generate_view(self, ctx):
        """POST generate/: a new self-signed keypair (CertificateBuilder)."""
        validated = BodyValidator(self.spec, "CertificateGenerationRequest", partial=False, relations={}, exists=self.store.exists, hooks={}).run(ctx.data)
        if self.store.find(self.collection, name=validated["common_name"]):
            raise ApiError(400, {"non_field_errors": ["Certificate-Key Pair with this name already exists."]})
        sans = [name.strip() for name in validated.get("subject_alt_name", "").split(",") if name.strip()]
        certificate, key = keys.build_self_signed(
            validated["common_name"], self.profile.name, validity_days=validated["validity_days"],
            alg=validated.get("alg", "rsa"), key_size=self.app.key_size, sans=sans,
        )
        obj = self.create({"name": validated["common_name"], "certificate_data": certificate, "key_data": key}, ctx)
        return json_response(200, self.represent(obj, ctx))

    def view_certificate(self, ctx):
        """GET view_certificate/: the certificate PEM."""
        return json_response(200, {"data": self.get_object(ctx)["certificate_data"]})

    def view_private_key(self, ctx):
        """Deliberate difference: the stand-in never hands out private key material."""
        self.get_object(ctx)
        raise ApiError(403, PERMISSION_DENIED)

    def used_by_view(self, ctx):
        """GET used_by/: providers signing or encrypting with this keypair."""
        obj = self.get_object(ctx)
        used = [
            {"app": "authentik_providers_oauth2", "model_name": "oauth2provider", "pk": str(p["pk"]), "name": p["name"], "action": "set_null"}
            for p in self.store.all("providers") if obj["pk"] in (p.get("signing_key"), p.get("encryption_key"))
        ]
        return json_response(200, used)
