"""What `bash tests/run.sh` runs, what each part needs first, and what parts share: the one place that says so.

A job is a function of tests/run.sh (`job_<name>`), run as `bash tests/run.sh --job <name>` with its own log.
Stages are the jobs a person asks for by name; the others (virtual environments, builds, servers) are pulled in
by what needs them, started as early as their own needs allow, and timed like the stages.

- needs: jobs that must have passed first.
- holds: a resource one job at a time may use (kubeauth_node.locks: across processes, so two runs, or a run and a
  person's pytest session, never share the node either).
- cpu: slots of the machine's two cores the job keeps busy; a job that mostly waits (on apiserver restarts, on
  HTTP) takes none, so the waiting stages run beside the computing ones.
- build: a cold build that takes both cores when it has anything to do; builds run one at a time.
- servers: real authentik releases the job talks to; each is brought up once by its own job, shared by every job
  that names it, and taken down when the run ends.
"""

import collections

Job = collections.namedtuple('Job', 'name needs holds cpu build servers stage')


def job(name, needs=(), holds=(), cpu=1, build=False, servers=(), stage=True):
    return Job(name, tuple(needs) + tuple('authentik-' + version for version in servers), tuple(holds), cpu, build,
               tuple(servers), stage)


REAL_RELEASES = ('2025.10.4', '2026.2.2')

JOBS = collections.OrderedDict((j.name, j) for j in [
    # Prerequisites, in the order the long waiting stages need them (node and ha wait on the Kubernetes build).
    job('venv-newest', stage=False),
    job('venv-oldest', stage=False),
    job('kubelogin', build=True, stage=False),
    job('k8s', build=True, stage=False),
    job('chromium', cpu=0, stage=False),
    job('authentik-2025.10.4', build=True, stage=False),
    job('authentik-2026.2.2', build=True, stage=False),
    job('k8s-oldest', build=True, stage=False),
    # The stages of a full run. The waiting ones first: they decide when the run ends.
    job('node', needs=['venv-newest', 'k8s', 'kubelogin'], holds=['single-node'], cpu=0),
    job('ha', needs=['venv-newest', 'k8s'], holds=['ha-cluster'], cpu=0),
    job('e2e', needs=['venv-newest', 'k8s', 'k8s-oldest', 'kubelogin'], holds=['single-node'], cpu=0,
        servers=REAL_RELEASES),
    job('real', needs=['venv-newest', 'venv-oldest'], servers=REAL_RELEASES),
    job('sanity', needs=['venv-newest', 'venv-oldest']),
    job('integration', needs=['venv-newest']),
    job('lint', needs=['venv-newest']),
    job('package', needs=['venv-newest']),
    job('docs', needs=['venv-newest', 'chromium']),
    job('unit', needs=['venv-newest', 'venv-oldest']),
    job('contract', needs=['venv-newest']),
    # The quick lane's own variants (bash tests/run.sh quick).
    job('sanity-changed', needs=['venv-newest']),
    job('unit-newest', needs=['venv-newest']),
    job('integration-one', needs=['venv-newest']),
])

FULL = ['sanity', 'lint', 'package', 'docs', 'unit', 'contract', 'integration', 'node', 'ha', 'real', 'e2e']
QUICK = ['sanity-changed', 'lint', 'unit-newest', 'contract', 'integration-one']
ALIASES = {'quick': QUICK, 'all': FULL}


def selected(names):
    """The jobs a run of these stage names needs, in plan order; unknown names raise ValueError."""
    wanted = []
    for name in names or FULL:
        for stage in ALIASES.get(name, [name]):
            if stage not in JOBS:
                raise ValueError('unknown stage %r; stages: %s, or quick' % (name, ' '.join(FULL)))
            wanted.append(stage)
    closure, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(JOBS[name].needs)
    return [JOBS[name] for name in JOBS if name in closure]
