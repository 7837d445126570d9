#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_demo: the README's main job, `ferry run` on its built-in defaults:
four guests in two tenants with the same MAC plan; traffic flows inside each
tenant and never across; ferry exits 0 only if all of that held."""
import sys

import e2e

ferry, guest = sys.argv[1], sys.argv[2]
e2e.require_kvm()
rc, out, err = e2e.run([ferry, "run"], timeout=600)
print(out)
print(err, file=sys.stderr)
res = e2e.vm_results(out)
e2e.check(rc == 0, "ferry run (the demo) exits 0")
for vm in ("red1", "red2", "blue1", "blue2"):
    r = e2e.last_result(res, vm)
    e2e.check(r.get("foreign") == "0", "%s: no frame from the other tenant" % vm)
for vm in ("red1", "blue1"):
    r = e2e.last_result(res, vm)
    e2e.check(r.get("received") == r.get("sent") and r.get("lost") == "0",
              "%s: every request came back (%s of %s)" % (vm, r.get("received"), r.get("sent")))
e2e.check("every VM passed its checks" in out, "the summary says so")
print("PASS")
