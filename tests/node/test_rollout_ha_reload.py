"""`file` mode on the HA cluster: a change to the configuration file alone, rolled over the three control-plane nodes
by site.yml (serial: 1), is reloaded by each node's kube-apiserver and proved there before the next node, with no
failed request through the load balancer and no container restarted.

Runs after test_rollout_ha.py (file order) on the same cluster; switches it to `file` mode first (a restart per node)
and back to `flags` mode at the end.

Run: python3 -m pytest -m ha tests/node/test_rollout_ha_reload.py -v   (as root; brings the cluster up)
"""

import json
import re
import subprocess
import time

import pytest

from e2e.ha_stack import HAStack
from kubeauth_node.loadgen import LoadGenerator, admin_token

pytestmark = [pytest.mark.node, pytest.mark.ha]

LOAD_RATE = 4
LOAD_LIMIT = 900


@pytest.fixture(scope='module', name='site')
def site_fixture(ha_cluster, tmp_path_factory):
    """The cluster in `file` mode through site.yml (the first switch); back in `flags` mode afterwards."""
    stack = HAStack(str(tmp_path_factory.mktemp('ha-reload')), ha_cluster)
    try:
        stack.write_inventory(group_vars={'apiserver_oidc_mode': 'file'})
        rc, output = stack.playbook('site.yml', echo=False)
        assert rc == 0, output[-5000:]
        yield stack
    finally:
        stack.write_inventory()
        stack.playbook('site.yml', echo=False)
        stack.stop()


def apiserver_containers(facts, node):
    """Every kube-apiserver container of a node (running or exited) with its restart attempt: {id: (state, attempt)}."""
    prefix = node['exec_prefix'] + [facts['crictl']] + facts['node_side']['crictl_args']
    listed = json.loads(subprocess.run(prefix + ['ps', '-a', '-o', 'json', '--name', '^kube-apiserver$'], capture_output=True,
                                       text=True, check=True, timeout=60).stdout)['containers']
    return {c['id']: (c['state'], c['metadata'].get('attempt', 0)) for c in listed}


def test_config_only_change_rolls_over_by_reload_with_no_failed_request_and_no_restart(ha_cluster, site):
    names = [node['name'] for node in ha_cluster['nodes']]
    before = {node['name']: apiserver_containers(ha_cluster, node) for node in ha_cluster['nodes']}
    token = admin_token(ha_cluster['kubeconfig'])
    site.write_inventory(group_vars={'apiserver_oidc_mode': 'file', 'apiserver_oidc_username_prefix': 'ha-reload:'})
    with LoadGenerator(ha_cluster['lb_url'], ha_cluster['ca_cert'], {'admin': token}, rate=LOAD_RATE, duration=LOAD_LIMIT,
                       path='/api') as load:
        started = time.monotonic()
        rc, output = site.playbook('site.yml')
        elapsed = time.monotonic() - started
        time.sleep(3)
        report = load.stop()
    print('config-only rollout over %d nodes in %.1f s; load through the load balancer: %s'
          % (len(names), elapsed, {k: report[k] for k in ('sent', 'ok', 'failed', 'reasons')}))
    assert rc == 0, output[-5000:]
    # Every node reloaded, proved by its own apiserver before the next node (serial: 1), none restarted.
    said = dict(re.findall(r'(node\d): (new settings applied by a reload \(no restart\)|[^"\n\]]+)', output))
    assert said == {name: 'new settings applied by a reload (no restart)' for name in names}, said
    proofs = re.findall(r'TASK \[kubeauth\.authentik\.apiserver_oidc : Read the apiserver\'s reload metrics until they say\][^\n]*\n'
                        r'(?:[^\n]*\n)*?ok: \[(node\d)\]', output)
    assert proofs == names, proofs
    assert 'restarts now' not in output
    after = {node['name']: apiserver_containers(ha_cluster, node) for node in ha_cluster['nodes']}
    assert after == before, 'a kube-apiserver container was restarted or added: %s -> %s' % (before, after)
    # Through the load balancer, nothing failed.
    assert report['failed'] == 0, report['failures']
    assert report['sent'] >= LOAD_RATE * 5
