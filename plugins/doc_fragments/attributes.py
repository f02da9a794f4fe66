# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The attributes of the collection's modules; each module states its own check and diff support."""

    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Returns details on what has changed (or possibly needs changing in check_mode), when in diff mode.
'''

    # Modules listed in meta/runtime.yml action_groups.authentik.
    ACTION_GROUP = r'''
attributes:
  action_group:
    description: Use C(group/kubeauth.authentik.authentik) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - kubeauth.authentik.authentik
'''

    # Modules that only read: check mode changes nothing about them and they have nothing to diff.
    INFO_MODULE = r'''
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
'''
