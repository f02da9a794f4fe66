"""The real single-node control plane, and the full cycle a static-pod manifest change needs before kube-apiserver runs it.

Run: python3 -m pytest -m node tests/node -v   (as root; the first run builds the binaries)
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'node.py')
# Visible in the container's argv and harmless to the apiserver.
FLAG = '--profiling=false'

pytestmark = pytest.mark.node


def node_cli(*args, timeout=600):
    return subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope='module', name='env')
def node_env():
    """The node, up (brought up or reused); taken down at the end unless KUBEAUTH_NODE_KEEP=1."""
    result = node_cli('up', timeout=3 * 3600)
    print(result.stdout)
    if result.returncode != 0:
        node_cli('down')
        pytest.fail('node.py up failed:\n%s\n%s' % (result.stdout[-3000:], result.stderr[-6000:]), pytrace=False)
    facts = json.loads(node_cli('env').stdout)
    yield facts
    if os.environ.get('KUBEAUTH_NODE_KEEP') != '1':
        down = node_cli('down')
        assert down.returncode == 0, down.stdout + down.stderr


def run(command, timeout=60):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, '%s failed (%d):\n%s%s' % (' '.join(command), result.returncode, result.stdout, result.stderr)
    return result.stdout


def kubectl(env, *args):
    return run([env['kubectl'], '--kubeconfig', env['kubeconfig']] + list(args))


def crictl(env, *args):
    return run([env['crictl']] + env['crictl_args'] + list(args))


def apiserver_containers(env):
    """Running kube-apiserver containers, as the runtime sees them."""
    listed = json.loads(crictl(env, 'ps', '--name', 'kube-apiserver', '-o', 'json'))['containers']
    return [c for c in listed if c['state'] == 'CONTAINER_RUNNING' and c['metadata']['name'] == 'kube-apiserver']


def container_args(env, container_id):
    info = json.loads(crictl(env, 'inspect', container_id))['info']
    return info['runtimeSpec']['process']['args']


def wait(what, probe, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(2)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


def readyz(env):
    result = subprocess.run([env['kubectl'], '--kubeconfig', env['kubeconfig'], 'get', '--raw', '/readyz', '--request-timeout=5s'],
                            capture_output=True, text=True, check=False, timeout=30)
    return result.returncode == 0 and result.stdout.strip() == 'ok'


def test_readyz_through_admin_kubeconfig(env):
    assert kubectl(env, 'get', '--raw', '/readyz').strip() == 'ok'


def test_apiserver_runs_as_a_container(env):
    containers = apiserver_containers(env)
    assert len(containers) == 1, containers


def test_kubeadm_config_is_uploaded(env):
    data = json.loads(kubectl(env, '-n', 'kube-system', 'get', 'configmap', 'kubeadm-config', '-o', 'json'))['data']
    cluster = yaml.safe_load(data['ClusterConfiguration'])
    assert cluster['kind'] == 'ClusterConfiguration'
    assert cluster['kubernetesVersion'] == env['k8s_version']


def edit_apiserver_command(path, flag):
    """Append a flag to the kube-apiserver container's command, the structured way."""
    with open(path, encoding='utf-8') as handle:
        manifest = yaml.safe_load(handle)
    container = next(c for c in manifest['spec']['containers'] if c['name'] == 'kube-apiserver')
    assert flag not in container['command'], 'flag already present: the node is not fresh'
    container['command'].append(flag)
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(manifest, handle, default_flow_style=False)


def test_manifest_change_takes_effect_after_full_cycle(env):
    """Move out, wait for the container to go, edit, move back, restart the kubelet: the new container has the flag."""
    manifest = env['apiserver_manifest']
    parked = os.path.join(env['state_dir'], 'parked', os.path.basename(manifest))
    before = apiserver_containers(env)
    assert len(before) == 1 and FLAG not in container_args(env, before[0]['id'])

    os.makedirs(os.path.dirname(parked), exist_ok=True)
    shutil.move(manifest, parked)
    wait('the kube-apiserver container to stop', lambda: not apiserver_containers(env))
    edit_apiserver_command(parked, FLAG)
    shutil.move(parked, manifest)
    run(['service', env['kubelet_service'], 'restart'])

    after = wait('a new running kube-apiserver container', lambda: [c for c in apiserver_containers(env) if c['id'] != before[0]['id']])
    assert FLAG in container_args(env, after[0]['id'])
    wait('/readyz after the restart', lambda: readyz(env))
