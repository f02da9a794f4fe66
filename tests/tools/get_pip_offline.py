# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's get-pip bootstrap script on machines that only reach PyPI.

ansible-test downloads get-pip.py from its own CI file host to put pip into the
virtual environments it creates. That host is unreachable here, so the test
runner places this file in ansible-test's cache instead: it installs the pip
bundled with CPython (ensurepip) and then the packages ansible-test asked for,
from PyPI, exactly as get-pip.py would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ensurepip
import os
import subprocess
import sys

# Options only get-pip.py knows; pip install would refuse them.
GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')

# ansible-test runs this with an emptied environment; the system CA bundle
# still lets pip trust a TLS-intercepting package proxy.
SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt'

ensurepip.bootstrap(upgrade=True)
extra = ['--cert', SYSTEM_CA] if os.path.exists(SYSTEM_CA) else []
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + extra + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]))
