"""Named, timed steps: each prints its time, and a failure names the step and the log to read."""

import contextlib
import os
import subprocess
import time


class StepError(Exception):
    """A step failed: what failed, and the log that says why."""

    def __init__(self, step, message, log=None):
        super().__init__(message)
        self.step, self.message, self.log = step, message, log

    def report(self):
        lines = ['FAILED step "%s": %s' % (self.step, self.message)]
        if self.log:
            lines.append('  log: %s' % self.log)
            lines.extend('    ' + line for line in tail(self.log).splitlines())
        return '\n'.join(lines)


def say(message):
    print(message, flush=True)


def tail(path, lines=30):
    """The last lines of a log, or a note that it is missing."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            data = handle.read().decode('utf-8', 'replace')
    except OSError as exc:
        return '(no log %s: %s)' % (path, exc)
    return '\n'.join(data.splitlines()[-lines:])


@contextlib.contextmanager
def step(name, log=None):
    """Print the step and its time; turn any other error into a StepError naming the step."""
    started = time.monotonic()
    say('[%s] ...' % name)
    try:
        yield
    except StepError:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught  # every failure must name its step
        raise StepError(name, '%s: %s' % (type(exc).__name__, exc), log) from exc
    say('[%s] done in %.1fs' % (name, time.monotonic() - started))


def run(name, command, log, *, env=None, cwd=None, timeout=1800):
    """Run a command with its output appended to log; a non-zero exit is a StepError of step name."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, 'a', encoding='utf-8') as handle:
        handle.write('\n$ %s\n' % ' '.join(command))
        handle.flush()
        try:
            result = subprocess.run(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=handle,
                                    stderr=subprocess.STDOUT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StepError(name, 'timed out after %ss: %s' % (timeout, ' '.join(command)), log) from exc
        except OSError as exc:
            raise StepError(name, '%s: %s' % (exc, ' '.join(command)), log) from exc
    if result.returncode != 0:
        raise StepError(name, 'exit %d: %s' % (result.returncode, ' '.join(command)), log)


def wait_for(name, what, probe, *, timeout, log=None, alive=None, interval=1.0):
    """Poll probe() until it returns a true value; fail at once if alive() says the process behind it exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if alive is not None and not alive():
            raise StepError(name, 'exited while waiting for %s' % what, log)
        if time.monotonic() > deadline:
            raise StepError(name, 'timed out after %ss waiting for %s' % (timeout, what), log)
        time.sleep(interval)
