#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_testpmd_virtio_user: DPDK's virtio-user driver (dpdk-testpmd,
net_virtio_user) drives two of Ferry's vhost-user ports.

1. testpmd is the wire between two tenants: a test guest in tenant "a"
   (mode=net client) reaches a test guest in tenant "b" (server) only through
   vhost-user port vua -> testpmd port 0 -> io forwarding -> port 1 -> vhost-user
   port vub, and the echoes come back the same way.  Both guests check every
   byte; testpmd's counters must match what the guests sent.
2. Throughput in passing: both ports in one tenant and testpmd looping frames
   through Ferry's switch (io forwarding, tx_first); the Mpps are printed,
   never asserted (the machine is shared)."""
import os
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd, total
from ferrytest.proc import wait_socket

COUNT = 3000
A_MAC, B_MAC = "52:54:00:00:1a:01", "52:54:00:00:1b:01"

t.require_kvm()
tmp = t.workdir()
sa, sb = os.path.join(tmp, "vua.sock"), os.path.join(tmp, "vub.sock")

# ---- 1: guests on either side of testpmd ----
cfg = os.path.join(tmp, "bridge.json")
f.write_config(cfg, {"a": 11, "b": 12}, [
    f.guest_vm("cl", A_MAC, "mode=net role=client tag=tp peer=%s count=%d size=512 "
               "timeout_ms=60000" % (B_MAC, COUNT), tenant="a"),
    f.guest_vm("sv", B_MAC, "mode=net role=server tag=tp count=%d timeout_ms=90000"
               % COUNT, tenant="b"),
], [("vua", sa, "server", "a"), ("vub", sb, "server", "b")])
ferry = f.start_ferry(cfg, tmp)
wait_socket(sa)
wait_socket(sb)
pmd = TestPmd("testpmd", ["net_virtio_user0,path=%s,queues=1" % sa,
                          "net_virtio_user1,path=%s,queues=1" % sb], tmp)
pmd.ready()
pmd.cmd("start")
cl = f.wait_result(ferry, "cl", 120)
sv = f.wait_result(ferry, "sv", 30)
fw = pmd.stop_fwd()
t.log("testpmd forward statistics: %s" % fw)
f.check_pair(cl, sv, COUNT, "through testpmd")
t.check(fw[0]["rx"] >= COUNT and fw[1]["rx"] >= COUNT,
        "testpmd received the %d requests on port 0 (%d frames) and the echoes on port 1 (%d)"
        % (COUNT, fw[0]["rx"], fw[1]["rx"]))
t.check(fw[0]["rx"] == fw[1]["tx"] + fw[1]["tx_dropped"]
        and fw[1]["rx"] == fw[0]["tx"] + fw[0]["tx_dropped"],
        "testpmd passed on or counted every frame Ferry gave it")
pmd.quit()
t.check(ferry.find_text("peer disconnected", 10) is not None, "ferry saw testpmd leave")
f.stop_ferry(ferry)

# ---- 2: throughput, testpmd <-> Ferry's switch <-> testpmd ----
cfg = os.path.join(tmp, "loop.json")
f.write_config(cfg, {"t": 13}, [], [("vua", sa, "server", "t"), ("vub", sb, "server", "t")])
ferry = f.start_ferry(cfg, tmp, "ferry-loop")
wait_socket(sa)
wait_socket(sb)
pmd = TestPmd("testpmd-loop", ["net_virtio_user0,path=%s,queues=1" % sa,
                               "net_virtio_user1,path=%s,queues=1" % sb], tmp)
pmd.ready()
pmd.cmd("start tx_first")
time.sleep(2)
s1, t1 = pmd.stats(), time.monotonic()
time.sleep(5)
s2, t2 = pmd.stats(), time.monotonic()
rx = total(s2, 0) - total(s1, 0)
t.check(rx > 0, "frames loop through Ferry's switch")
t.log("throughput: %.2f Mpps through Ferry's switch (%.2f Mpps per direction, 64 B, "
      "testpmd io loop over two vhost-user ports)" % (rx / (t2 - t1) / 1e6,
                                                      rx / (t2 - t1) / 2e6))
pmd.quit()
f.stop_ferry(ferry)
t.passed()
