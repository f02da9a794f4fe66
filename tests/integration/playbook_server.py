# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fork server for ansible-playbook: imports Ansible once, then runs each request in a forked child exactly as the
ansible-playbook command does (PlaybookCLI.cli_executor), with its own environment, output file and process group.

Protocol (one JSON object per line): stdin {"args": [...], "env": {the run's whole environment}, "output": path}; stdout {"pid": n} when
the child starts, then {"rc": n} when it ends. Started by playbook_session.py; runs with the Python of the venv
under test, imports nothing of the tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys


def child(request):
    os.setsid()  # its own process group, so a run that hangs can be stopped with everything it started
    os.environ.clear()
    os.environ.update(request['env'])  # the same ANSIBLE_* settings as the server's: the client sees to it
    fd = os.open(request['output'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    code = 0
    try:
        from ansible.cli.playbook import PlaybookCLI  # pylint: disable=import-outside-toplevel  # imported by the parent
        PlaybookCLI.cli_executor(['ansible-playbook'] + list(request['args']))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # pylint: disable=broad-exception-caught  # a crash is the run's result, not the server's
        import traceback  # pylint: disable=import-outside-toplevel
        traceback.print_exc()
        code = 250
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # pylint: disable=protected-access  # no cleanup of the parent's state in a forked child


def main():
    replies = os.fdopen(os.dup(1), 'w', buffering=1)
    os.dup2(2, 1)  # whatever the imports print goes to stderr, not into the replies
    # What every run needs, once: the CLI, the executor, the plugin loader, the collection loader.
    import ansible.cli.playbook  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    import ansible.executor.playbook_executor  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        replies.write(json.dumps({'pid': pid}) + '\n')
        dummy, status = os.waitpid(pid, 0)
        replies.write(json.dumps({'rc': os.waitstatus_to_exitcode(status)}) + '\n')


if __name__ == '__main__':
    main()
