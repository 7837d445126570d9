#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_hostile_guest: a real KVM guest turns hostile on the switch.

In tenant "evil" a guest corrupts its transmit ring six ways in turn - a
descriptor loop, a buffer outside guest RAM, a 4 GiB length, a next index
beyond the ring, an available index jumping ahead by more than the ring,
an indirect table it never negotiated - kicking after each and waiting for
the device to set DEVICE_NEEDS_RESET.  Each time Ferry must stop serving
only that queue, log that attack's own reason, and raise NEEDS_RESET.  Then
it turns every receive buffer device-readable (a chain the device must
refuse, but no broken rule) and keeps its receive ring full of them for
RXLOOP_MS, reposting each chain the moment the device returns it, while
its server's answers keep coming: a device that takes chains until the
ring runs dry would never leave while the guest keeps up, and its PMD
thread would serve no one else (the class of CVE-2019-3900).  Whether the
guest keeps up depends on the scheduler, so the guest first measures, one
answer at a time, how many chains the device takes for one frame: Ferry
must stop within a budget per burst (a few chains, never the whole ring),
and raise no NEEDS_RESET.  After a reset the same guest must get a working
NIC and finish an echo session with its server.  Meanwhile a pair in
tenant "good", on the same PMD, runs a paced echo session across all of it
and must lose nothing.  ferry exits 0 only if every guest passed.

ferry's log and the guests' consoles are read as one stream: Ferry logs a
broken queue before it raises NEEDS_RESET, and the guest reports an attack
only after it saw NEEDS_RESET, so each attack's log line comes after the
guest's report of the one before and before its own."""
import os
import re

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
CLIENT, SERVER = "52:54:00:00:00:01", "52:54:00:00:00:02"
RXLOOP_MS, GOOD_TIMEOUT_MS = 6000, 20000
PER_FRAME_MAX = 64  # a burst's worth; the ring holds 256
# Each attack (tests/guest/net_attack.c) and what Ferry must say about it.
ATTACKS = [
    ("loop", r"descriptor loop from head \d+"),
    ("oob", r"buffer 0x400000000000\+64 not in guest memory"),
    ("huge", r"buffer 0x[0-9a-f]+\+4294967295 not in guest memory"),
    ("index", r"descriptor index 263 out of range 256"),
    ("jump", r"guest moved avail index from \d+ to \d+"),
    ("indirect", r"indirect descriptor without VIRTIO_F_INDIRECT_DESC"),
]
BROKEN = re.compile(r"evil-client\.0 q1: queue broken, no longer served: (.*)")

vms = [
    f.guest_vm("evil-client", CLIENT, "mode=net role=client tag=evil peer=%s count=1000 "
               "attack=all attack=rxloop attack_ms=%d timeout_ms=60000" % (SERVER, RXLOOP_MS),
               tenant="evil"),
    f.guest_vm("evil-server", SERVER, "mode=net role=server tag=evil count=1000 "
               "timeout_ms=90000", tenant="evil"),
    f.guest_vm("good-client", CLIENT, "mode=net role=client tag=good peer=%s count=4000 "
               "rate=1000 timeout_ms=%d" % (SERVER, GOOD_TIMEOUT_MS), tenant="good"),
    f.guest_vm("good-server", SERVER, "mode=net role=server tag=good count=4000 "
               "timeout_ms=60000", tenant="good"),
]
tmp = t.workdir()
cfg = f.write_config(os.path.join(tmp, "hostile.json"), {"evil": 66, "good": 77}, vms)
ferry = f.start_ferry(cfg, tmp)
rc = ferry.wait(600)
out = ferry.text()
res = f.results(out)

t.check(rc == 0, "ferry survived and every guest passed (exit %d)" % rc)
attack = next((r for r in res.get("evil-client", []) if "attack" in r), {})
t.check(attack.get("attack") == "6" and attack.get("detected") == "6",
        "the device asked for a reset after each of the 6 attacks (detected %s, missed %s)"
        % (attack.get("detected"), attack.get("missed")))
pos = 0
for name, reason in ATTACKS:
    report = re.compile(r"\[evil-client\] ferry-guest: net: attack %s: the device needs a reset"
                        % name)
    m = report.search(out, pos)
    t.check(m is not None, "%s: the guest saw NEEDS_RESET" % name)
    logged = [b.group(1) for b in BROKEN.finditer(out, pos, m.start())]
    t.check(len(logged) == 1 and re.fullmatch(reason, logged[0]),
            "%s: ferry broke the queue for this attack's own reason /%s/ (logged %s)"
            % (name, reason, logged))
    pos = m.end()
t.check(not re.search(r"good-\S+ q\d: queue broken", out), "no queue of the other tenant broke")
rxloop = next((r for r in res.get("evil-client", []) if r.get("attack") == "rxloop"), {})
t.check(int(rxloop.get("refused", "0")) > 0 and rxloop.get("needs_reset") == "0",
        "rxloop: the device refused %s receive chains in %s ms and asked for no reset"
        % (rxloop.get("refused"), rxloop.get("ms")))
# The root of the stall, measured one frame at a time so no scheduling can
# hide it: a device that walks refused chains until the ring is dry takes the
# whole ring (here %s chains) for every frame; a budget stops it after a few.
per_frame = int(rxloop.get("per_frame", "-1"))
t.check(0 < per_frame <= PER_FRAME_MAX,
        "rxloop: for one frame the device took at most %d refused chains, not the ring's %s "
        "(the budget ends a burst; it took %d)" % (PER_FRAME_MAX, rxloop.get("ring"), per_frame))
t.check(re.search(r"evil-client\.0 q0: unusable receive chain", out) is not None,
        "rxloop: ferry said why it refused them")
t.check(not re.search(r"evil-client\.0 q0: queue broken", out),
        "rxloop: refused chains break no rule, so the receive queue was not broken")
evil = f.last_result(res, "evil-client")
t.check(evil.get("received") == "1000" and evil.get("lost") == "0",
        "after a reset the attacker's NIC works again (%s of 1000 echoes)" % evil.get("received"))
good = f.last_result(res, "good-client")
t.check(good.get("received") == "4000" and good.get("lost") == "0"
        and good.get("foreign") == "0" and good.get("bad") == "0",
        "the other tenant's session lost nothing (received %s, lost %s, foreign %s)"
        % (good.get("received"), good.get("lost"), good.get("foreign")))
t.passed()
