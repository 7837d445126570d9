# SPDX-License-Identifier: BSD-3-Clause
"""Checks and their report.  check() prints "ok: ..." or fails; fail()
raises Failure, which a benchmark may catch (one contender failing must not
hide the others) and which, uncaught, prints "FAIL: ..." with where the logs
were kept and ends the test with status 1.  A test may skip (status 77) only
where the kernel lacks what it needs: /dev/kvm."""
import os
import shutil
import sys
import tempfile
import time

SKIP = 77
T0 = time.monotonic()
WORKDIRS = []
# Where log() writes: a test's stdout; a tool whose stdout is its result
# (ferry-bench --json) sends the log to stderr (log_to()).
_LOG = sys.stdout


class Failure(Exception):
    """A check that did not hold, or a peer that did not behave."""


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), file=_LOG, flush=True)


def log_to(stream):
    global _LOG
    _LOG = stream


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    log("ok: " + msg)


def _report_failure(kind, value, tb):
    if not issubclass(kind, Failure):
        sys.__excepthook__(kind, value, tb)
        return
    log("FAIL: %s" % value)
    for d in WORKDIRS:
        log("logs and configs kept in " + d)


sys.excepthook = _report_failure


def require_kvm():
    """Skip, saying why, only where /dev/kvm is absent; fail where it is unusable."""
    if not os.path.exists("/dev/kvm"):
        print("SKIP: /dev/kvm is absent on this host", flush=True)
        sys.exit(SKIP)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        fail("/dev/kvm exists but is not accessible (run as root or join group kvm)")


def require_program(name, package):
    path = shutil.which(name)
    if not path:
        fail("%s is not installed (apt-get install %s)" % (name, package))
    return path


def workdir():
    """A scratch directory for sockets, configs and logs; passed() removes it."""
    WORKDIRS.append(tempfile.mkdtemp(prefix="ferry-test-"))
    return WORKDIRS[-1]


def passed():
    """Every check held: say so and drop the scratch directories (kept on failure)."""
    for d in WORKDIRS:
        shutil.rmtree(d, ignore_errors=True)
    print("PASS", flush=True)
