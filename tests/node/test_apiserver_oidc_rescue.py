"""The rescue path of the apiserver_oidc restart cycle on the real test node: the new apiserver is ready but does not
carry a desired flag. The role must put the previous manifest back through the same cycle and fail naming the flag.

The fault is a crictl given as apiserver_oidc_crictl that hides one flag from `inspect` (everything else is the real
crictl), so the apiserver really starts with the new manifest and really becomes ready.

Run: python3 -m pytest -m node tests/node/test_apiserver_oidc_rescue.py -v   (as root)
"""

import os
import stat
import sys

import pytest

# The node, its role runs and the checks of a rollback, as the other fault tests use them.
from test_apiserver_oidc_faults import assert_rolled_back, healthy_before, node_fixture  # noqa: F401  # pylint: disable=unused-import

pytestmark = pytest.mark.node

HIDING_CRICTL = '''#!{python}
"""crictl, except that `inspect` does not show {flag} among the container's arguments."""
import json
import subprocess
import sys

result = subprocess.run({real!r} + sys.argv[1:], capture_output=True, text=True, check=False)
out = result.stdout
if 'inspect' in sys.argv[1:] and result.returncode == 0:
    data = json.loads(out)
    config = data['info']['config']
    for key in ('command', 'args'):
        config[key] = [arg for arg in config.get(key) or [] if arg != {flag!r}]
    out = json.dumps(data)
sys.stdout.write(out)
sys.stderr.write(result.stderr)
sys.exit(result.returncode)
'''


def hiding_crictl(node, flag):
    """A crictl wrapper in the test's work directory that hides flag from `inspect`; its path."""
    path = os.path.join(node.workdir, 'crictl-hiding')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(HIDING_CRICTL.format(python=sys.executable, flag=flag, real=[node.env['crictl']]))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def test_ready_apiserver_without_a_desired_flag_is_rolled_back(node, before):
    prefix = 'rescue-%d:' % os.getpid()  # a change on whatever the node carries now
    flag = '--oidc-username-prefix=' + prefix
    rc, output = node.run_role(apiserver_oidc_username_prefix=prefix, apiserver_oidc_crictl=hiding_crictl(node, flag))
    # The check after the cycle names what the running container lacks ...
    assert 'the running kube-apiserver lacks ' + flag in output, output[-4000:]
    # ... and the rescue puts the previous manifest back through the same cycle, byte for byte, on a ready apiserver.
    args = assert_rolled_back(node, before, rc, output)
    assert flag not in args
    assert 'rolled back to its previous settings' in output
