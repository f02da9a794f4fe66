# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection doc fragment must not drift from the client's argument spec."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.kubeauth.authentik.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.kubeauth.authentik.plugins.module_utils.client import connection_argument_spec


def test_fragment_documents_exactly_the_connection_options():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = connection_argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        doc = documented[name]
        assert doc['type'] == option['type'], name
        assert doc.get('default') == option.get('default'), name
        assert bool(doc.get('required')) == bool(option.get('required')), name


def test_token_is_no_log():
    assert connection_argument_spec()['authentik_token']['no_log'] is True
