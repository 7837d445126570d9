#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_tenant_isolation: two tenants with the same MAC plan, three guests
each (client, server, sink).  Unicast and broadcast traffic inside each
tenant must arrive in full; no frame may cross tenants: every guest counts
frames carrying another tenant's tag as 'foreign', and all must be zero.
Flooding (broadcasts, and unknown unicast before learning) must reach the
sink of the same tenant only."""
import os
import sys
import tempfile

import e2e

ferry, guest = sys.argv[1], sys.argv[2]
e2e.require_kvm()
CLIENT, SERVER, SINK = "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"
COUNT, BCAST = 2000, 200

vms = []
for t in ("red", "blue"):
    vms += [
        (t + "-client", t, CLIENT, "mode=net role=client tag=%s peer=%s count=%d bcast=%d "
         "timeout_ms=20000" % (t, SERVER, COUNT, BCAST)),
        (t + "-server", t, SERVER, "mode=net role=server tag=%s count=%d bcast=%d timeout_ms=60000"
         % (t, COUNT, BCAST)),
        (t + "-sink", t, SINK, "mode=net role=sink tag=%s timeout_ms=15000" % t),
    ]
with tempfile.TemporaryDirectory() as tmp:
    cfg = os.path.join(tmp, "isolation.json")
    e2e.write_config(cfg, guest, {"red": 100, "blue": 200}, vms)
    rc, out, res = e2e.run_config(ferry, cfg, timeout=900)

e2e.check(rc == 0, "every guest passed its own checks (ferry exit %d)" % rc)
for t in ("red", "blue"):
    c = e2e.last_result(res, t + "-client")
    s = e2e.last_result(res, t + "-server")
    k = e2e.last_result(res, t + "-sink")
    e2e.check(c.get("received") == str(COUNT) and c.get("lost") == "0",
              "%s: client got all %d echoes back (%s)" % (t, COUNT, c.get("received")))
    e2e.check(int(s.get("bcast_rx", "0")) == BCAST,
              "%s: server saw all %d broadcasts (%s)" % (t, BCAST, s.get("bcast_rx")))
    e2e.check(int(k.get("bcast_rx", "0")) == BCAST,
              "%s: the sink saw all %d flooded broadcasts (%s)" % (t, BCAST, k.get("bcast_rx")))
    for who, r in (("client", c), ("server", s), ("sink", k)):
        e2e.check(r.get("foreign") == "0" and r.get("bad") == "0",
                  "%s %s: zero frames from the other tenant (foreign=%s bad=%s)"
                  % (t, who, r.get("foreign"), r.get("bad")))
e2e.check("every VM passed" in out, "ferry's summary agrees")
print("PASS")
