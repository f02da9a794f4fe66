"""bash tests/run.sh [quick | STAGE...]: the plan's jobs, side by side, then each job's time and the total."""

import os
import signal
import subprocess
import sys
import time

from pipeline import plan
from pipeline.scheduler import Scheduler, minutes, prune_runs


class Servers:
    """Real authentik servers the run brought up go down as soon as no job left in the run needs them, the rest
    when the run ends (one that was up before the run, somebody else's, stays up)."""

    def __init__(self, jobs, root, run_dir, env):
        self.jobs, self.root, self.run_dir, self.env = jobs, root, run_dir, env
        self.down = set()
        self.ok = True

    def ours(self):
        return [job for job in self.jobs if job.name.startswith('authentik-')
                and not os.path.exists(os.path.join(self.run_dir, job.name + '.was-up'))]

    def take_down(self, job, say):
        version = job.name[len('authentik-'):]
        result = subprocess.run([sys.executable, '-m', 'authentik.server', '--version', version, 'down'],
                                cwd=os.path.join(self.root, 'tests'), env=self.env, capture_output=True, text=True, check=False)
        say('authentik %s down%s' % (version, '' if result.returncode == 0 else ': FAILED\n' + result.stdout + result.stderr))
        self.ok = self.ok and result.returncode == 0
        self.down.add(job.name)

    def unused(self, scheduler):
        """After each job: the servers no pending or running job needs any more."""
        left = list(scheduler.pending) + [run.job for run in scheduler.running.values()]
        for job in self.ours():
            if job.name in scheduler.results and job.name not in self.down and not [j for j in left if job.name in j.needs]:
                self.take_down(job, scheduler.say)

    def teardown(self, say):
        for job in self.ours():
            if job.name not in self.down:
                self.take_down(job, say)
        return self.ok


def summary(jobs, results, total, out, cpu=None):
    out.write('\n\033[1m== summary\033[0m\n')
    out.write('%-20s %-8s %8s %8s %8s\n' % ('job', 'result', 'started', 'took', 'cpu'))
    for job in jobs:
        passed, seconds, offset, note = results.get(job.name, (False, 0.0, 0.0, 'not run'))
        name = job.name + ('' if job.stage else ' *')
        used = (cpu or {}).get(job.name)
        used = '-' if used is None else minutes(used)
        out.write('%-20s %-8s %8s %8s %8s %s\n' % (name, 'passed' if passed else 'FAILED', minutes(offset), minutes(seconds), used, note))
    out.write('(* prepared for the stages: virtual environments, builds, servers; cpu: the job\'s own processes, not\n'
              ' the daemons it started, such as kubelet, containerd, the apiservers and the real servers)\n')
    stages = [job for job in jobs if job.stage]
    passed = [job.name for job in stages if results.get(job.name, (False,))[0]]
    failed = [job.name for job in stages if not results.get(job.name, (False,))[0]]
    failed += [job.name for job in jobs if not job.stage and not results.get(job.name, (False,))[0]]
    out.write('passed: %s\n' % (' '.join(passed) or 'none'))
    out.write('failed: %s\n' % (' '.join(failed) or 'none'))
    out.write('%d passed, %d failed; total %s\n' % (len(passed), len(failed), minutes(total)))
    out.flush()
    return not failed


def _interrupt(number, frame):  # pylint: disable=unused-argument  # signal handler's signature
    raise KeyboardInterrupt('signal %d' % number)


def main(argv):
    root = os.environ['KUBEAUTH_ROOT']
    cache = os.environ['KUBEAUTH_CACHE']
    try:
        jobs = plan.selected(argv)
    except ValueError as exc:
        print('tests/run.sh: %s' % exc, file=sys.stderr)
        return 2
    runs_dir = os.path.join(cache, 'runs')
    run_dir = os.path.join(runs_dir, time.strftime('%Y%m%d-%H%M%S'))
    os.makedirs(run_dir, exist_ok=True)
    prune_runs(runs_dir)
    env = dict(os.environ, KUBEAUTH_RUN_DIR=run_dir)
    started = time.monotonic()
    # Stopped from outside (CI's time limit, a closed terminal): every job's process group is stopped, as on ^C.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _interrupt)
    servers = Servers(jobs, root, run_dir, env)
    scheduler = Scheduler(jobs, root, run_dir, env, after_job=servers.unused)
    scheduler.say('jobs: %s (logs in %s)' % (' '.join(job.name for job in jobs), run_dir))
    interrupted = False
    try:
        results = scheduler.run()
    except KeyboardInterrupt as exc:
        scheduler.say('stopped (%s): every running job was stopped' % (exc or 'interrupted'))
        results, interrupted = scheduler.results, True
    finally:
        down_ok = servers.teardown(scheduler.say)
    ok = summary(jobs, results, time.monotonic() - started, sys.stdout, scheduler.cpu)
    return 130 if interrupted else 0 if ok and down_ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
