# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base classes of the modules: each module only declares its object.

ObjectModule keeps one object present or absent: find it, build the desired
fields (validating input and resolving names first, so bad input fails before
any write), compare normalized values, and write only the keys that differ.
ListInfoModule reads. Modules read through self.api (api.py) and never send a
request themselves: the writes are the base class's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from .api import PENDING, AuthentikAPI
from .client import AuthentikClient, connection_argument_spec
from .compare import changed_fields, diff_of, redact
from .errors import AuthentikError, InputError


class AuthentikModule:
    """Owns the AnsibleModule, the client and the error handling.

    Subclasses set argument_spec (the connection options are added), module_kwargs (more AnsibleModule
    arguments such as mutually_exclusive) and not_blank, and implement validate() and apply().
    """

    argument_spec = {}
    module_kwargs = {}
    # Options that, when given, must hold more than white space ("name: must not be empty").
    not_blank = ()

    def __init__(self):
        spec = connection_argument_spec()
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.client = AuthentikClient.from_module(self.module)
        self.api = AuthentikAPI(self.client, check_mode=self.module.check_mode)

    def run(self):
        try:
            for option in self.not_blank:
                if self.params[option] is not None and not self.params[option].strip():
                    raise InputError(option, 'must not be empty')
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

    Subclasses set object_key, hidden, normalizers and fields, and implement endpoint(), find() (or
    matches()), desired(existing) and, if they like, guard(existing), extra_results(obj) and patch_body().
    """

    object_key = 'object'
    detail_key = 'pk'
    # (kind, desired field that names it): in check mode a new object is shown with the pk PENDING % (kind, name),
    # so that a later task can take its pk as a reference (and treat it as pending). None: no pk shown.
    pending_pk = None
    hidden = frozenset()
    normalizers = {}
    # Options sent as they are when given: {module option: API field}; copied() gives them.
    fields = {}

    def endpoint(self):
        raise NotImplementedError

    def detail(self, obj):
        return '%s%s/' % (self.endpoint(), obj[self.detail_key])

    def find(self):
        """The object, or None. The default takes the first of matches() and deletes the others (duplicates)."""
        found = self.matches() or []
        self.duplicates = found[1:]
        return found[0] if found else None

    def matches(self):
        """For objects the server does not keep unique: every copy of this one, the one to keep first.

        Two runs that create such an object at the same moment leave two; with matches() the module keeps
        the first and deletes the others, in the run that finds them (reported as duplicates_removed) and
        right after its own create. Modules whose object is unique override find() instead.
        """
        raise NotImplementedError

    def desired(self, existing):
        raise NotImplementedError

    def copied(self):
        """{API field: value} of the options in fields that are given."""
        return dict((field, self.params[option]) for option, field in self.fields.items() if self.params[option] is not None)

    def guard(self, existing):
        """Refuse to touch an existing object (raise InputError); runs before any write."""

    def extra_results(self, obj):
        return {}

    def patch_body(self, desired, keys):
        """What a PATCH sends: the changed keys (override where the server needs more)."""
        return dict((k, desired[k]) for k in keys)

    def apply(self):
        self.duplicates = []
        existing = self.find()
        if existing is not None:
            self.guard(existing)
        if self.params.get('state') == 'absent':
            result = self._absent(existing)
        elif existing is None:
            result = self._create(self.desired(None))
        else:
            result = self._update(existing, self.desired(existing))
        if self.duplicates:
            if not self.module.check_mode:
                for duplicate in self.duplicates:
                    self.client.delete(self.detail(duplicate))
            if existing is not None or self.params.get('state') != 'absent':
                result.update(changed=True)
            if self.params.get('state') != 'absent':
                result.update(duplicates_removed=len(self.duplicates))
        return result

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
        return self._result(True, self._settle(created), None, desired, keys)

    def _settle(self, created):
        """After a create, where the server allows copies (matches()): the one to keep, as another run may have made one too."""
        copies_possible = type(self).find is ObjectModule.find
        kept = self.find() if copies_possible else None
        return created if kept is None else kept

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
