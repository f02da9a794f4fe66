"""The authentik releases the stand-in can emulate, and what differs between them.

Shapes (which fields a request or response has) come from each release's real OpenAPI
schema; this table holds the behaviour a schema cannot express. Every flag is checked
against the schema when the stand-in starts (see ``spec.check_profile``).
"""

import functools
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VersionProfile:
    """One emulated authentik release."""

    name: str
    schema_file: str
    # Blueprint holding the managed OAuth2 scope mappings: a file under blueprints/, or
    # "<tarball under src/>!<member>" for a release whose blueprint is read from its source tree.
    blueprint_file: str
    # API path (below /api/v3/) of the scope mapping viewset.
    scope_mapping_path: str
    # 2024.10.3+ stores redirect URIs as [{matching_mode, url}]; older ones as a newline string.
    redirect_uris_as_list: bool
    # 2024.10 added Provider.invalidation_flow and the default-provider-invalidation-flow.
    has_invalidation_flow: bool
    # The discovery document advertises back-channel logout from 2025.8 on.
    discovery_backchannel_logout: bool
    # 2026.2.2 stores a keypair's kid (crypto migration 0006, December 2025): new keys get
    # base64url(SHA-512(key PEM)); keys from before the upgrade keep md5(key PEM), which is all
    # 2025.10.4 and older compute.
    kid_sha512: bool = False
    # 2026.2.2's IDToken.new sets a random jti; 2025.10.4's does not.
    id_token_jti: bool = False
    # admin/version's version_latest: 2025.10.4 answers the running version (its tenant check is inverted);
    # 2026.2.2 reads the update check's result, "0.0.0" (not valid) on a server that cannot or may not check.
    # Seen on real servers (tests/real/test_standin_parity.py).
    version_latest_checked: bool = False
    # The device authorization endpoint reads the client id like the token endpoint (HTTP Basic first, then the
    # form) from 2026.2.2 (device_backchannel.py: extract_client_auth); before, the form's client_id only.
    device_client_auth_basic: bool = False
    # A release without a schema file here (DERIVED below) takes the nearest release's schema with these additions
    # (spec.SCHEMA_PATCHES), from its published API client.
    schema_patches: tuple = ()
    # The token endpoint refuses a grant type that the provider's grant_types leaves out (2026.5+).
    grant_types_enforced: bool = False

    @property
    def key(self) -> str:
        """Version as used in test ids and file names: 2025_10_4."""
        return self.name.replace(".", "_")


VERSIONS = {
    "2024.6.4": VersionProfile(
        name="2024.6.4",
        schema_file="schema-2024.6.4.yml",
        blueprint_file="providers-oauth2-2024.10.5.yaml",
        scope_mapping_path="propertymappings/scope",
        redirect_uris_as_list=False,
        has_invalidation_flow=False,
        discovery_backchannel_logout=False,
    ),
    "2024.8.4": VersionProfile(
        name="2024.8.4",
        schema_file="schema-2024.8.4.yml",
        blueprint_file="providers-oauth2-2024.10.5.yaml",
        scope_mapping_path="propertymappings/provider/scope",
        redirect_uris_as_list=False,
        has_invalidation_flow=False,
        discovery_backchannel_logout=False,
    ),
    "2024.10.5": VersionProfile(
        name="2024.10.5",
        schema_file="schema-2024.10.5.yml",
        blueprint_file="providers-oauth2-2024.10.5.yaml",
        scope_mapping_path="propertymappings/provider/scope",
        redirect_uris_as_list=True,
        has_invalidation_flow=True,
        discovery_backchannel_logout=False,
    ),
    "2025.10.4": VersionProfile(
        name="2025.10.4",
        schema_file="schema.yml",
        blueprint_file="providers-oauth2.yaml",
        scope_mapping_path="propertymappings/provider/scope",
        redirect_uris_as_list=True,
        has_invalidation_flow=True,
        discovery_backchannel_logout=True,
    ),
    "2026.2.2": VersionProfile(
        name="2026.2.2",
        schema_file="schema-2026.2.2.yml",
        blueprint_file="src/authentik-2026.2.2.tar.gz!authentik-2026.2.2/blueprints/system/providers-oauth2.yaml",
        scope_mapping_path="propertymappings/provider/scope",
        redirect_uris_as_list=True,
        has_invalidation_flow=True,
        discovery_backchannel_logout=True,
        kid_sha512=True,
        id_token_jti=True,
        version_latest_checked=True,
        device_client_auth_basic=True,
    ),
}

# Releases that neither a schema file nor a server here has: emulated from the nearest schema plus what their
# published API clients and release notes say (shared/notes/releases-2026.md), and nothing more. Tests name them;
# standin_versions() does not list them, so the contract tiers stay on releases with a real schema.
# 2026.5.0: OAuth2Provider.grant_types (a list of the seven grant types; a new provider gets all of them, as
# existing providers keep all of them on upgrade; an empty list is refused) and redirect_uris[].redirect_uri_type
# (authentik-client 2026.5.0); the token endpoint refuses a grant the provider does not list. The answer to such a
# request is not published: the stand-in answers RFC 6749's unauthorized_client ("The client is not authorized to
# use this authorization grant type"). Everything else is 2026.2.2's.
DERIVED = {
    "2026.5.0": VersionProfile(
        name="2026.5.0",
        schema_file="schema-2026.2.2.yml",
        blueprint_file="src/authentik-2026.2.2.tar.gz!authentik-2026.2.2/blueprints/system/providers-oauth2.yaml",
        scope_mapping_path="propertymappings/provider/scope",
        redirect_uris_as_list=True,
        has_invalidation_flow=True,
        discovery_backchannel_logout=True,
        kid_sha512=True,
        id_token_jti=True,
        version_latest_checked=True,
        device_client_auth_basic=True,
        schema_patches=("grant_types", "redirect_uri_type"),
        grant_types_enforced=True,
    ),
}

DEFAULT_VERSION = "2025.10.4"


def get_profile(version: str) -> VersionProfile:
    """Profile of an emulated version; ValueError names the supported ones."""
    try:
        return VERSIONS[version] if version in VERSIONS else DERIVED[version]
    except KeyError:
        raise ValueError(f"authentik {version} is not emulated; choose one of {', '.join(list(VERSIONS) + list(DERIVED))}") from None


def reference_dir() -> Path:
    """Directory with the real schemas and blueprints (shared/authentik).

    KUBEAUTH_SHARED points at shared/ (tests/run.sh sets it); without it, the stand-in looks
    beside the repository, where CI and the work machines keep shared/.
    """
    shared = os.environ.get("KUBEAUTH_SHARED")
    base = Path(shared) if shared else Path(__file__).resolve().parents[3] / "shared"
    path = base / "authentik"
    if not (path / "schema.yml").is_file():
        raise FileNotFoundError(f"authentik reference data not found in {path}; set KUBEAUTH_SHARED to the shared/ directory")
    return path


@functools.lru_cache(maxsize=None)
def blueprint_text(blueprint_file: str) -> str:
    """A profile's blueprint: a file under blueprints/, or a member of a source tarball under src/."""
    if "!" in blueprint_file:
        archive, member = blueprint_file.split("!", 1)
        with tarfile.open(reference_dir() / archive) as tar:
            return tar.extractfile(member).read().decode("utf-8")
    return (reference_dir() / "blueprints" / blueprint_file).read_text(encoding="utf-8")
