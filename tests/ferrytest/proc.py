# SPDX-License-Identifier: BSD-3-Clause
"""Child processes.  A Proc runs in its own process group (so a stop reaches
everything it started), optionally pinned to CPUs, and a thread collects its
stdout and stderr together as they come, so a test can wait for a line while
the process runs.  Every Proc still alive when the program exits is killed:
a failed check must not leave a busy-polling peer behind.  run() is the
one-shot form, with stdout and stderr apart."""
import atexit
import os
import re
import signal
import subprocess
import threading
import time

from .check import fail, log

LIVE = []


@atexit.register
def _kill_leftovers():
    for p in LIVE:
        if p.alive():
            p.kill()


class Proc:
    def __init__(self, name, argv, stdin=False, logdir=None, cpus=None, env=None):
        LIVE.append(self)
        self.name = name
        self.buf = ""
        self.lock = threading.Lock()
        pre = ["taskset", "-c", ",".join(str(c) for c in cpus)] if cpus else []
        log("start %s: %s" % (name, " ".join(pre + list(argv))))
        self.logf = open(os.path.join(logdir, name + ".log"), "a") if logdir else None
        self.p = subprocess.Popen(pre + list(argv),
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        while True:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return
            text = chunk.decode(errors="replace")
            with self.lock:
                self.buf += text
            if self.logf:
                self.logf.write(text)
                self.logf.flush()

    def text(self, since=0):
        """The output so far, from offset @since (a size() taken earlier)."""
        with self.lock:
            return self.buf[since:]

    def size(self):
        with self.lock:
            return len(self.buf)

    def send(self, line):
        """One line on the process's stdin (Proc(..., stdin=True))."""
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def find_text(self, pattern, timeout, since=0):
        """The first match of @pattern after offset @since, or None if it did not
        come within @timeout seconds or the process ended without printing it."""
        rx = re.compile(pattern, re.S)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(since))
            if m:
                return m
            if self.p.poll() is not None:
                self.t.join(2)  # let the reader drain the last output
                return rx.search(self.text(since))
            if time.monotonic() >= end:
                return None
            time.sleep(0.05)

    def wait_text(self, pattern, timeout, since=0):
        """Like find_text(), but a missing match fails, showing the output."""
        m = self.find_text(pattern, timeout, since)
        if m:
            return m
        if self.p.poll() is not None:
            fail("%s exited (status %s) before printing /%s/; output:\n%s"
                 % (self.name, self.p.returncode, pattern, self.text()[-4000:]))
        fail("%s: no /%s/ within %.0fs; output:\n%s" % (self.name, pattern, timeout,
                                                        self.text(since)[-4000:]))

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """The exit status; a process still running after @timeout is killed and fails."""
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("%s did not exit within %ds" % (self.name, timeout))
        finally:
            self.t.join(5)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the process group, wait for it: the exit status."""
        self.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        self.send_signal(signal.SIGKILL)
        self.p.wait()
        self.t.join(5)


def run(argv, timeout=300, stdin=subprocess.DEVNULL, quiet=False, **kw):
    """Run a command to its end: (exit status, stdout, stderr); a timeout fails."""
    if not quiet:
        log("$ " + " ".join(argv))
    try:
        p = subprocess.run(argv, stdin=stdin, capture_output=True, text=True,
                           timeout=timeout, errors="replace", **kw)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        fail("%s timed out after %ds; output so far:\n%s" % (argv[0], timeout, out[-2000:]))
    return p.returncode, p.stdout, p.stderr


def wait_until(cond, timeout, what, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(step)
    fail("timed out after %.0fs waiting for %s" % (timeout, what))


def wait_socket(path, timeout=30):
    wait_until(lambda: os.path.exists(path), timeout, "socket " + path)
