# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JWT authenticators of a kube-apiserver AuthenticationConfiguration, from the apiserver_oidc role's options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ..module_utils.authn_config import claim_access, claim_problem, entry_problems

RULE_FIELDS = (('claim', 'claim'), ('required_value', 'requiredValue'), ('expression', 'expression'), ('message', 'message'))


def cel_claim(name):
    """CEL that reads the claim `name`: claims.email, or claims["a-b"] for a name CEL cannot take after a dot."""
    problem = claim_problem(name)
    if problem:
        raise AnsibleFilterError('cel_claim: the claim name %r %s' % (name, problem))
    return claim_access(name)


def _rules(rules, what):
    result = []
    for rule in rules or []:
        if not isinstance(rule, dict):
            raise AnsibleFilterError('jwt_authenticator: %s entries must be mappings, got %r' % (what, rule))
        converted = {}
        for option, field in RULE_FIELDS:
            value = rule.get(option, rule.get(field))
            if value not in (None, ''):
                converted[field] = value
        result.append(converted)
    return result


def jwt_authenticator(options):
    """One `jwt` entry as kube-apiserver takes it, from issuer_url, audiences, discovery_url, certificate_authority,
    audience_match_policy, claim_mappings, claim_validation_rules and user_validation_rules."""
    if not isinstance(options, dict):
        raise AnsibleFilterError('jwt_authenticator: expects a mapping, got %r' % (options,))
    issuer = {'url': options.get('issuer_url'), 'audiences': list(options.get('audiences') or [])}
    if options.get('audience_match_policy'):
        issuer['audienceMatchPolicy'] = options['audience_match_policy']
    if options.get('discovery_url'):
        issuer['discoveryURL'] = options['discovery_url']
    if options.get('certificate_authority'):
        issuer['certificateAuthority'] = options['certificate_authority'].strip() + '\n'
    entry = {'issuer': issuer}
    claim_rules = _rules(options.get('claim_validation_rules'), 'claim_validation_rules')
    if claim_rules:
        entry['claimValidationRules'] = claim_rules
    entry['claimMappings'] = dict(options.get('claim_mappings') or {})
    user_rules = _rules(options.get('user_validation_rules'), 'user_validation_rules')
    if user_rules:
        entry['userValidationRules'] = user_rules
    return entry


def _https(url):
    return isinstance(url, str) and url.startswith('https://') and len(url) > len('https://') and not any(c.isspace() for c in url)


def _rule_problems(option, rules, kind):
    problems = []
    for index, rule in enumerate(rules or []):
        rule = rule if isinstance(rule, dict) else {}
        where = '%s[%d]' % (option, index)
        claim, expression = rule.get('claim'), rule.get('expression')
        if kind == 'user' and not expression:
            problems.append('%s needs an expression (CEL on user, for example !user.username.startsWith(\'system:\'))' % where)
        elif kind == 'claim' and bool(claim) == bool(expression):
            problems.append('%s needs either claim and required_value, or expression (CEL on claims) and message' % where)
        elif kind == 'claim' and claim and rule.get('required_value', rule.get('requiredValue')) in (None, ''):
            problems.append('%s: claim %s needs the required_value it must hold' % (where, claim))
        elif kind == 'claim' and claim and claim_problem(claim):
            problems.append('%s: the claim name %s' % (where, claim_problem(claim)))
    return problems


def authn_option_problems(options):
    """What is wrong with the apiserver_oidc role's authentication options, one phrase per problem naming the option."""
    problems = []
    for name in ('username_claim', 'groups_claim'):
        problem = claim_problem(options.get(name))
        if problem:
            problems.append('apiserver_oidc_%s %s (the claim name as the id_token has it, for example %s), got %r'
                            % (name, problem, 'email' if name == 'username_claim' else 'groups', options.get(name)))
    discovery = options.get('discovery_url') or ''
    if discovery and (not _https(discovery) or discovery == options.get('issuer_url')):
        problems.append('apiserver_oidc_discovery_url must be an https URL the apiserver reaches, other than apiserver_oidc_issuer_url '
                        '(for example https://authentik.authentik.svc/application/o/SLUG/.well-known/openid-configuration), got %r; '
                        'leave it empty to fetch from the issuer URL' % discovery)
    problems += _rule_problems('apiserver_oidc_claim_validation_rules', options.get('claim_validation_rules'), 'claim')
    problems += _rule_problems('apiserver_oidc_user_validation_rules', options.get('user_validation_rules'), 'user')
    seen = set([options.get('issuer_url')])
    for index, extra in enumerate(options.get('extra_jwt') or []):
        where = 'apiserver_oidc_extra_jwt[%d]' % index
        if not isinstance(extra, dict):
            problems.append('%s must be a mapping with issuer_url, audiences and claim_mappings' % where)
            continue
        url = extra.get('issuer_url')
        if url in seen:
            problems.append('%s: issuer %s is listed twice (or is apiserver_oidc_issuer_url); each issuer may appear once' % (where, url))
        seen.add(url)
        problems += _rule_problems(where + '.claim_validation_rules', extra.get('claim_validation_rules'), 'claim')
        problems += _rule_problems(where + '.user_validation_rules', extra.get('user_validation_rules'), 'user')
        entry = jwt_authenticator(extra)
        username = (entry['claimMappings'].get('username') or {}) if isinstance(entry['claimMappings'], dict) else {}
        rules = ' '.join(str(r.get('expression', '')) for r in entry.get('claimValidationRules', []))
        if 'claims.email' in str(username.get('expression', '')).replace('claims.email_verified', '') and 'email_verified' not in rules:
            # kube-apiserver refuses the file otherwise ("claims.email_verified must be used ...").
            problems.append("%s: a username expression that reads claims.email needs a claim_validation_rules expression on "
                            "email_verified, for example claims.?email_verified.orValue(true) == true" % where)
        for problem in entry_problems(entry):
            problem = problem.replace('issuer.url', 'issuer_url').replace('issuer.audiences', 'audiences')
            problem = problem.replace('issuer.discoveryURL', 'discovery_url').replace('claimMappings.username', 'claim_mappings.username')
            problems.append('%s: %s' % (where, problem))
    if options.get('mode') == 'flags':
        used = [name for name in ('discovery_url', 'claim_validation_rules', 'user_validation_rules', 'extra_jwt') if options.get(name)]
        if used:
            problems.append('%s only work in apiserver_oidc_mode=file (the --oidc-* flags have no such settings); '
                            'set apiserver_oidc_mode=file or leave them empty' % ', '.join('apiserver_oidc_' + n for n in used))
    return problems


class FilterModule(object):
    def filters(self):
        return {'cel_claim': cel_claim, 'jwt_authenticator': jwt_authenticator, 'authn_option_problems': authn_option_problems}
