#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_testpmd_packed: DPDK's virtio-user (dpdk-testpmd, net_virtio_user)
with packed virtqueues (packed_vq=1) on two of Ferry's vhost-user ports
("packed": true), in three variants: without mergeable buffers, with them,
and with in_order=1 (Ferry does not offer VIRTIO_F_IN_ORDER, so the driver
must fall back to out-of-order use and still work).

Each variant: testpmd is the wire between two tenants, a test guest in tenant
"a" (mode=net client) reaches one in tenant "b" (server) only through
vhost-user port vua -> testpmd port 0 -> io forwarding -> port 1 -> vhost-user
port vub; both guests check every byte of every frame, and testpmd's counters
must account for every frame Ferry gave it.  Ferry's own view of the ports
(`ferryctl --json stats`, the port's "info") must say packed rings, so the
variant cannot pass on split rings by accident."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.testpmd import TestPmd
from ferrytest.proc import wait_socket

COUNT = 2000
A_MAC, B_MAC = "52:54:00:00:2a:01", "52:54:00:00:2b:01"
VARIANTS = [
    ("packed_vq=1,mrg_rxbuf=0", 512),
    ("packed_vq=1,mrg_rxbuf=1", 1400),
    ("packed_vq=1,in_order=1", 1000),
]

t.require_kvm()
tmp = t.workdir()
sa, sb = os.path.join(tmp, "vua.sock"), os.path.join(tmp, "vub.sock")
ctl = os.path.join(tmp, "ctl.sock")

for n, (args, size) in enumerate(VARIANTS):
    cfg = os.path.join(tmp, "packed%d.json" % n)
    f.write_config(cfg, {"a": 21, "b": 22}, [
        f.guest_vm("cl", A_MAC, "mode=net role=client tag=pk peer=%s count=%d size=%d "
                   "timeout_ms=60000" % (B_MAC, COUNT, size), tenant="a"),
        f.guest_vm("sv", B_MAC, "mode=net role=server tag=pk count=%d timeout_ms=90000"
                   % COUNT, tenant="b"),
    ], [("vua", sa, "server", "a", 1, {"packed": True}),
        ("vub", sb, "server", "b", 1, {"packed": True})], control=ctl)
    ferry = f.start_ferry(cfg, tmp, "ferry-%d" % n)
    wait_socket(sa)
    wait_socket(sb)
    pmd = TestPmd("testpmd-%d" % n, ["net_virtio_user0,path=%s,queues=1,%s" % (sa, args),
                                     "net_virtio_user1,path=%s,queues=1,%s" % (sb, args)], tmp)
    pmd.ready()
    pmd.cmd("start")
    cl = f.wait_result(ferry, "cl", 120)
    sv = f.wait_result(ferry, "sv", 30)
    fw = pmd.stop_fwd()
    t.log("%s: testpmd forward statistics: %s" % (args, fw))
    f.check_pair(cl, sv, COUNT, "%s, %d-byte frames" % (args, size))
    t.check(fw[0]["rx"] >= COUNT and fw[1]["rx"] >= COUNT,
            "%s: testpmd received the %d requests (%d frames) and the echoes (%d)"
            % (args, COUNT, fw[0]["rx"], fw[1]["rx"]))
    t.check(fw[0]["rx"] == fw[1]["tx"] + fw[1]["tx_dropped"]
            and fw[1]["rx"] == fw[0]["tx"] + fw[0]["tx_dropped"],
            "%s: testpmd passed on or counted every frame Ferry gave it" % args)
    ports = {p["name"]: p for p in json.loads(f.ferryctl(ctl, "stats"))["ports"]}
    for name in ("vua", "vub"):
        info = ports[name]["info"]
        t.check("packed rings" in info, "%s: Ferry's port %s runs packed rings (%s)"
                % (args, name, info))
        want = "mrg_rxbuf" in info
        t.check(want == ("mrg_rxbuf=0" not in args),
                "%s: mergeable buffers negotiated as asked on %s" % (args, name))
    pmd.quit()
    f.stop_ferry(ferry, "ferry (%s)" % args)
t.passed()
