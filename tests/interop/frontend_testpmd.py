#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_ferry_frontend_testpmd: Ferry as a vhost-user frontend.  Two Ferry
VMs have NICs with "backend": {"vhost-user": PATH}, served by DPDK's vhost
library (dpdk-testpmd, net_vhost) instead of Ferry's switch.  testpmd
forwards between its two ports (io), so the test guests' frames - a mode=net
client and server, checking every byte - go guest -> Ferry's virtio-pci ->
testpmd's vhost port 0 -> port 1 -> the other guest, and back.  testpmd maps
the guests' memfd RAM, reads their ioeventfds and writes their irqfds (the
server guest waits on MSI-X interrupts)."""
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd
from ferrytest.proc import wait_socket

COUNT = 3000
A_MAC, B_MAC = "52:54:00:00:4a:01", "52:54:00:00:4b:01"

t.require_kvm()
tmp = t.workdir()
s0, s1 = os.path.join(tmp, "be0.sock"), os.path.join(tmp, "be1.sock")
pmd = TestPmd("testpmd", ["net_vhost0,iface=%s,queues=1" % s0,
                          "net_vhost1,iface=%s,queues=1" % s1], tmp)
pmd.ready()
pmd.cmd("start")
wait_socket(s0)
wait_socket(s1)

cfg = os.path.join(tmp, "frontend.json")
f.write_config(cfg, {}, [
    f.guest_vm("fc", A_MAC, "mode=net role=client tag=fe peer=%s count=%d size=256 "
               "timeout_ms=60000" % (B_MAC, COUNT), backend=s0),
    f.guest_vm("fs", B_MAC, "mode=net role=server tag=fe count=%d timeout_ms=90000 irq=msix"
               % COUNT, backend=s1),
])
ferry = f.start_ferry(cfg, tmp)
rc = ferry.wait(180)
res = f.results(ferry.text())
if "fc" not in res or "fs" not in res:
    t.fail("the guests printed no results (ferry exit %d):\n%s" % (rc, ferry.text()[-3000:]))
fw = pmd.stop_fwd()
t.log("testpmd forward statistics: %s" % fw)
t.check(rc == 0, "both guests passed (ferry exit %d)" % rc)
f.check_pair(res["fc"][-1], res["fs"][-1], COUNT, "through DPDK's vhost backend")
t.check(int(res["fs"][-1].get("irqs", "0")) > 0,
        "testpmd interrupted the server guest through Ferry's irqfd (%s MSI-X interrupts)"
        % res["fs"][-1].get("irqs"))
t.check(fw[0]["rx"] >= COUNT and fw[1]["rx"] >= COUNT,
        "testpmd's vhost ports carried the requests (%d) and the echoes (%d)"
        % (fw[0]["rx"], fw[1]["rx"]))
t.check(fw[0]["rx"] == fw[1]["tx"] + fw[1]["tx_dropped"]
        and fw[1]["rx"] == fw[0]["tx"] + fw[0]["tx_dropped"],
        "testpmd passed on or counted every frame the guests sent it")
pmd.quit()
t.passed()
