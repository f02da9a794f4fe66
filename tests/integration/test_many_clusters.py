# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/many_clusters.yml with three clusters: one provider, application, issuer and kubeconfig context each,
shared mapping and groups; a dry run that writes nothing, then the real run, then a run that changes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import yaml

from integration import playbook_session

VERSIONS = ('2025.10.4',)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Any PEM will do for the kubeconfig's cluster CA; the server's own CA is at hand.
CLUSTERS = ('eu', 'us', 'ap')
PLACEHOLDER_CA = '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBBQUAMA0xCzAJBgNVBAYTAlVTMB4X\n-----END CERTIFICATE-----\n'


def run_playbook(authentik, tmp_path, variables, *extra):
    extra_vars = tmp_path / 'vars.json'
    extra_vars.write_text(json.dumps(variables))
    env = playbook_session.playbook_env(AUTHENTIK_URL=authentik.url, AUTHENTIK_TOKEN=authentik.token)
    return playbook_session.run_playbook([os.path.join(ROOT, 'playbooks', 'many_clusters.yml'), '-e', '@' + str(extra_vars)] + list(extra),
                                         env, timeout=900)


def recap_changed(output):
    line = [l for l in output.splitlines() if l.startswith('localhost ')][-1]
    return int(line.split('changed=')[1].split()[0])


def test_three_clusters(authentik, tmp_path, unique):
    if authentik.ca_path:
        with open(authentik.ca_path) as handle:
            ca_pem = handle.read()
    else:  # a server in the system's trust: any PEM stands for the clusters' CA
        ca_pem = PLACEHOLDER_CA
    kubeconfig = tmp_path / 'kubeconfig'
    names = ['%s-%s' % (unique, suffix) for suffix in CLUSTERS]
    variables = dict(
        authentik_oidc_ca_path=authentik.ca_path,
        authentik_oidc_email_mapping_name=unique + ': email',
        authentik_oidc_access_groups=[{'name': unique + '-admins'}, {'name': unique + '-viewers'}],
        kubeauth_kubeconfig_path=str(kubeconfig),
        kubeauth_clusters=[dict(name=name, server='https://%s.example.com:6443' % name, ca_pem=ca_pem) for name in names],
    )
    # The last cluster lets only the admins in.
    variables['kubeauth_clusters'][-1]['access_groups'] = [unique + '-admins']

    authentik.reset_log()
    rc, dry = run_playbook(authentik, tmp_path, variables, '--check', '--diff')
    assert rc == 0, dry[-4000:]
    assert authentik.writes() in (None, []), 'the dry run wrote: %r' % authentik.writes()
    assert not kubeconfig.exists(), 'the dry run wrote the kubeconfig'
    for name in names:
        assert authentik.url + '/application/o/%s/' % name in dry, 'the dry run does not show the issuer of ' + name

    rc, real = run_playbook(authentik, tmp_path, variables)
    assert rc == 0, real[-4000:]
    issuers = set()
    for name in names:
        provider = authentik.find('providers/oauth2/', name=name)
        assert len(provider) == 1 and provider[0]['client_id'] == name and provider[0]['assigned_application_slug'] == name
        app = authentik.api_json('GET', 'core/applications/%s/' % name)
        bound = sorted(b['group_obj']['name'] for b in authentik.find('policies/bindings/', target=app['pk']))
        expected = [unique + '-admins'] if name == names[-1] else [unique + '-admins', unique + '-viewers']
        assert bound == expected, (name, bound)
        issuers.add(authentik.api_json('GET', 'providers/oauth2/%s/setup_urls/' % provider[0]['pk'])['issuer'])
    assert issuers == set(authentik.url + '/application/o/%s/' % name for name in names)
    assert len(authentik.find(authentik.scope_path, name=unique + ': email')) == 1

    config = yaml.safe_load(kubeconfig.read_text())
    assert sorted(c['name'] for c in config['contexts']) == sorted(names)
    for user in config['users']:
        cluster = user['name'][len('oidc-'):]
        args = user['user']['exec']['args']
        assert '--oidc-issuer-url=%s/application/o/%s/' % (authentik.url, cluster) in args
        assert '--oidc-client-id=%s' % cluster in args

    authentik.reset_log()
    rc, again = run_playbook(authentik, tmp_path, variables)
    assert rc == 0 and recap_changed(again) == 0, again[-4000:]
    assert authentik.writes() in (None, [])


def test_two_clusters_with_one_issuer_are_refused_before_any_write(authentik, tmp_path, unique):
    variables = dict(
        authentik_oidc_ca_path=authentik.ca_path,
        authentik_oidc_email_mapping_name=unique + ': email',
        authentik_oidc_access_groups=[{'name': unique + '-admins'}],
        kubeauth_kubeconfig_path='',
        kubeauth_clusters=[dict(name='%s-%s' % (unique, suffix), slug=unique, server='https://%s.example.com:6443' % suffix)
                           for suffix in ('eu', 'us')],
    )
    authentik.reset_log()
    rc, output = run_playbook(authentik, tmp_path, variables)
    assert rc != 0
    assert 'Each of authentik_oidc_applications needs its own application_slug' in ' '.join(output.split()), output[-3000:]
    assert authentik.writes() in (None, []), 'written before the check: %r' % authentik.writes()
    assert authentik.find(authentik.scope_path, name=unique + ': email') == []
