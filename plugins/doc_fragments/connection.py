# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of every module that talks to authentik's API.

    Kept in step with connection_argument_spec() in module_utils/client.py
    (tests/unit/plugins/doc_fragments/test_connection.py compares the two).
    """

    DOCUMENTATION = r'''
options:
  authentik_url:
    description:
      - Base URL of the authentik server, for example C(https://authentik.example.com).
      - A trailing C(/api/v3/) is accepted and ignored.
      - If not set, the value of the E(AUTHENTIK_URL) environment variable is used.
    type: str
    required: true
  authentik_token:
    description:
      - An authentik API token (intent C(api)), sent as a bearer token.
      - App passwords are not accepted by the API.
      - If not set, the value of the E(AUTHENTIK_TOKEN) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the server's TLS certificate.
      - Only turn this off for a throwaway test server; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM CA bundle used to verify the server certificate, for a server signed by a private CA.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP response.
      - Requests that fail with 429, 5xx or a connection error are retried with exponential backoff;
        a create is never sent twice unless the server is known not to have stored it.
    type: int
    default: 30
  server_version:
    description:
      - The authentik release of the server, as an earlier task of the same run returned it in its C(server_version) result.
      - Saves the version request each task otherwise sends first; useful when one play runs many tasks, for example one
        provider and application per cluster.
      - When the server refuses a request, the module reads the real version and fails if it differs from this one.
    type: str
requirements:
  - requests
notes:
  - The server version is read once per task from C(/api/v3/admin/version/), unless O(server_version) is given, and the
    module adapts to it (endpoint paths, field shapes, fields that only newer releases have).
  - Set the connection once for all modules of the collection with
    C(module_defaults) and the action group C(group/kubeauth.authentik.authentik).
'''
