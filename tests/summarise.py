#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sums meson's JSON test logs into the one line CI reads: "N passed, N failed".

usage: summarise.py TESTLOG.json [TESTLOG.json...]

A skip is a pass only where the kernel lacks what the test needs, and the
only such thing the suites skip for is /dev/kvm.  So when /dev/kvm is there
and usable, every skip counts as a failure and the line says so: a test that
skips on a machine able to run it has stopped testing anything.  Each failed
or skipped test is named, with the reason it printed."""
import json
import os
import sys


def kvm_usable():
    return os.path.exists("/dev/kvm") and os.access("/dev/kvm", os.R_OK | os.W_OK)


def reason(entry):
    """The SKIP/FAIL line the test printed, or its last line of output."""
    lines = [l for l in (entry.get("stdout") or "").splitlines() if l.strip()]
    for l in reversed(lines):
        if "SKIP" in l or "FAIL" in l:
            return l.strip()[:200]
    return lines[-1].strip()[:200] if lines else "(no output)"


def main(paths):
    passed, failed, skipped = 0, [], []
    for path in paths:
        try:
            with open(path) as f:
                entries = [json.loads(l) for l in f if l.strip()]
        except (OSError, ValueError) as e:
            failed.append((path, "unreadable test log: %s" % e))
            continue
        tree = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
        for e in entries:
            name = "%s/%s" % (tree, e.get("name"))
            r = e.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped.append((name, reason(e)))
            else:
                failed.append((name, "%s: %s" % (r, reason(e))))
    strict = kvm_usable()
    for name, why in failed:
        print("failed: %s (%s)" % (name, why))
    for name, why in skipped:
        print("skipped: %s (%s)" % (name, why))
    nfail = len(failed) + (len(skipped) if strict else 0)
    line = "%d passed, %d failed" % (passed, nfail)
    if skipped and strict:
        line += " (%d skipped, counted as failed: /dev/kvm is usable here)" % len(skipped)
    elif skipped:
        line += " (%d skipped: this kernel has no usable /dev/kvm)" % len(skipped)
    print(line)
    return 1 if nfail else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
