# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base classes of the modules: each module only declares its object.

ObjectModule keeps one object present or absent: find it, build the desired
fields (validating input and resolving names first, so bad input fails before
any write), compare normalized values, and write only the keys that differ.
InfoModule reads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeauth.authentik.plugins.module_utils.api import PENDING, AuthentikAPI
from ansible_collections.kubeauth.authentik.plugins.module_utils.client import (
    AuthentikClient,
    AuthentikError,
    InputError,
    connection_argument_spec,
)
from ansible_collections.kubeauth.authentik.plugins.module_utils.compare import changed_fields, diff_of, redact


class AuthentikModule:
    """Owns the AnsibleModule, the client and the error handling."""

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = connection_argument_spec()
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.client = AuthentikClient.from_module(self.module)
        self.api = AuthentikAPI(self.client, check_mode=self.module.check_mode)

    def run(self):
        try:
            self.validate()
            result = self.apply()
        except InputError as exc:
            self.module.fail_json(msg=str(exc), option=exc.option)
        except AuthentikError as exc:
            self.module.fail_json(msg=str(exc), status=exc.status)
        for warning in self.api.pending + self.api.warnings:
            self.module.warn(warning)
        self.module.exit_json(**result)

    def validate(self):
        """Checks that need no server; override to add more."""

    def apply(self):
        raise NotImplementedError


class ObjectModule(AuthentikModule):
    """Keeps one authentik object in the state the user asked for.

    Subclasses set object_key, hidden and normalizers, and implement
    endpoint(), find(), desired(existing) and, if they like, extra_results(obj).
    """

    object_key = 'object'
    detail_key = 'pk'
    # (kind, desired field that names it): in check mode a new object is shown with the pk PENDING % (kind, name),
    # so that a later task can take its pk as a reference (and treat it as pending). None: no pk shown.
    pending_pk = None
    hidden = frozenset()
    normalizers = {}

    def endpoint(self):
        raise NotImplementedError

    def detail(self, obj):
        return '%s%s/' % (self.endpoint(), obj[self.detail_key])

    def find(self):
        raise NotImplementedError

    def desired(self, existing):
        raise NotImplementedError

    def guard(self, existing):
        """Refuse to touch an existing object (raise InputError); runs before any write."""

    def extra_results(self, obj):
        return {}

    def patch_body(self, desired, keys):
        """What a PATCH sends: the changed keys (override where the server needs more)."""
        return dict((k, desired[k]) for k in keys)

    def settle(self, created):
        """After a create: the object to report (override where the server allows duplicates)."""
        return created

    def apply(self):
        existing = self.find()
        if existing is not None:
            self.guard(existing)
        if self.params.get('state') == 'absent':
            return self._absent(existing)
        desired = self.desired(existing)
        if existing is None:
            return self._create(desired)
        return self._update(existing, desired)

    def _result(self, changed, obj, before, after, keys):
        result = dict(changed=changed, server_version=self.client.version)
        result[self.object_key] = redact(obj, self.hidden)
        if self.module._diff:
            result['diff'] = diff_of(keys, before, after, self.hidden)
        if obj is not None:
            result.update(self.extra_results(obj))
        return result

    def _absent(self, existing):
        if existing is None:
            return self._result(False, None, None, None, [])
        if not self.module.check_mode:
            self.client.delete(self.detail(existing))
        return self._result(True, None, existing, None, sorted(k for k in existing if k not in self.hidden))

    def _create(self, desired):
        keys = sorted(desired)
        if self.module.check_mode:
            result = self._result(True, None, None, desired, keys)
            result[self.object_key] = redact(desired, self.hidden)
            if self.pending_pk:
                kind, field = self.pending_pk
                result[self.object_key]['pk'] = PENDING % (kind, desired[field])
            return result
        try:
            created = self.client.create(self.endpoint(), desired, find_existing=self.find)
        except InputError:
            raise
        except AuthentikError:
            # A concurrent run may have created the object between find() and the POST: the
            # server then refuses ours (400 "... already exists" on the name, slug or client id,
            # or anything else). If the object is there now, it is the one to converge.
            existing = self.find()
            if existing is None:
                raise
            self.guard(existing)
            return self._update(existing, self.desired(existing))
        return self._result(True, self.settle(created), None, desired, keys)

    def _update(self, existing, desired):
        keys = changed_fields(desired, existing, self.normalizers)
        if not keys:
            return self._result(False, existing, existing, existing, [])
        if self.module.check_mode:
            after = dict(existing)
            after.update((k, desired[k]) for k in keys)
            return self._result(True, existing, existing, after, keys)
        updated = self.client.patch(self.detail(existing), self.patch_body(desired, keys))
        return self._result(True, updated, existing, updated, keys)


def query_value(value):
    """Booleans as django-filter reads them; lists become repeated parameters."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return value


class ListInfoModule(AuthentikModule):
    """Lists objects by exact filters; reads only, so check mode needs nothing extra.

    Subclasses set result_key and filters ({module option: API query parameter})
    and implement path(); shown(item) may drop fields.
    """

    result_key = 'items'
    filters = {}

    def path(self):
        raise NotImplementedError

    def shown(self, item):
        return item

    def apply(self):
        query = dict((api, query_value(self.params[option])) for option, api in self.filters.items() if self.params[option] is not None)
        items = self.client.list(self.path(), params=query)
        result = dict(changed=False, server_version=self.client.version)
        result[self.result_key] = [self.shown(item) for item in items]
        return result
