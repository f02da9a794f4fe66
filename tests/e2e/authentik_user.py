# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create (or reuse) a test user, its group and an app password on an authentik server, through the API.

    python3 tests/e2e/authentik_user.py --url URL --token TOKEN --ca CA [--username k8s-e2e] [--group k8s-admins]

Prints JSON {username, email, group, app_password}. The same calls as the recordings
core-users-create, core-groups-create, core-tokens-create-app-password and core-tokens-view-key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import sys

import requests


class API:
    def __init__(self, url, token, ca):
        self.url, self.ca = url.rstrip('/') + '/api/v3/', ca
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer %s' % token

    def call(self, method, path, **kwargs):
        response = self.session.request(method, self.url + path, verify=self.ca, timeout=30, **kwargs)
        if response.status_code >= 400:
            sys.exit('%s %s -> %s %s' % (method, path, response.status_code, response.text[:300]))
        return response.json() if response.content else None

    def first(self, path, **filters):
        results = self.call('GET', path, params=filters)['results']
        return results[0] if results else None


def ensure_user(api, username, email, group_name):
    user = api.first('core/users/', username=username) or api.call(
        'POST', 'core/users/', json=dict(username=username, name='Kubernetes e2e', email=email, is_active=True))
    group = api.first('core/groups/', name=group_name) or api.call('POST', 'core/groups/', json=dict(name=group_name))
    if user['pk'] not in (group.get('users') or []):
        api.call('PATCH', 'core/groups/%s/' % group['pk'], json=dict(users=sorted(set((group.get('users') or []) + [user['pk']]))))
    identifier = '%s-app-password' % username
    if not api.first('core/tokens/', identifier=identifier):
        api.call('POST', 'core/tokens/', json=dict(identifier=identifier, intent='app_password', user=user['pk'], expiring=False))
    key = api.call('GET', 'core/tokens/%s/view_key/' % identifier)['key']
    return dict(username=username, email=email, group=group_name, app_password=key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--token', required=True)
    parser.add_argument('--ca', required=True)
    parser.add_argument('--username', default='k8s-e2e')
    parser.add_argument('--email', default='k8s-e2e@example.com')
    parser.add_argument('--group', default='k8s-admins')
    args = parser.parse_args()
    print(json.dumps(ensure_user(API(args.url, args.token, args.ca), args.username, args.email, args.group)))


if __name__ == '__main__':
    main()
