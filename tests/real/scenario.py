# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One sequence of requests, the ones the modules send (lookups, create, update, delete, the
validation errors behind their messages) plus the OIDC endpoints the playbooks read, played
against a real authentik and against the stand-in of the same release.

Each step: (name, request(context) -> (method, absolute path, requests kwargs), save) where save
names the context key the response's pk is kept under (per server: their ids differ).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SCOPE = '/api/v3/propertymappings/provider/scope/'
PROVIDERS = '/api/v3/providers/oauth2/'
APPS = '/api/v3/core/applications/'
IMPLICIT = 'default-provider-authorization-implicit-consent'
SELF_SIGNED = 'authentik Self-signed Certificate'
EMAIL = 'goauthentik.io/providers/oauth2/scope-email'
NO_SUCH_FLOW = '00000000-0000-4000-8000-000000000000'
TOKEN = '/application/o/token/'


def token(client_id, password):
    """The token request kubelogin's password grant and oidc_verify send (username + app password)."""
    return {'grant_type': 'client_credentials', 'client_id': client_id, 'username': client_id + '-user', 'password': password,
            'scope': 'openid email profile'}


def steps(u):
    """The scenario for the unique prefix u (names no other test uses on the shared server)."""
    mapping = dict(name=u + '-email', scope_name='email', expression='return {"email": request.user.email}', description='d')

    def provider(c, **extra):
        body = dict(name=u, client_type='public', client_id=u, authorization_flow=c['implicit'],
                    invalidation_flow=c['invalidation'], signing_key=c['keypair'],
                    redirect_uris=[{'matching_mode': 'regex', 'url': 'http://localhost:.*'}],
                    property_mappings=[c['mapping']], sub_mode='user_email', include_claims_in_id_token=True,
                    issuer_mode='per_provider')
        body.update(extra)
        return body

    return [
        ('version', lambda c: ('GET', '/api/v3/admin/version/', {}), None),
        ('flow-by-slug', lambda c: ('GET', '/api/v3/flows/instances/', {'params': {'slug': IMPLICIT}}), ('implicit', 'results')),
        ('flow-by-designation', lambda c: ('GET', '/api/v3/flows/instances/',
                                           {'params': {'designation': 'invalidation', 'slug': 'default-provider-invalidation-flow'}}),
         ('invalidation', 'results')),
        ('keypair-by-name', lambda c: ('GET', '/api/v3/crypto/certificatekeypairs/', {'params': {'name': SELF_SIGNED}}),
         ('keypair', 'results')),
        ('managed-email-mapping', lambda c: ('GET', SCOPE, {'params': {'managed': EMAIL}}), ('managed_email', 'results')),
        ('mapping-create', lambda c: ('POST', SCOPE, {'json': mapping}), ('mapping', 'object')),
        ('mapping-duplicate-name', lambda c: ('POST', SCOPE, {'json': mapping}), None),
        ('mapping-blank-expression', lambda c: ('POST', SCOPE, {'json': dict(mapping, name=u + '-x', expression='')}), None),
        ('mapping-missing-scope', lambda c: ('POST', SCOPE, {'json': {'name': u + '-x', 'expression': 'return {}'}}), None),
        ('mapping-by-name', lambda c: ('GET', SCOPE, {'params': {'name': u + '-email'}}), None),
        ('mapping-patch', lambda c: ('PATCH', SCOPE + c['mapping'] + '/', {'json': {'description': 'changed'}}), None),
        ('mapping-put', lambda c: ('PUT', SCOPE + c['mapping'] + '/', {'json': dict(mapping, description='put')}), None),
        ('provider-missing-fields', lambda c: ('POST', PROVIDERS, {'json': {'name': u}}), None),
        ('provider-redirect-without-mode', lambda c: ('POST', PROVIDERS, {'json': provider(c, redirect_uris=[{'url': 'http://x'}])}),
         None),
        ('provider-unknown-flow', lambda c: ('POST', PROVIDERS, {'json': provider(c, authorization_flow=NO_SUCH_FLOW)}), None),
        ('provider-create', lambda c: ('POST', PROVIDERS, {'json': provider(c)}), ('provider', 'object')),
        ('provider-duplicate-name', lambda c: ('POST', PROVIDERS, {'json': provider(c)}), None),
        ('provider-by-name', lambda c: ('GET', PROVIDERS, {'params': {'name': u}}), None),
        ('provider-patch-validity', lambda c: ('PATCH', '%s%s/' % (PROVIDERS, c['provider']), {'json': {'access_token_validity': 'minutes=10'}}),
         None),
        ('provider-patch-bad-validity', lambda c: ('PATCH', '%s%s/' % (PROVIDERS, c['provider']),
                                                   {'json': {'access_token_validity': 'ten minutes'}}), None),
        ('provider-patch-mappings', lambda c: ('PATCH', '%s%s/' % (PROVIDERS, c['provider']),
                                               {'json': {'property_mappings': [c['mapping'], c['managed_email']]}}), None),
        ('setup-urls-without-application', lambda c: ('GET', '%s%s/setup_urls/' % (PROVIDERS, c['provider']), {}), None),
        ('application-bad-slug', lambda c: ('POST', APPS, {'json': {'name': u, 'slug': 'not a slug!'}}), None),
        ('application-create', lambda c: ('POST', APPS, {'json': {'name': u, 'slug': u, 'provider': int(c['provider']),
                                                                  'meta_launch_url': 'blank://blank', 'policy_engine_mode': 'any'}}),
         ('application', 'object')),
        ('application-provider-taken', lambda c: ('POST', APPS, {'json': {'name': u + '-2', 'slug': u + '-2', 'provider': int(c['provider'])}}),
         None),
        ('application-by-slug', lambda c: ('GET', APPS + u + '/', {}), None),
        ('setup-urls', lambda c: ('GET', '%s%s/setup_urls/' % (PROVIDERS, c['provider']), {}), None),
        ('discovery', lambda c: ('GET', '/application/o/%s/.well-known/openid-configuration' % u, {'auth': False}), None),
        ('jwks', lambda c: ('GET', '/application/o/%s/jwks/' % u, {'auth': False}), None),
        ('token-wrong-password', lambda c: ('POST', TOKEN, {'auth': False, 'data': dict(token(u, 'wrong'), username='akadmin')}), None),
        ('user-by-username', lambda c: ('GET', '/api/v3/core/users/', {'params': {'username': 'akadmin'}}), None),
        # A user with an app password, as tests/e2e/authentik_user.py makes one, and its tokens.
        ('user-create', lambda c: ('POST', '/api/v3/core/users/', {'json': {
            'username': u + '-user', 'name': 'Parity User', 'email': u + '@example.com', 'path': 'users'}}), ('user', 'object')),
        ('app-password-create', lambda c: ('POST', '/api/v3/core/tokens/', {'json': {
            'identifier': u + '-app-password', 'intent': 'app_password', 'user': int(c['user']), 'expiring': False,
            'description': 'parity'}}), None),
        ('app-password-view-key', lambda c: ('GET', '/api/v3/core/tokens/%s-app-password/view_key/' % u, {}), ('app_password', 'key')),
        ('token-without-bindings', lambda c: ('POST', TOKEN, {'auth': False, 'data': token(u, c['app_password'])}), None),
        ('group-create', lambda c: ('POST', '/api/v3/core/groups/', {'json': {'name': u + '-group'}}), ('group', 'object')),
        ('group-by-name', lambda c: ('GET', '/api/v3/core/groups/', {'params': {'name': u + '-group'}}), None),
        ('binding-create', lambda c: ('POST', '/api/v3/policies/bindings/', {'json': {
            'target': c['application'], 'group': c['group'], 'order': 0, 'enabled': True, 'negate': False, 'timeout': 30}}),
         ('binding', 'object')),
        ('bindings-of-application', lambda c: ('GET', '/api/v3/policies/bindings/', {'params': {'target': c['application']}}), None),
        ('check-access-outside', lambda c: ('GET', APPS + u + '/check_access/', {'params': {'for_user': c['user']}}), None),
        ('token-outside-the-group', lambda c: ('POST', TOKEN, {'auth': False, 'data': token(u, c['app_password'])}), None),
        ('group-add-user', lambda c: ('POST', '/api/v3/core/groups/%s/add_user/' % c['group'], {'json': {'pk': int(c['user'])}}), None),
        ('check-access-member', lambda c: ('GET', APPS + u + '/check_access/', {'params': {'for_user': c['user']}}), None),
        ('token-member', lambda c: ('POST', TOKEN, {'auth': False, 'data': token(u, c['app_password'])}), None),
        ('binding-delete', lambda c: ('DELETE', '/api/v3/policies/bindings/%s/' % c['binding'], {}), None),
        ('group-delete', lambda c: ('DELETE', '/api/v3/core/groups/%s/' % c['group'], {}), None),
        ('user-delete', lambda c: ('DELETE', '/api/v3/core/users/%s/' % c['user'], {}), None),
        ('application-delete', lambda c: ('DELETE', APPS + u + '/', {}), None),
        ('application-deleted', lambda c: ('GET', APPS + u + '/', {}), None),
        ('application-delete-again', lambda c: ('DELETE', APPS + u + '/', {}), None),
        ('provider-delete', lambda c: ('DELETE', '%s%s/' % (PROVIDERS, c['provider']), {}), None),
        ('mapping-delete', lambda c: ('DELETE', SCOPE + c['mapping'] + '/', {}), None),
        ('list-without-credentials', lambda c: ('GET', '/api/v3/flows/instances/', {'auth': False}), None),
        ('detail-without-credentials', lambda c: ('GET', '/api/v3/flows/instances/%s/' % IMPLICIT, {'auth': False}), None),
        ('bad-token', lambda c: ('GET', '/api/v3/flows/instances/', {'auth': False, 'headers': {'Authorization': 'Bearer nope'}}), None),
        ('unknown-page', lambda c: ('GET', '/api/v3/flows/instances/', {'params': {'page': 99}}), None),
    ]


def save(context, how, body):
    """Keep under how[0] the pk of the object ('object'), of the single list result ('results'), or a field."""
    key, kind = how
    if kind not in ('object', 'results'):
        if kind in body:
            context[key] = body[kind]
        return
    obj = body if kind == 'object' else (body['results'][0] if len(body.get('results', [])) == 1 else None)
    if obj is not None and 'pk' in obj:
        context[key] = str(obj['pk'])
