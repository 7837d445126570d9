#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_hostile_guest: a real KVM guest turns hostile on the switch.

In tenant "evil" a guest corrupts its transmit ring six ways in turn - a
descriptor loop, a buffer outside guest RAM, a 4 GiB length, a next index
beyond the ring, an available index jumping ahead by more than the ring,
an indirect table it never negotiated - kicking after each and waiting for
the device to set DEVICE_NEEDS_RESET.  Each time Ferry must stop serving
only that queue, log why, and raise NEEDS_RESET; after a reset the same
guest must get a working NIC and finish an echo session with its server.
Meanwhile a pair in tenant "good" runs a paced echo session across all of
it and must lose nothing.  ferry exits 0 only if every guest passed."""
import json
import os
import sys
import tempfile

import e2e

ferry, guest = sys.argv[1], sys.argv[2]
e2e.require_kvm()
CLIENT, SERVER = "52:54:00:00:00:01", "52:54:00:00:00:02"
REASONS = ["descriptor loop", "not in guest memory", "out of range",
           "guest moved avail index", "indirect descriptor without"]

vms = [
    ("evil-client", "evil", CLIENT, "mode=net role=client tag=evil peer=%s count=1000 attack=all "
     "timeout_ms=20000" % SERVER),
    ("evil-server", "evil", SERVER, "mode=net role=server tag=evil count=1000 timeout_ms=60000"),
    ("good-client", "good", CLIENT, "mode=net role=client tag=good peer=%s count=4000 rate=1000 "
     "timeout_ms=20000" % SERVER),
    ("good-server", "good", SERVER, "mode=net role=server tag=good count=4000 timeout_ms=60000"),
]
with tempfile.TemporaryDirectory() as tmp:
    cfg = os.path.join(tmp, "hostile.json")
    e2e.write_config(cfg, guest, {"evil": 66, "good": 77}, vms)
    rc, out, err = e2e.run([ferry, "run", cfg], timeout=600)
print(out)
print(err, file=sys.stderr)
res = e2e.vm_results(out)

e2e.check(rc == 0, "ferry survived and every guest passed (exit %d)" % rc)
attack = next((r for r in res.get("evil-client", []) if "attack" in r), {})
e2e.check(attack.get("attack") == "6" and attack.get("detected") == "6",
          "the device asked for a reset after each of the 6 attacks (detected %s, missed %s)"
          % (attack.get("detected"), attack.get("missed")))
broken = [l for l in err.splitlines() if "evil-client.0 q1: queue broken, no longer served:" in l]
for reason in REASONS:
    e2e.check(any(reason in l for l in broken), "ferry logged the broken queue: '%s'" % reason)
e2e.check(not any("good-" in l and "broken" in l for l in err.splitlines()),
          "no queue of the other tenant broke")
evil = e2e.last_result(res, "evil-client")
e2e.check(evil.get("received") == "1000" and evil.get("lost") == "0",
          "after a reset the attacker's NIC works again (%s of 1000 echoes)" % evil.get("received"))
good = e2e.last_result(res, "good-client")
e2e.check(good.get("received") == "4000" and good.get("lost") == "0"
          and good.get("foreign") == "0" and good.get("bad") == "0",
          "the other tenant's session lost nothing (received %s, lost %s, foreign %s)"
          % (good.get("received"), good.get("lost"), good.get("foreign")))
print("PASS")
