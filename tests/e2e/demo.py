#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_demo: the README's main job, `ferry run` on its built-in defaults:
four guests in two tenants with the same MAC plan; traffic flows inside each
tenant and never across; ferry exits 0 only if all of that held."""
from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
rc, out, _ = f.run_ferry(["run"])
res = f.results(out)
t.check(rc == 0, "ferry run (the demo) exits 0")
for vm in ("red1", "red2", "blue1", "blue2"):
    r = f.last_result(res, vm)
    t.check(r.get("foreign") == "0", "%s: no frame from the other tenant" % vm)
for vm in ("red1", "blue1"):
    r = f.last_result(res, vm)
    t.check(r.get("received") == r.get("sent") and r.get("lost") == "0",
            "%s: every request came back (%s of %s)" % (vm, r.get("received"), r.get("sent")))
s = f.summary(out)
t.check(all(v == "passed" for _, v in s["vms"].values()) and len(s["vms"]) == 4,
        "the table reads passed for all 4 VMs (%s)" % s["vms"])
t.check(s["verdict"] == "ferry: every VM passed its checks", "the summary says so")
t.passed()
