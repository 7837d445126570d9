# SPDX-License-Identifier: BSD-3-Clause
"""Process helpers shared by every contender: start a program pinned to CPUs,
wait for a Unix socket, stop it for sure, and read its output in the
background with timestamps (testpmd prints statistics only when asked)."""
import os
import signal
import subprocess
import threading
import time


class Proc:
    """A child process whose stdout/stderr lines are collected with times."""

    def __init__(self, argv, cpus=None, stdin=False, env=None, name=None):
        self.name = name or os.path.basename(argv[0])
        self.lines = []  # (monotonic time, line)
        self.lock = threading.Lock()
        pre = ["taskset", "-c", ",".join(str(c) for c in cpus)] if cpus else []
        self.p = subprocess.Popen(pre + argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  bufsize=1, env=env, start_new_session=True, errors="replace")
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            with self.lock:
                self.lines.append((time.monotonic(), line.rstrip("\n")))

    def send(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()

    def output(self, since=0.0):
        with self.lock:
            return [l for t, l in self.lines if t >= since]

    def text(self):
        return "\n".join(self.output())

    def wait_for(self, needle, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(needle in l for l in self.output()):
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=10):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        self.t.join(timeout=2)
        return self.p.returncode


def wait_socket(path, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def run(argv, check=True, **kw):
    return subprocess.run(argv, check=check, capture_output=True, text=True, **kw)
