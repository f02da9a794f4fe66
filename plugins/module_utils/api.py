# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""authentik's objects as the connected release serves them: the one door of the modules to the server.

Endpoints, wire shapes (wire.py) and the lookups of objects by name, slug or id live here, next to
the client, so that modules describe objects in one canonical shape, never send a request
themselves (resource.py's base classes write, this class reads) and never ask which release
they talk to. A lookup takes the option it serves, so that its error names what to fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from . import wire
from .errors import NO_SIGNING_KEY, InputError

PROVIDERS = 'providers/oauth2/'
APPLICATIONS = 'core/applications/'
FLOWS = 'flows/instances/'
KEYPAIRS = 'crypto/certificatekeypairs/'
GROUPS = 'core/groups/'
USERS = 'core/users/'
BINDINGS = 'policies/bindings/'
POLICIES = 'policies/all/'
BRANDS = 'core/brands/'

# A brand's flow settings and the designation authentik's brand form offers for each.
BRAND_FLOWS = (
    ('flow_authentication', 'authentication'),
    ('flow_invalidation', 'invalidation'),
    ('flow_recovery', 'recovery'),
    ('flow_unenrollment', 'unenrollment'),
    ('flow_user_settings', 'stage_configuration'),
    ('flow_device_code', 'stage_configuration'),
)
# Objects that authentik deletes together with a flow and that belong to the flow itself (its stage
# bindings, its policy bindings, its pending flow tokens); anything else it would delete is someone else's.
FLOW_OWN_PARTS = frozenset(['authentik_flows.flowstagebinding', 'authentik_policies.policybinding', 'authentik_flows.flowtoken'])

MANAGED_SCOPE_PREFIX = 'goauthentik.io/providers/oauth2/scope-'

# In check mode, what stands in for the id of an object an earlier task of the run would create.
PENDING = '(pending) %s %r'

# The form of the ids (pk) of flows, keypairs, scope mappings, applications and groups.
UUID = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def is_id(ref):
    """Whether a reference is written as an object's id (a UUID) rather than as a name or slug."""
    return bool(UUID.match(str(ref or '')))


def is_pending(value):
    """Whether a value is the check-mode placeholder PENDING for an object not created yet."""
    return str(value or '').startswith(PENDING.split(' ', 1)[0] + ' ')


# Key algorithms kube-apiserver cannot verify (it takes RS*, ES* and PS* signatures only),
# though newer authentik releases can sign with some of them.
UNVERIFIABLE_KEY_TYPES = {'ed25519': 'Ed25519', 'ed448': 'Ed448', 'dsa': 'DSA'}

# What a policy binding binds: {binding field, also the policy_binding option: (its nested object, that object's name)}.
BINDING_SUBJECTS = dict(group=('group_obj', 'name'), user=('user_obj', 'username'), policy=('policy_obj', 'name'))


class AuthentikAPI:
    """Endpoints, shapes and lookups for one server (wraps an AuthentikClient)."""

    def __init__(self, client, check_mode=False):
        self.client = client
        # Messages for the person running the play that are not errors (module.warn).
        self.warnings = []
        # In check mode nothing is created, so a later task of the same run finds no mapping,
        # provider, group or application that an earlier task would have created: such a
        # reference is a pending change (a placeholder id and a warning), not an error.
        self.check_mode = check_mode
        self.pending = []
        self._application_pks = {}

    def missing(self, option, kind, name, message):
        """A referenced object that does not exist: an error, or pending in check mode."""
        if not self.check_mode:
            raise InputError(option, message)
        self.pending.append('%s: %s %r does not exist yet; check mode counts it as created by an earlier task of this run '
                            '(without that task, the real run fails here)' % (option, kind, name))
        return PENDING % (kind, name)

    def passed_pending(self, option, value):
        """A placeholder an earlier task returned in check mode (PENDING): pending here too; outside check mode an error."""
        if not self.check_mode:
            raise InputError(option, '%r is what check mode returns for an object an earlier task would create; outside check '
                                     'mode give the id that task returns' % (value,))
        self.pending.append('%s: %s does not exist yet; check mode counts it as created by an earlier task of this run' % (option, value))
        return value

    @property
    def features(self):
        """The connected release's ServerFeatures (the version is read once per task)."""
        return self.client.features

    @property
    def version(self):
        """The connected release, as modules return it in server_version."""
        return self.client.version

    @property
    def scope_mappings(self):
        return self.client.features.scope_mapping_path

    # ----------------------------------------------------------------- shapes
    def provider_to_wire(self, payload):
        """A canonical provider payload in this release's shape (wire.provider); InputError for what it cannot hold."""
        return wire.provider(self.features, payload, self.warnings)

    def group_to_wire(self, payload):
        """A canonical group (parents: a list of group ids) in this release's shape: parent or parents."""
        return wire.group(self.features, payload)

    # ---------------------------------------------------------------- lookups
    def find_one(self, path, option, **filters):
        """The single object matching exact filters, or None; several is an error."""
        found = self.client.list(path, params=filters)
        if len(found) > 1:
            raise InputError(option, '%d objects match %s; make it unique' % (len(found), filters))
        return found[0] if found else None

    def flow_pk(self, ref, option, designation=None, may_be_created=False):
        """The id of a flow given by slug or by id (a flow's detail URL takes the slug, so an id is read by filter).

        may_be_created: a slug that does not exist yet is, in check mode, a flow an earlier task of the run would create
        (kubeauth.authentik.flow), and so is the placeholder id that task returns in check mode.
        """
        if may_be_created and is_pending(ref):
            return self.passed_pending(option, ref)
        flow = self.find_one(FLOWS, option, flow_uuid=ref) if is_id(ref) else None
        flow = flow or self.find_one(FLOWS, option, slug=ref)
        if flow is None:
            known = sorted(f['slug'] for f in self.client.list(FLOWS, params={'designation': designation} if designation else None))
            message = ('no flow with %s %r; flows%s on this server: %s'
                       % ('id or slug' if is_id(ref) else 'slug', ref, ' of designation %s' % designation if designation else '',
                          ', '.join(known) or 'none'))
            if may_be_created and not is_id(ref):
                return self.missing(option, 'flow', ref, message + ' (create it first with kubeauth.authentik.flow)')
            raise InputError(option, message)
        if designation and flow.get('designation') != designation:
            raise InputError(option, 'flow %r has designation %r, expected %r' % (flow['slug'], flow.get('designation'), designation))
        return flow['pk']

    def flow_by_slug(self, slug):
        """A flow by its slug (the key of its detail URL), or None."""
        return self.client.get('%s%s/' % (FLOWS, slug), missing_ok=True)

    def flow_deletes_others(self, slug):
        """What authentik would delete together with the flow besides the flow's own parts, from its used_by list:
        e.g. every provider whose authorization flow it is (that relation cascades)."""
        used = self.client.get('%s%s/used_by/' % (FLOWS, slug)) or []
        return [item for item in used if item.get('action') in ('cascade', 'cascade_many')
                and '%s.%s' % (item.get('app'), item.get('model_name')) not in FLOW_OWN_PARTS]

    def brand(self, domain, option):
        """The brand with exactly this domain, or, without a domain, the default brand (None if there is none)."""
        if domain:
            return self.find_one(BRANDS, option, domain=domain)
        return self.find_one(BRANDS, option, default='true')

    def default_invalidation_flow(self, option):
        """The stock invalidation flow where the release requires one, else None."""
        if not self.features.has('invalidation_flow'):
            return None
        return self.flow_pk('default-provider-invalidation-flow', option, 'invalidation')

    def keypair_key_type(self, keypair):
        """The key algorithm of a keypair (rsa, ec, dsa, ed25519, ed448) whatever the release calls the field."""
        return keypair.get(self.features.keypair_key_type_field)

    def signing_keypair(self, ref, option):
        """A keypair whose tokens kube-apiserver can verify (an RSA or EC private key), by name or by id."""
        keypair = self.client.get('%s%s/' % (KEYPAIRS, ref), missing_ok=True) if is_id(ref) else None
        keypair = keypair or self.find_one(KEYPAIRS, option, name=ref)
        if keypair is None:
            known = sorted(k['name'] for k in self.client.list(KEYPAIRS, params={'has_key': 'true'}))
            raise InputError(option, 'no certificate keypair %s %r (%s). Keypairs with a private key: %s'
                             % ('with id or name' if is_id(ref) else 'named', ref, NO_SIGNING_KEY, ', '.join(known) or 'none'))
        name = keypair.get('name', ref)
        if not keypair.get('private_key_available'):
            raise InputError(option, 'certificate keypair %r has no private key, so it cannot sign tokens (%s)'
                             % (name, NO_SIGNING_KEY))
        key_type = self.keypair_key_type(keypair)
        if key_type in UNVERIFIABLE_KEY_TYPES:
            raise InputError(option, 'certificate keypair %r holds a %s key; kube-apiserver verifies only RSA and ECDSA '
                                     'token signatures (RS*, ES*, PS*), so it would reject every token. Use an RSA or EC '
                                     'keypair such as "authentik Self-signed Certificate" (or generate one with alg rsa or ecdsa)'
                                     % (name, UNVERIFIABLE_KEY_TYPES[key_type]))
        return keypair

    @staticmethod
    def _mapping_key(ref):
        return 'managed' if ref.startswith('goauthentik.io/') else 'name'

    def scope_mapping(self, ref, option):
        """A scope mapping by managed id (goauthentik.io/...), by id or by name."""
        if is_pending(ref):
            return dict(pk=self.passed_pending(option, ref), name=ref)
        mapping = self.client.get('%s%s/' % (self.scope_mappings, ref), missing_ok=True) if is_id(ref) else None
        key = self._mapping_key(ref)
        mapping = mapping or self.find_one(self.scope_mappings, option, **{key: ref})
        if mapping is None:
            message = ('no scope mapping with %s %r; create it first (kubeauth.authentik.scope_mapping) '
                       'or use a managed id such as %semail' % ('id or name' if is_id(ref) else key, ref, MANAGED_SCOPE_PREFIX))
            if key == 'managed' or is_id(ref):  # authentik's own mappings are never created by a run, nor is an id known before
                raise InputError(option, message)
            return dict(pk=self.missing(option, 'scope mapping', ref, message), name=ref)
        return mapping

    def scope_mapping_pks(self, refs, option):
        """Ids of several scope mappings from one listing of them all (one request instead of one each)."""
        if len(refs) < 2:
            return [self.scope_mapping(ref, option)['pk'] for ref in refs]
        listed = self.client.list(self.scope_mappings)
        pks = []
        for ref in refs:
            key = self._mapping_key(ref)
            found = [mapping for mapping in listed if is_id(ref) and str(mapping.get('pk')).lower() == ref.lower()]
            found = found or [mapping for mapping in listed if mapping.get(key) == ref]
            # Not listed (or listed twice): the single lookup gives the error, or the pending id in check mode.
            pks.append(found[0]['pk'] if len(found) == 1 else self.scope_mapping(ref, option)['pk'])
        return pks

    def provider_by_name(self, name, option):
        provider = self.find_one(PROVIDERS, option, name=name)
        if provider is None:
            message = 'no OAuth2 provider named %r; create it first with kubeauth.authentik.oauth2_provider' % (name,)
            return dict(pk=self.missing(option, 'OAuth2 provider', name, message), name=name, assigned_application_slug=None)
        return provider

    def group_by_name(self, name, option):
        group = self.find_one(GROUPS, option, name=name)
        if group is None:
            message = 'no group named %r; create it first with kubeauth.authentik.group' % (name,)
            return dict(pk=self.missing(option, 'group', name, message), name=name, is_superuser=False)
        return group

    def user_by_username(self, username, option):
        user = self.find_one(USERS, option, username=username)
        if user is None:
            raise InputError(option, 'no user with username %r on this server' % (username,))
        return user

    def policy_by_name(self, name, option):
        """A policy of any type by exact name (policies/all/ only searches, so the match is exact here)."""
        found = [p for p in self.client.list(POLICIES, params={'search': name}) if p.get('name') == name]
        if len(found) > 1:
            raise InputError(option, '%d policies are named %r; make the name unique' % (len(found), name))
        if not found:
            raise InputError(option, 'no policy named %r on this server' % (name,))
        return found[0]

    def application(self, slug):
        """The application with this slug, or None."""
        return self.client.get('%s%s/' % (APPLICATIONS, slug), missing_ok=True)

    def application_pk(self, slug=None, pk=None):
        """The id of an application given by slug (option application: read once) or by id (option target: read nothing).

        An id is only checked for its form: when a binding is written, the server refuses one that is no policy
        target. In check mode, a slug not found and the placeholder id of an application an earlier task would
        create count as that application (pending). Remembered for the rest of the task.
        """
        key = (slug, pk)
        if key not in self._application_pks:
            self._application_pks[key] = self._application_pk(slug, pk)
        return self._application_pks[key]

    def _application_pk(self, slug, pk):
        if pk is not None:
            if is_pending(pk):
                return self.passed_pending('target', pk)
            if not is_id(pk):
                raise InputError('target', '%r is not an id; give the pk of the application (a UUID, as the application '
                                           'module returns it), or its slug as application' % (pk,))
            return pk.lower()
        application = self.application(slug)
        if application is None:
            message = 'no application with slug %r; create it first with kubeauth.authentik.application' % (slug,)
            return self.missing('application', 'application', slug, message)
        return application['pk']

    def check_access(self, slug, user_pk):
        """authentik's policy engine on whether the user may use the application: {passing, messages}."""
        return self.client.get('%s%s/check_access/' % (APPLICATIONS, slug), params={'for_user': user_pk})

    def bindings(self, target, subject=None, name=None):
        """The policy bindings of an application (by id), lowest id first; none for a pending application.

        With subject (a key of BINDING_SUBJECTS) and name, only the bindings of that subject, recognised by the
        name the binding carries (so the subject itself is not looked up).
        """
        if is_pending(target):
            return []
        found = self.client.list(BINDINGS, params={'target': target})
        if subject is not None:
            nested, key = BINDING_SUBJECTS[subject]
            found = [b for b in found if b.get(subject) and (b.get(nested) or {}).get(key) == name]
        return sorted(found, key=lambda b: str(b['pk']))

    def subject_pk(self, subject, name):
        """The id of what a binding binds (a key of BINDING_SUBJECTS) by its name; the option is the subject's own."""
        lookup = dict(group=self.group_by_name, user=self.user_by_username, policy=self.policy_by_name)[subject]
        return lookup(name, subject)['pk']

    def provider_oidc_urls(self, provider_pk):
        """issuer, discovery_url and jwks_url of a provider; None until an application uses it.

        The issuer keeps authentik's trailing slash: kube-apiserver compares it byte for byte.
        """
        pending = provider_pk is None or is_pending(provider_pk)
        urls = (self.client.get('%s%s/setup_urls/' % (PROVIDERS, provider_pk)) if not pending else None) or {}
        issuer = urls.get('issuer')
        # Before an application exists the server omits jwks; derive it from the issuer when there is one.
        return dict(issuer=issuer, discovery_url=urls.get('provider_info'),
                    jwks_url=urls.get('jwks') or (issuer + 'jwks/' if issuer else None))
