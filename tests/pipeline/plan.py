"""What `bash tests/run.sh` runs, what each part needs first, and what parts share: the one place that says so.

A job is a function of tests/run.sh (`job_<name>`), run as `bash tests/run.sh --job <name>` with its own log.
Stages are the jobs a person asks for by name; the others (virtual environments, builds, servers) are pulled in
by what needs them, started as early as their own needs allow, and timed like the stages.

- needs: jobs that must have passed first.
- holds: a resource one job at a time may use (kubeauth_node.locks: across processes, so two runs, or a run and a
  person's pytest session, never share the node either).
- cpu: slots the job takes of its pool (tests/pipeline/scheduler.py): the main pool (three slots) for the single
  node's chain (e2e-newest, e2e-oldest, node), which decides when the run ends, and the builds and servers; the
  niced pool (four) for the rest.
- nice: a job that fills the gaps: it runs at a lower priority, in the niced pool. Measured on this machine, every
  stage keeps the two cores busy (apiserver and etcd start-ups, ansible-playbook runs, the real servers), so the
  single node's chain only keeps its pace when the others yield to it.
- after: jobs of the run that must have ended first, passed or not (an order, where needs is a condition). Past the
  run's first minutes (scheduler.ORDER_GRACE), a job still waiting for what it needs (a cold build) no longer holds
  up the jobs planned after it: on a fresh machine stage node runs while the authentik servers build.
- build: a cold build that takes both cores when it has anything to do; builds run one at a time.
- servers: real authentik releases the job talks to; each is brought up once by its own job, used by one job at
  a time (each server's access log counts every request), and taken down once no job left needs it.
"""

import collections

Job = collections.namedtuple('Job', 'name needs holds cpu build servers stage nice after')


def job(name, needs=(), holds=(), cpu=1, build=False, servers=(), stage=True, nice=False, after=()):
    """A job; the real servers it names are jobs it needs and resources it holds (one user of a server at a time)."""
    servers = tuple('authentik-' + version for version in servers)
    return Job(name, tuple(needs) + servers, tuple(holds) + servers, cpu, build, servers, stage, nice, tuple(after))


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
    # The single node's chain decides when the run ends, so it has the main pool to itself: the end to end first
    # (each against one real server, which is free then), then node (the Kubernetes release's own tiers, molecule).
    job('e2e-newest', needs=['venv-newest', 'k8s', 'kubelogin'], holds=['single-node'], servers=['2025.10.4']),
    job('e2e-oldest', needs=['venv-newest', 'k8s-oldest', 'kubelogin'], holds=['single-node'], servers=['2026.2.2'],
        after=['e2e-newest']),
    job('node', needs=['venv-newest', 'k8s', 'kubelogin'], holds=['single-node'], after=['e2e-oldest']),
    # The HA cluster (its apiservers and etcd members inherit the job's priority) and each real server's tier once
    # the end to end has released that server.
    job('ha', needs=['venv-newest', 'k8s'], holds=['ha-cluster'], nice=True),
    job('real-2025.10.4', needs=['venv-newest', 'venv-oldest'], servers=['2025.10.4'], nice=True, after=['e2e-newest']),
    job('real-2026.2.2', needs=['venv-newest'], servers=['2026.2.2'], nice=True, after=['e2e-oldest']),
    # Then the computing ones, longest first (the shortest fill the gaps at the end).
    job('integration', needs=['venv-newest'], cpu=2, nice=True),
    job('sanity', needs=['venv-newest', 'venv-oldest'], nice=True),
    job('docs', needs=['venv-newest', 'chromium'], nice=True),
    job('lint', needs=['venv-newest'], nice=True),
    job('contract', needs=['venv-newest'], nice=True),
    job('package', needs=['venv-newest'], nice=True),
    job('unit', needs=['venv-newest', 'venv-oldest'], nice=True),
    # The quick lane's own variants (bash tests/run.sh quick).
    job('sanity-changed', needs=['venv-newest']),
    job('unit-newest', needs=['venv-newest']),
    job('integration-one', needs=['venv-newest']),
])

FULL = ['sanity', 'lint', 'package', 'docs', 'unit', 'contract', 'integration', 'node', 'ha', 'real', 'e2e']
QUICK = ['sanity-changed', 'lint', 'unit-newest', 'contract', 'integration-one']
ALIASES = {'quick': QUICK, 'all': FULL, 'real': ['real-' + release for release in REAL_RELEASES],
           'e2e': ['e2e-newest', 'e2e-oldest']}


def selected(names):
    """The jobs a run of these stage names needs, in plan order; unknown names raise ValueError."""
    wanted, todo = [], list(names or FULL)
    while todo:
        name = todo.pop(0)
        if name in ALIASES:  # a name for several stages (real: each real server's; e2e: each Kubernetes release's)
            todo[:0] = ALIASES[name]
        elif name in JOBS:
            wanted.append(name)
        else:
            raise ValueError('unknown stage %r; stages: %s, or quick' % (name, ' '.join(FULL)))
    closure, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(JOBS[name].needs)
    return [JOBS[name] for name in JOBS if name in closure]
