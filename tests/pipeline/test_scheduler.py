"""The scheduler runs jobs side by side except where they share a resource, gives each its log and its time, and
stops a job's dependants when it fails (tests/pipeline/scheduler.py), with a run.sh whose jobs only sleep."""

import io
import os
import subprocess
import sys
import time

import pytest

from kubeauth_node import locks
from pipeline import plan
from pipeline import scheduler
from pipeline.scheduler import Scheduler

RUN_SH = '''#!/usr/bin/env bash
# run.sh --job NAME: writes when NAME starts and ends, sleeps, fails when NAME starts with "bad"
echo "start $2 $(date +%s.%N)" >> "$EVENTS"
echo "niceness $2 $(nice)" >> "$EVENTS"
sleep 1.5
echo "autogroup $2 $(sed -n 's/.* nice //p' /proc/self/autogroup 2>/dev/null | grep . || echo -1)" >> "$EVENTS"
echo "end $2 $(date +%s.%N)" >> "$EVENTS"
echo "the log of $2"
case $2 in bad*) exit 3 ;; esac
'''


@pytest.fixture(name='root')
def root_fixture(tmp_path, monkeypatch):
    monkeypatch.setattr(locks, 'LOCK_DIR', str(tmp_path / 'locks'))
    (tmp_path / 'tests').mkdir()
    (tmp_path / 'tests' / 'run.sh').write_text(RUN_SH)
    (tmp_path / 'run').mkdir()
    return tmp_path


def run(root, jobs):
    out = io.StringIO()
    env = dict(os.environ, EVENTS=str(root / 'events'))
    ran = Scheduler(jobs, str(root), str(root / 'run'), env, out=out)
    results = ran.run()
    assert set(ran.cpu) == {name for name, result in results.items() if not result[3].startswith('not run')}, ran.cpu
    spans = {}
    for line in (root / 'events').read_text().splitlines():
        what, name, when = line.split()
        spans.setdefault(name, {})[what] = float(when)
    return results, spans, out.getvalue()


def overlap(spans, one, other):
    return spans[one]['start'] < spans[other]['end'] and spans[other]['start'] < spans[one]['end']


def test_jobs_that_hold_one_resource_never_run_at_once_and_the_others_run_beside_them(root):
    jobs = [plan.job('node', holds=['single-node'], cpu=0), plan.job('e2e', holds=['single-node'], cpu=0),
            plan.job('ha', holds=['ha-cluster'], cpu=0), plan.job('unit')]
    results, spans, out = run(root, jobs)
    assert all(passed for passed, _seconds, _offset, _note in results.values()), out
    assert not overlap(spans, 'node', 'e2e')
    assert overlap(spans, 'node', 'ha') and overlap(spans, 'node', 'unit')
    assert os.path.exists(root / 'run' / 'e2e.log') and 'the log of e2e' in (root / 'run' / 'e2e.log').read_text()


def test_niced_jobs_fill_the_gaps_in_a_pool_of_their_own(root):
    """Three one-slot jobs fill the main pool; the niced ones run beside them, at a lower priority."""
    jobs = [plan.job(name) for name in ('node', 'ha', 'real')] + [plan.job('lint', nice=True), plan.job('unit', nice=True)]
    results, spans, out = run(root, jobs)
    assert all(passed for passed, _seconds, _offset, _note in results.values()), out
    assert overlap(spans, 'node', 'ha') and overlap(spans, 'node', 'real')
    assert overlap(spans, 'lint', 'node') and overlap(spans, 'unit', 'node')
    # Relative to the test's own priority (stage unit itself runs niced).
    assert spans['lint']['niceness'] == spans['unit']['niceness'] == min(19, spans['node']['niceness'] + scheduler.NICE)
    # With autogroup scheduling (Linux shares the CPU between sessions), the niced jobs' sessions yield too.
    if spans['node']['autogroup'] >= 0 and os.geteuid() == 0:
        # (node's own session stays as it is unless the test itself runs niced, as in stage unit)
        assert spans['node']['autogroup'] == (scheduler.NICE if spans['node']['niceness'] >= scheduler.NICE else 0)
        assert spans['lint']['autogroup'] == spans['unit']['autogroup'] == scheduler.NICE


def test_after_is_an_order_not_a_condition(root):
    """A job that comes after another starts once that one has ended, passed or failed."""
    jobs = [plan.job('bad-e2e'), plan.job('node', after=['bad-e2e'])]
    results, spans, out = run(root, jobs)
    assert results['bad-e2e'][0] is False and results['node'][0] is True, out
    assert spans['node']['start'] >= spans['bad-e2e']['end']


@pytest.mark.parametrize('grace', [0.5, 60])
def test_a_job_held_up_by_a_cold_build_lets_the_next_in_order_go_first(root, monkeypatch, grace):
    """The build takes longer than the grace: the job that comes after the one waiting for it starts first (a fresh
    machine); a build done within the grace (a warm machine) keeps the plan's order."""
    monkeypatch.setattr(scheduler, 'ORDER_GRACE', grace)
    jobs = [plan.job('build', build=True, stage=False, cpu=0), plan.job('e2e', needs=['build'], holds=['single-node'], cpu=0),
            plan.job('node', holds=['single-node'], after=['e2e'], cpu=0)]
    results, spans, out = run(root, jobs)
    assert all(passed for passed, _seconds, _offset, _note in results.values()), out
    assert not overlap(spans, 'node', 'e2e')
    if grace < 1.5:  # the build's 1.5 s
        assert spans['node']['start'] < spans['build']['end'] and spans['e2e']['start'] >= spans['node']['end']
    else:
        assert spans['node']['start'] >= spans['e2e']['end']


def test_a_failed_job_stops_what_needs_it_and_says_so(root):
    jobs = [plan.job('bad-build', stage=False), plan.job('node', needs=['bad-build'], cpu=0), plan.job('unit')]
    results, spans, out = run(root, jobs)
    assert results['bad-build'][0] is False and results['bad-build'][3] == 'exit 3'
    assert results['node'] == (False, 0.0, results['node'][2], 'not run: bad-build failed')
    assert results['unit'][0] is True and 'node' not in spans
    assert 'node not run: it needs bad-build, which failed' in out


def test_a_resource_held_by_somebody_else_is_waited_for_and_named(root):
    asked = time.time()
    holder = subprocess.Popen([sys.executable, '-m', 'kubeauth_node.locks', 'hold', 'single-node', '--', 'sleep', '2'],
                              env=dict(os.environ, KUBEAUTH_LOCK_DIR=locks.LOCK_DIR))
    try:
        deadline = time.monotonic() + 20
        while locks.holder_of('single-node') is None and time.monotonic() < deadline:
            time.sleep(0.05)
        results, spans, out = run(root, [plan.job('node', holds=['single-node'], cpu=0)])
        assert holder.wait(timeout=20) == 0
    finally:
        holder.kill()
    assert results['node'][0] is True
    assert 'node waits: the single test node' in out and 'in use by pid %d (sleep 2)' % holder.pid in out
    assert spans['node']['start'] >= asked + 2  # after the holder's two seconds
