"""Runs the plan's jobs side by side: each as soon as what it needs has passed, a CPU slot of its pool is free and
its resources can be held; one log per job, a live line per running job, each job's time and the total at the end."""

import os
import shutil
import signal
import subprocess
import sys
import time

from kubeauth_node import locks

CPU_SLOTS = 3  # the machine's two cores, and one more for what the jobs spend waiting (plan.py: cpu)
NICE_SLOTS = 4  # the niced jobs' own slots: they take what the others leave (plan.py: nice)
NICE = 10  # their priority
PROGRESS_EVERY = 60  # seconds between progress lines when not on a terminal
TAIL_PASSED = 12  # lines of a passed job's log shown when it ends (a failed job's log is shown whole)
# After this many seconds a job still waiting for what it needs is waiting for a cold build (on a warm machine the
# builds pass and the servers are up within a minute): the jobs planned after it no longer wait for it (ready()).
ORDER_GRACE = 180


def yield_sessions(nice=NICE):
    """With Linux's autogroup scheduling on, the CPU is shared between sessions, not processes: a niced process in a
    session of its own (each job is one, and so is a daemon a job starts with setsid: containerd, etcd, the HA
    cluster's apiservers) still gets a full share. Every session whose processes run niced gets that priority as the
    session's too (/proc/PID/autogroup); without autogroups, or without the right to set it, nothing changes."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='ascii', errors='replace') as handle:
                if int(handle.read().rsplit(')', 1)[1].split()[16]) < nice:  # field 19 of stat: the process's nice
                    continue
            path = '/proc/%s/autogroup' % entry
            with open(path, encoding='ascii') as handle:
                if not handle.read().rstrip().endswith(' nice 0'):
                    continue
            with open(path, 'w', encoding='ascii') as handle:
                handle.write(str(nice))
        except (OSError, ValueError, IndexError):
            continue


def minutes(seconds):
    return '%d:%02d' % divmod(int(seconds), 60)


class Running:
    def __init__(self, job, process, log_path, holds, started):
        self.job, self.process, self.log_path, self.holds, self.started = job, process, log_path, holds, started


class Scheduler:
    def __init__(self, jobs, root, run_dir, env, out=sys.stdout, after_job=None):
        self.jobs, self.root, self.run_dir, self.env, self.out = jobs, root, run_dir, env, out
        self.after_job = after_job  # called with the scheduler each time a job has ended
        self.pending = list(jobs)
        self.names = {job.name for job in jobs}  # an `after` outside this run orders nothing
        self.running = {}
        self.results = {}  # name -> (passed, seconds, started offset, note)
        self.cpu = {}  # name -> CPU seconds (Scheduler.ended)
        self.t0 = time.monotonic()
        self.tty = out.isatty()
        self.last_progress = 0.0
        self.last_yield = 0.0
        self.last_lines = {}

    # ------------------------------------------------------------------ output
    def say(self, text):
        self.out.write('%s[%s] %s\n' % ('\r\033[K' if self.tty else '', time.strftime('%H:%M:%S'), text))
        self.out.flush()

    def last_line(self, path):
        try:
            with open(path, 'rb') as handle:
                handle.seek(max(0, os.path.getsize(path) - 4096))
                lines = [line.strip() for line in handle.read().decode('utf-8', 'replace').splitlines() if line.strip()]
        except OSError:
            return ''
        text = lines[-1] if lines else ''
        text = ''.join(ch for ch in text if ch.isprintable())
        return text[:100]

    def progress(self):
        now = time.monotonic()
        if not self.running or now - self.last_progress < (2 if self.tty else PROGRESS_EVERY):
            return
        self.last_progress = now
        for name, run in sorted(self.running.items()):
            line = self.last_line(run.log_path)
            if self.tty or self.last_lines.get(name) != line:
                self.say('  .. %-20s %6s  %s' % (name, minutes(now - run.started), line))
                self.last_lines[name] = line
        waiting = [job.name for job in self.pending]
        if waiting:
            self.say('  .. waiting: %s' % ' '.join(waiting))

    def show_log(self, name, path, passed):
        with open(path, encoding='utf-8', errors='replace') as handle:
            lines = handle.read().splitlines()
        shown = lines if not passed else lines[-TAIL_PASSED:]
        self.out.write('\033[1m--- %s: %s%s (log %s)\033[0m\n' % (
            name, 'passed' if passed else 'FAILED', '' if not passed or len(lines) <= TAIL_PASSED else
            ', last %d of %d lines' % (TAIL_PASSED, len(lines)), path))
        for line in shown:
            self.out.write('  %s\n' % line)
        self.out.flush()

    # -------------------------------------------------------------- scheduling
    def blocked_by_failure(self, job):
        failed = [need for need in job.needs if need in self.results and not self.results[need][0]]
        return failed

    def needs_passed(self, job):
        return all(need in self.results and self.results[need][0] for need in job.needs)

    def ready(self, job):
        """What the job needs has passed, and what it comes after (when in this run) has ended, or is held up by a
        cold build: on a fresh machine the single node's chain starts with the stage whose builds are done (node,
        while the authentik servers build) instead of waiting for the first in the plan's order."""
        return self.needs_passed(job) and all(name in self.results or self.held_up(name) for name in job.after if name in self.names)

    def held_up(self, name):
        """Not started, ORDER_GRACE seconds into the run, because something it needs has not passed yet."""
        waiting = [job for job in self.pending if job.name == name]
        return bool(waiting) and time.monotonic() - self.t0 > ORDER_GRACE and not self.needs_passed(waiting[0])

    def cpu_free(self, nice=False):
        """Free slots of the pool a job runs in: the niced jobs' own, or the others'."""
        return (NICE_SLOTS if nice else CPU_SLOTS) - sum(run.job.cpu for run in self.running.values() if run.job.nice == nice)

    def build_running(self):
        return any(run.job.build for run in self.running.values())

    def in_use(self):
        """Resources this run's own jobs hold (its locks would let the scheduler, their holder, in again)."""
        return {resource for run in self.running.values() for resource in run.job.holds}

    def start(self, job):
        if self.in_use() & set(job.holds):
            return False
        holds = []
        for resource in job.holds:
            try:
                holds.append(locks.Hold(resource, purpose='tests/run.sh %s' % job.name).acquire())
            except locks.Busy as exc:
                for hold in holds:
                    hold.release()
                if not self.last_lines.get('busy:' + job.name):
                    self.say('%s waits: %s' % (job.name, exc))
                    self.last_lines['busy:' + job.name] = True
                return False
        log_path = os.path.join(self.run_dir, job.name + '.log')
        env = dict(self.env, KUBEAUTH_JOB=job.name, KUBEAUTH_TREE_ROOT=os.path.join(self.run_dir, 'trees', job.name))
        handle = open(log_path, 'wb')  # pylint: disable=consider-using-with  # closed when the job ends
        command = ['bash', os.path.join(self.root, 'tests', 'run.sh'), '--job', job.name]
        process = subprocess.Popen((['nice', '-n', str(NICE)] if job.nice else []) + command,
                                   stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   cwd=self.root, start_new_session=True)
        handle.close()
        if job.nice:
            yield_sessions()  # the job's own session at once; those its daemons make, every few seconds
        self.running[job.name] = Running(job, process, log_path, holds, time.monotonic())
        self.say('start %s%s' % (job.name, ' (holds %s)' % ', '.join(job.holds) if job.holds else ''))
        return True

    @staticmethod
    def ended(run):
        """(exit code, CPU seconds of the job and the descendants it waited for) once the job has ended, else None.
        Daemons a job starts and leaves running (kubelet, containerd, apiservers, real servers) are not counted."""
        pid, status, usage = os.wait4(run.process.pid, os.WNOHANG)
        if pid == 0:
            return None
        run.process.returncode = os.waitstatus_to_exitcode(status)
        return run.process.returncode, usage.ru_utime + usage.ru_stime

    def finish(self, name, code):
        run = self.running.pop(name)
        for hold in run.holds:
            hold.release()
        seconds = time.monotonic() - run.started
        passed = code == 0
        self.results[name] = (passed, seconds, run.started - self.t0, '' if passed else 'exit %d' % code)
        self.say('%s %s in %s' % (name, 'passed' if passed else 'FAILED', minutes(seconds)))
        self.show_log(name, run.log_path, passed)
        if self.after_job:
            self.after_job(self)

    def step(self):
        for name, run in list(self.running.items()):
            ended = self.ended(run)
            if ended is not None:
                self.cpu[name] = ended[1]
                self.finish(name, ended[0])
        if any(run.job.nice for run in self.running.values()) and time.monotonic() - self.last_yield >= 5:
            self.last_yield = time.monotonic()
            yield_sessions()
        for job in list(self.pending):
            failed = self.blocked_by_failure(job)
            if failed:
                self.pending.remove(job)
                self.results[job.name] = (False, 0.0, time.monotonic() - self.t0, 'not run: %s failed' % ', '.join(failed))
                self.say('%s not run: it needs %s, which failed' % (job.name, ', '.join(failed)))
                continue
            if not self.ready(job) or job.cpu > self.cpu_free(job.nice) or (job.build and self.build_running()):
                continue
            if self.start(job):
                self.pending.remove(job)

    def run(self):
        try:
            while self.pending or self.running:
                self.step()
                self.progress()
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stop_all()
            raise
        return self.results

    def stop_all(self):
        now = time.monotonic()
        for name, run in self.running.items():
            self.results[name] = (False, now - run.started, run.started - self.t0, 'stopped')
        for run in self.running.values():
            try:
                os.killpg(run.process.pid, signal.SIGTERM)
            except OSError:
                pass
        for run in self.running.values():
            try:
                run.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(run.process.pid, signal.SIGKILL)
            for hold in run.holds:
                hold.release()


def prune_runs(runs_dir, keep=5):
    """Old runs' logs and trees: the newest few are kept."""
    try:
        names = sorted(name for name in os.listdir(runs_dir) if name[:1].isdigit())
    except OSError:
        return
    for name in names[:-keep]:
        shutil.rmtree(os.path.join(runs_dir, name), ignore_errors=True)
