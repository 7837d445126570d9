#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_tenant_isolation: two tenants with the same MAC plan, three guests
each (client, server, sink).  Unicast and broadcast traffic inside each
tenant must arrive in full; no frame may cross tenants: every guest counts
frames carrying another tenant's tag as 'foreign', and all must be zero.
Flooding (broadcasts, and unknown unicast before learning) must reach the
sink of the same tenant only."""
import os

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
CLIENT, SERVER, SINK = "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"
COUNT, BCAST = 2000, 200

vms = []
for tn in ("red", "blue"):
    vms += [
        f.guest_vm(tn + "-client", CLIENT, "mode=net role=client tag=%s peer=%s count=%d bcast=%d "
                   "timeout_ms=20000" % (tn, SERVER, COUNT, BCAST), tenant=tn),
        f.guest_vm(tn + "-server", SERVER, "mode=net role=server tag=%s count=%d bcast=%d "
                   "timeout_ms=60000" % (tn, COUNT, BCAST), tenant=tn),
        f.guest_vm(tn + "-sink", SINK, "mode=net role=sink tag=%s timeout_ms=15000" % tn,
                   tenant=tn),
    ]
tmp = t.workdir()
cfg = f.write_config(os.path.join(tmp, "isolation.json"), {"red": 100, "blue": 200}, vms)
rc, out, _ = f.run_ferry(["run", cfg], timeout=900)
res = f.results(out)
t.check(rc == 0, "every guest passed its own checks (ferry exit %d)" % rc)
for tn in ("red", "blue"):
    c = f.last_result(res, tn + "-client")
    s = f.last_result(res, tn + "-server")
    k = f.last_result(res, tn + "-sink")
    t.check(c.get("received") == str(COUNT) and c.get("lost") == "0",
            "%s: client got all %d echoes back (%s)" % (tn, COUNT, c.get("received")))
    t.check(int(s.get("bcast_rx", "0")) == BCAST,
            "%s: server saw all %d broadcasts (%s)" % (tn, BCAST, s.get("bcast_rx")))
    t.check(int(k.get("bcast_rx", "0")) == BCAST,
            "%s: the sink saw all %d flooded broadcasts (%s)" % (tn, BCAST, k.get("bcast_rx")))
    for who, r in (("client", c), ("server", s), ("sink", k)):
        t.check(r.get("foreign") == "0" and r.get("bad") == "0",
                "%s %s: zero frames from the other tenant (foreign=%s bad=%s)"
                % (tn, who, r.get("foreign"), r.get("bad")))
t.check(f.summary(out)["verdict"] == "ferry: every VM passed its checks", "ferry's summary agrees")
t.passed()
