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


def vm_results(text):
    """{vm name: [result dicts]} from '[name] FERRY-RESULT k=v ...' console lines."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("[") or "] FERRY-RESULT " not in line:
            continue
        name, rest = line[1:].split("] FERRY-RESULT ", 1)
        out.setdefault(name, []).append(dict(w.split("=", 1) for w in rest.split() if "=" in w))
    return out


def last_result(res, vm):
    if vm not in res or not res[vm]:
        fail("VM %s printed no FERRY-RESULT line" % vm)
    return res[vm][-1]


def write_config(path, guest, tenants, vms, switch=None):
    """A ferry config: tenants {name: vni}, vms [(name, tenant, mac, cmdline)]."""
    import json
    cfg = {
        "switch": switch or {"hugepages": "auto", "mbufs": 16384},
        "tenants": [{"name": n, "vni": v} for n, v in tenants.items()],
        "vms": [{"name": n, "kernel": os.path.abspath(guest), "memory": "64M", "cmdline": c, "debug_exit": True,
                 "nics": [{"tenant": t, "mac": m}]} for n, t, m, c in vms],
    }
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)


def run_config(ferry, path, timeout=600):
    rc, out, err = run([ferry, "run", path], timeout=timeout)
    print(out)
    print(err, file=sys.stderr)
    return rc, out, vm_results(out)
