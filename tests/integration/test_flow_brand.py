# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flow and brand: what authentik's device code login needs (a stage_configuration flow set as a brand's device code
flow), with check mode, diff mode, idempotence, the cascade guard and bad input refused before any write.

Brands are made per test (a unique domain), so a real server's default brand is only read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def assert_refused(authentik, result, option, *words):
    assert result.failed and result.msg.startswith(option + ':'), result.msg
    for word in words:
        assert word in result.msg, result.msg
    assert_no_writes(authentik)


def flow(authentik, slug):
    found = authentik.find('flows/instances/', slug=slug)
    return found[0] if found else None


def brand(authentik, domain):
    found = authentik.find('core/brands/', domain=domain)
    return found[0] if found else None


@pytest.fixture
def slug(run_module, unique):
    yield unique
    run_module('flow', dict(slug=unique, state='absent'))


@pytest.fixture
def domain(run_module, unique):
    yield unique + '.example.com'
    run_module('brand', dict(domain=unique + '.example.com', state='absent'))


DEVICE_FLOW = dict(name='Device code', title='Log in a device', designation='stage_configuration',
                   authentication='require_authenticated')


def test_flow_lifecycle(authentik, run_module, slug):
    args = dict(DEVICE_FLOW, slug=slug)
    authentik.reset_log()
    check = run_module('flow', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert check['flow']['pk'] == "(pending) flow '%s'" % slug
    assert check['diff']['before'] == {} and check['diff']['after']['designation'] == 'stage_configuration'
    assert_no_writes(authentik)
    assert flow(authentik, slug) is None

    created = run_module('flow', args)
    assert created.changed and not created.failed, created.msg
    stored = flow(authentik, slug)
    assert stored['pk'] == created['flow']['pk'] and stored['title'] == 'Log in a device'
    assert stored['authentication'] == 'require_authenticated' and stored['designation'] == 'stage_configuration'

    authentik.reset_log()
    again = run_module('flow', args)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)

    retitled = run_module('flow', dict(slug=slug, title='Enter the code'), diff=True)
    assert retitled.changed and retitled['diff'] == {'before': {'title': 'Log in a device'}, 'after': {'title': 'Enter the code'}}
    assert flow(authentik, slug)['name'] == 'Device code', 'a setting not given was changed'

    gone = run_module('flow', dict(slug=slug, state='absent'))
    assert gone.changed and flow(authentik, slug) is None
    assert not run_module('flow', dict(slug=slug, state='absent')).changed


def test_flow_bad_input(authentik, run_module, slug):
    authentik.reset_log()
    assert_refused(authentik, run_module('flow', dict(DEVICE_FLOW, slug='has spaces')), 'slug', 'letters, digits')
    assert_refused(authentik, run_module('flow', dict(DEVICE_FLOW, slug=slug, title='  ')), 'title', 'must not be empty')
    assert_refused(authentik, run_module('flow', dict(slug=slug, name='Device code', title='x')), 'designation',
                   'required to create flow')
    wrong = run_module('flow', dict(DEVICE_FLOW, slug=slug, designation='device'))
    assert wrong.failed and 'designation' in wrong.msg and 'stage_configuration' in wrong.msg
    assert_no_writes(authentik)


def test_flow_delete_refused_when_a_provider_would_go_with_it(authentik, run_module, slug, provider_name):
    assert not run_module('flow', dict(slug=slug, name='Authz', title='Authz', designation='authorization')).failed
    made = run_module('oauth2_provider', dict(name=provider_name, authorization_flow=slug, client_type='public',
                                              signing_key='authentik Self-signed Certificate',
                                              redirect_uris=[dict(url='http://localhost:8000', matching_mode='strict')]))
    assert not made.failed, made.msg
    authentik.reset_log()
    assert_refused(authentik, run_module('flow', dict(slug=slug, state='absent')), 'state', provider_name, 'authorization flow')
    assert flow(authentik, slug) is not None
    run_module('oauth2_provider', dict(name=provider_name, state='absent'))


def test_brand_device_code_flow(authentik, run_module, slug, domain):
    # In check mode a flow that the run would create counts as that flow.
    check = run_module('flow', dict(DEVICE_FLOW, slug=slug), check=True)
    pending = run_module('brand', dict(domain=domain, flow_device_code=check['flow']['pk']), check=True, diff=True)
    assert pending.changed and not pending.failed, pending.msg
    assert brand(authentik, domain) is None

    made = run_module('flow', dict(DEVICE_FLOW, slug=slug))
    created = run_module('brand', dict(domain=domain, flow_device_code=slug), diff=True)
    assert created.changed and not created.failed, created.msg
    stored = brand(authentik, domain)
    assert stored['flow_device_code'] == made['flow']['pk'] and stored['default'] is False
    assert created['brand']['brand_uuid'] == stored['brand_uuid']

    authentik.reset_log()
    for ref in (slug, made['flow']['pk']):
        again = run_module('brand', dict(domain=domain, flow_device_code=ref))
        assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)

    cleared = run_module('brand', dict(domain=domain, flow_device_code=''), diff=True)
    assert cleared.changed and cleared['diff'] == {'before': {'flow_device_code': made['flow']['pk']},
                                                   'after': {'flow_device_code': None}}
    assert brand(authentik, domain)['flow_device_code'] is None

    # Deleting the flow clears a brand's setting (authentik's SET_NULL), it is not refused.
    run_module('brand', dict(domain=domain, flow_device_code=slug))
    assert run_module('flow', dict(slug=slug, state='absent')).changed
    assert brand(authentik, domain)['flow_device_code'] is None

    gone = run_module('brand', dict(domain=domain, state='absent'))
    assert gone.changed and brand(authentik, domain) is None


def test_default_brand_is_found_and_kept(authentik, run_module):
    default = authentik.find('core/brands/', default='true')[0]
    authentik.reset_log()
    read = run_module('brand', dict(), check=True)
    assert not read.changed and not read.failed, read.msg
    assert read['brand']['brand_uuid'] == default['brand_uuid']
    assert_refused(authentik, run_module('brand', dict(domain=default['domain'], state='absent')), 'state', 'default brand')
    assert_refused(authentik, run_module('brand', dict(state='absent')), 'domain', 'state=absent needs the domain')


def test_brand_bad_input(authentik, run_module, slug, domain):
    run_module('flow', dict(slug=slug, name='Authz', title='Authz', designation='authorization'))
    authentik.reset_log()
    assert_refused(authentik, run_module('brand', dict(domain=domain, flow_device_code=slug)), 'flow_device_code',
                   'designation', 'stage_configuration')
    assert_refused(authentik, run_module('brand', dict(domain=domain, flow_device_code='no-such-flow')), 'flow_device_code',
                   'no-such-flow', 'kubeauth.authentik.flow')
    assert_refused(authentik, run_module('brand', dict(domain=' ' + domain, flow_device_code='')), 'domain', 'spaces')
    assert_refused(authentik, run_module('brand', dict(domain='', flow_device_code='')), 'domain', 'must not be empty')
    assert brand(authentik, domain) is None
