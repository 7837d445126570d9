#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_virtio_net_pair: two test guests under real KVM on one tenant of
Ferry's switch exchange 10,000 frames (echoed requests, every payload byte
verified both ways, nothing lost), then 1514-byte frames with the server
driven by MSI-X interrupts (irqfd) instead of polling."""
import os

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
A, B = "52:54:00:00:0a:01", "52:54:00:00:0a:02"
runs = [
    ("64B polling", 10000, 64, ""),
    ("1514B msix", 2000, 1514, " irq=msix"),
]
tmp = t.workdir()
for title, count, size, srv_extra in runs:
    cfg = f.write_config(os.path.join(tmp, "pair.json"), {"t": 10}, [
        f.guest_vm("a", A, "mode=net role=client tag=t peer=%s count=%d size=%d timeout_ms=20000"
                   % (B, count, size), tenant="t"),
        f.guest_vm("b", B, "mode=net role=server tag=t count=%d timeout_ms=60000%s"
                   % (count, srv_extra), tenant="t"),
    ])
    rc, out, _ = f.run_ferry(["run", cfg])
    res = f.results(out)
    a, b = f.last_result(res, "a"), f.last_result(res, "b")
    t.check(rc == 0, "%s: both guests passed (ferry exit %d)" % (title, rc))
    t.check(a.get("sent") == str(count) and a.get("received") == str(count),
            "%s: client sent and got back %d frames (%s/%s)"
            % (title, count, a.get("sent"), a.get("received")))
    t.check(a.get("lost") == "0" and a.get("bad") == "0",
            "%s: nothing lost, every payload verified (lost=%s bad=%s)"
            % (title, a.get("lost"), a.get("bad")))
    t.check(int(b.get("echoed", "0")) >= count and b.get("bad") == "0",
            "%s: server echoed %s verified frames" % (title, b.get("echoed")))
    if srv_extra:
        t.check(int(b.get("irqs", "0")) > 0,
                "%s: the server took %s MSI-X interrupts through irqfd" % (title, b.get("irqs")))
    t.log("%s: rtt p50 %s us, p99 %s us" % (title, a.get("rtt_p50_us"), a.get("rtt_p99_us")))
t.passed()
