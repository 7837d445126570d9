#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_frontend_reconnect: Ferry as a vhost-user frontend outlives its
backend.  Two Ferry VMs have NICs served by dpdk-testpmd (net_vhost, io
forwarding between its two ports); a pktgen sender streams to a pktgen
receiver through it.  Mid-stream testpmd is killed (SIGKILL: no goodbye) and
a new testpmd started on the same sockets.  Ferry must take the links down,
reconnect, replay each session (features the guests acked, memory, rings
resumed where they were last used) and bring the links up, with no guest
reset: the stream continues through the new testpmd and both guests pass."""
import os
import re
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd
from ferrytest.proc import wait_socket, wait_until

A_MAC, B_MAC = "52:54:00:00:4c:01", "52:54:00:00:4d:01"
RATE, DURATION_MS = 2000, 9000
BEFORE = 1000  # frames forwarded by the first testpmd before it is killed

t.require_kvm()
tmp = t.workdir()
s0, s1 = os.path.join(tmp, "be0.sock"), os.path.join(tmp, "be1.sock")
vdevs = ["net_vhost0,iface=%s,queues=1" % s0, "net_vhost1,iface=%s,queues=1" % s1]


def start_testpmd(name):
    for s in (s0, s1):
        if os.path.exists(s):
            os.unlink(s)  # DPDK's vhost server does not replace a stale socket file
    pmd = TestPmd(name, vdevs, tmp)
    pmd.ready()
    pmd.cmd("start")
    wait_socket(s0)
    wait_socket(s1)
    return pmd


first = start_testpmd("testpmd-a")
cfg = os.path.join(tmp, "frontend-reconnect.json")
# The receiver ends idle_ms after the last frame: longer than the outage.
f.write_config(cfg, {}, [
    f.guest_vm("rx", B_MAC, "mode=pktgen role=rx tag=fr duration_ms=120000 idle_ms=8000 "
               "irq=msix", backend=s1),
    f.guest_vm("tx", A_MAC, "mode=pktgen role=tx tag=fr peer=%s rate=%d duration_ms=%d "
               "size=128 flows=2" % (B_MAC, RATE, DURATION_MS), backend=s0),
])
ferry = f.start_ferry(cfg, tmp)

wait_until(lambda: first.stats()[0][0] >= BEFORE, 60,
           "%d frames through the first testpmd" % BEFORE, step=0.2)
mark = ferry.size()
first.kill()
killed = time.monotonic()
t.log("killed the first testpmd")
ferry.wait_text(r"failed on the connection.*link down, reconnecting.*"
                r"failed on the connection.*link down, reconnecting", 20, mark)
t.check(ferry.alive(), "ferry survived its backend's death")

second = start_testpmd("testpmd-b")
ferry.wait_text(r"reconnected to backend.*reconnected to backend", 30, mark)
outage = time.monotonic() - killed
t.log("both NICs reconnected, %.1f s after the kill" % outage)
rc = ferry.wait(120)
out = ferry.text()
fw = second.stop_fwd()
t.log("second testpmd's forward statistics: %s" % fw)
second.quit()

res = f.results(out)
if "rx" not in res or "tx" not in res:
    t.fail("the guests printed no results (ferry exit %d):\n%s" % (rc, out[-3000:]))
rx, tx = res["rx"][-1], res["tx"][-1]
t.check(rc == 0, "both guests passed (ferry exit %d)" % rc)
t.check(fw[0]["rx"] >= BEFORE and fw[1]["tx"] >= BEFORE,
        "the stream went on through the new testpmd (it took %d frames from the sender, "
        "gave %d to the receiver)" % (fw[0]["rx"], fw[1]["tx"]))
received = int(rx.get("received", "0"))
t.check(received > fw[1]["tx"],
        "the receiver got frames through both testpmds (%d in all, %d through the second)"
        % (received, fw[1]["tx"]))
t.check(rx.get("bad") == "0" and rx.get("foreign") == "0",
        "every frame received was well-formed and ours (bad=%s foreign=%s)"
        % (rx.get("bad"), rx.get("foreign")))
# After the reconnect Ferry asks the new backend to announce each NIC (SEND_RARP); the
# sender's RARP reaches the receiver when its own NIC was back first, so it is only shown.
t.log("RARP announces the receiver saw: %s" % rx.get("rarp"))
t.check(not re.search(r"needs reset|NEEDS_RESET", out),
        "no guest was asked to reset its NIC")
t.check(rx.get("dup") == "0", "no frame arrived twice (dup=%s)" % rx.get("dup"))
# After the reconnect Ferry asks each new session for a RARP from its guest's MAC (SEND_RARP):
# DPDK's vhost adds one to the sender side's frames (port 0 took it), and the receiver counts
# the one it got (if it was back in time) apart from the stream.
announced = len(re.findall(r"tx\.0: asked backend .* to announce", out))
t.check(announced == 1, "Ferry asked the new backend to announce the sender's NIC (%d)"
        % announced)
lost = f.check_outage_loss(int(tx["sent"]), received, outage, RATE,
                           new_took=fw[0]["rx"] - announced,
                           new_delivered=fw[1]["tx"] - int(rx.get("rarp", "0")),
                           what="through the testpmd restart")
t.log("sent %s, received %d, lost %d (the new testpmd dropped %d it could not deliver)"
      % (tx["sent"], received, lost, fw[1]["tx_dropped"]))
t.passed()
