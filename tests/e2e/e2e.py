# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for Ferry's end-to-end tests: run ferry, parse the test
guest's FERRY-RESULT lines, skip (exit 77) only when the kernel lacks KVM."""
import os
import subprocess
import sys

SKIP = 77


def require_kvm():
    """Skip with a printed reason only where /dev/kvm is absent."""
    if not os.path.exists("/dev/kvm"):
        print("SKIP: /dev/kvm is absent on this host")
        sys.exit(SKIP)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        fail("/dev/kvm exists but is not accessible (run as root or join group kvm)")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def run(argv, timeout=300, stdin=subprocess.DEVNULL):
    """Run a command; returns (exit status, stdout, stderr)."""
    print("$ " + " ".join(argv), flush=True)
    try:
        p = subprocess.run(argv, stdin=stdin, capture_output=True, text=True,
                           timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        fail("timed out after %ds; output so far:\n%s" % (timeout, out[-2000:]))
    return p.returncode, p.stdout, p.stderr


def results(text):
    """Every 'FERRY-RESULT k=v ...' line as a dict, in order."""
    out = []
    for line in text.splitlines():
        if line.startswith("FERRY-RESULT "):
            out.append(dict(w.split("=", 1) for w in line.split()[1:] if "=" in w))
    return out


def result(text, **match):
    """The first result whose keys include every key=value in @match."""
    for r in results(text):
        if all(r.get(k) == str(v) for k, v in match.items()):
            return r
    fail("no FERRY-RESULT line with %s in:\n%s" % (match, text[-3000:]))
    return None
