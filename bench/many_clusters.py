"""What a no-op run of playbooks/many_clusters.yml costs for 1, 10 and 50 clusters, against a bare uri play.

Against the authentik stand-in (tests/standin, 2025.10.4 behaviour, HTTPS), in one run, for each N:
  (i)   the clusters are created once (not measured);
  (ii)  a no-op run of playbooks/many_clusters.yml (no kubeconfig): its wall time, and from the stand-in's
        request log the requests it sent: per cluster, fixed (shared objects and the version), writes;
  (iii) a bare ansible.builtin.uri play that reads every managed object once (each cluster's provider,
        application and bindings; the shared mapping and groups; the version once): its wall time.
(ii) and (iii) alternate --repeat times (default 2) and the shortest time of each counts, so that a burst of
load from elsewhere on the machine does not decide the ratio. Prints the figures and the ratios (ii)/(iii);
asserts nothing about timing.

    PYTHONPATH=tests ANSIBLE_COLLECTIONS_PATH=<tree> python3 -m bench.many_clusters [--clusters 1,10,50] [--groups 1] [--repeat 2]
        (from the repository: the collection on ANSIBLE_COLLECTIONS_PATH and tests/ the import root of the stand-in,
         as tests/run.sh's pytest_in sets them)
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

import standin  # tests/ is the import root (PYTHONPATH)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLAYBOOK = os.path.join(ROOT, 'playbooks', 'many_clusters.yml')
API = '/api/v3/'


def uri_play(handle, prefix, clusters, groups):
    """One GET per managed object, the version once: the floor a hand-written check would pay."""
    get = {'headers': {'Authorization': 'Bearer ' + handle.token}, 'ca_path': handle.ca_path, 'return_content': True}
    base = handle.url + API
    mapping_url = base + 'propertymappings/provider/scope/?name=' + prefix + '%3A%20email'
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'tasks': [
            {'name': 'version', 'ansible.builtin.uri': dict(get, url=base + 'admin/version/')},
            {'name': 'shared mapping', 'ansible.builtin.uri': dict(get, url=mapping_url)},
            {'name': 'shared groups', 'ansible.builtin.uri': dict(get, url=base + 'core/groups/?name={{ item }}'),
             'loop': groups},
            {'name': 'providers', 'ansible.builtin.uri': dict(get, url=base + 'providers/oauth2/?name={{ item }}'), 'loop': clusters},
            {'name': 'applications', 'ansible.builtin.uri': dict(get, url=base + 'core/applications/{{ item }}/'), 'loop': clusters,
             'register': 'apps'},
            {'name': 'bindings', 'ansible.builtin.uri': dict(get, url=base + 'policies/bindings/?target={{ item.json.pk }}'),
             'loop': '{{ apps.results }}', 'loop_control': {'label': '{{ item.item }}'}},
        ],
    }]


def run(command, env):
    started = time.monotonic()
    proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit('%s failed:\n%s' % (' '.join(command[:2]), proc.stdout[-4000:]))
    return elapsed


def log(handle):
    return list(handle.app.requests)


def measure(handle, workdir, count, group_count, env, repeat):
    prefix = 'bench%d' % count
    clusters = ['%s-c%02d' % (prefix, i) for i in range(count)]
    groups = ['%s-group%d' % (prefix, i) for i in range(group_count)]
    variables = dict(authentik_oidc_url=handle.url, authentik_oidc_token=handle.token, authentik_oidc_ca_path=handle.ca_path,
                     authentik_oidc_email_mapping_name=prefix + ': email', authentik_oidc_access_groups=[{'name': g} for g in groups],
                     kubeauth_kubeconfig_path='',
                     kubeauth_clusters=[dict(name=name, server='https://%s.example.com:6443' % name) for name in clusters])
    extra = os.path.join(workdir, '%s.json' % prefix)
    with open(extra, 'w') as handle_file:
        json.dump(variables, handle_file)
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    ours = [ansible_playbook, PLAYBOOK, '-e', '@' + extra]
    run(ours, env)  # (i) create

    book = os.path.join(workdir, '%s-uri.json' % prefix)
    with open(book, 'w') as handle_file:
        json.dump(uri_play(handle, prefix, clusters, groups), handle_file)
    ours_times, uri_times = [], []
    for dummy in range(repeat):
        handle.app.requests.clear()
        ours_times.append(run(ours, env))  # (ii) no-op
        requests = log(handle)
        handle.app.requests.clear()
        uri_times.append(run([ansible_playbook, book], env))  # (iii)
        uri_requests = len(log(handle))
    writes = [r for r in requests if r['method'] in ('POST', 'PUT', 'PATCH', 'DELETE')]
    by_kind = collections.Counter(kind(r['path']) for r in requests)
    ours_seconds, uri_seconds = min(ours_times), min(uri_times)
    return dict(clusters=count, requests=len(requests), writes=len(writes), by_kind=by_kind, seconds=ours_seconds,
                uri_requests=uri_requests, uri_seconds=uri_seconds, versions=by_kind.get('admin/version', 0))


def kind(path):
    """admin/version, providers/oauth2, providers/oauth2/setup_urls, ... (ids dropped)."""
    parts = [p for p in path[len(API):].strip('/').split('/') if p]
    named = [p for p in parts if not (len(p) > 20 or p.isdigit() or p.startswith('bench'))]
    return '/'.join(named)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clusters', default='1,10,50')
    parser.add_argument('--groups', type=int, default=1)
    parser.add_argument('--repeat', type=int, default=2)
    args = parser.parse_args()
    counts = [int(c) for c in args.clusters.split(',')]
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='False',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='False')
    with tempfile.TemporaryDirectory() as workdir:
        handle = standin.start(version='2025.10.4', state_dir=os.path.join(workdir, 'standin'))
        try:
            results = [measure(handle, workdir, count, args.groups, env, max(1, args.repeat)) for count in counts]
        finally:
            handle.stop()
    print('no-op run of playbooks/many_clusters.yml (%d shared group%s) against a uri play reading each managed object once'
          ' (shortest of %d runs each)' % (args.groups, '' if args.groups == 1 else 's', max(1, args.repeat)))
    print('%8s %9s %9s %7s %9s %12s %9s %12s %7s' % ('clusters', 'requests', 'per clstr', 'writes', 'versions', 'wall s', 'uri reqs',
                                                     'uri wall s', 'ratio'))
    for r in results:
        print('%8d %9d %9.1f %7d %9d %12.1f %9d %12.1f %7.2f' % (
            r['clusters'], r['requests'], r['requests'] / r['clusters'], r['writes'], r['versions'], r['seconds'], r['uri_requests'],
            r['uri_seconds'], r['seconds'] / r['uri_seconds']))
    if len(results) > 1:
        first, last = results[0], results[-1]
        span = last['clusters'] - first['clusters']
        print('marginal cost of one cluster: %.1f requests (uri play: %.1f), %.2f s (uri play: %.2f s)' % (
            (last['requests'] - first['requests']) / span, (last['uri_requests'] - first['uri_requests']) / span,
            (last['seconds'] - first['seconds']) / span, (last['uri_seconds'] - first['uri_seconds']) / span))
    print('requests of the largest no-op run by endpoint: %s' % ', '.join(
        '%s %d' % item for item in sorted(results[-1]['by_kind'].items(), key=lambda item: -item[1])))


if __name__ == '__main__':
    main()
