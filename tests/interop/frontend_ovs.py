#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_ferry_frontend_ovs: Ferry VMs on Open vSwitch-DPDK.  OVS's
recommended vhost-user port type, dpdkvhostuserclient, connects to a socket
the VMM serves (QEMU's server=on), so the two Ferry VMs' NICs use
"backend": {"vhost-user": PATH, "mode": "server"}.  OVS (Debian
openvswitch-switch-dpdk, started from a private run directory: ovsdb-server,
ovs-vswitchd-dpdk, one netdev bridge with the NORMAL action) attaches to
both, and a pktgen sender streams to a pktgen receiver through it.  Then
ovs-vswitchd is killed and started again mid-stream: Ferry's NICs go down,
wait for OVS to come back, replay their sessions, and the stream goes on
through the new ovs-vswitchd with nothing bad or foreign."""
import os
import re
import signal
import sys
import time

import interop as it

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench"))
from ferry_bench.ovs import OvsDpdk, VSWITCHD  # noqa: E402

RATE, DURATION_MS = 2000, 12000
A_MAC, B_MAC = "52:54:00:00:5a:01", "52:54:00:00:5b:01"

it.require_kvm()
it.require_program("ovs-vsctl", "openvswitch-switch-dpdk")
if not os.path.exists(VSWITCHD):
    it.fail("%s is missing: apt install openvswitch-switch-dpdk" % VSWITCHD)
with open("/proc/sys/vm/nr_hugepages") as f:
    if int(f.read()) < 512:
        with open("/proc/sys/vm/nr_hugepages", "w") as w:
            w.write("512")  # OVS-DPDK always runs --in-memory, which needs hugepages
tmp = it.workdir()
s0, s1 = os.path.join(tmp, "vhu0.sock"), os.path.join(tmp, "vhu1.sock")

cfg = os.path.join(tmp, "frontend-ovs.json")
vms = [
    it.guest_vm("rx", B_MAC, "mode=pktgen role=rx tag=ovs duration_ms=120000 idle_ms=10000 "
                "irq=msix", backend=s1),
    it.guest_vm("tx", A_MAC, "mode=pktgen role=tx tag=ovs peer=%s rate=%d duration_ms=%d "
                "size=128 timeout_ms=60000" % (B_MAC, RATE, DURATION_MS), backend=s0),
]
for vm in vms:
    vm["nics"][0]["backend"]["mode"] = "server"
it.write_config(cfg, {}, vms)
ferry = it.start_ferry(cfg, tmp)
it.wait_socket(s1)


def ovs_packets():
    """Frames the running ovs-vswitchd moved on both ports (rx + tx, each counted once)."""
    total = 0
    for port in ("vhu0", "vhu1"):
        out = ovs.vsctl("get", "Interface", port, "statistics").stdout
        total += sum(int(v) for k, v in re.findall(r"\b(rx_packets|tx_packets)=(\d+)", out))
    return total


ovs = OvsDpdk(os.path.join(tmp, "ovs"), pmd_cpu=1, main_cpu=0, socket_mem=512)
try:
    ovs.add_vhost_client_port("vhu1", s1)
    it.wait_socket(s0)  # Ferry creates the second NIC's socket once the first is served
    ovs.add_vhost_client_port("vhu0", s0)
    ferry.wait_text(r"connected to backend .*connected to backend ", 60)
    it.log("both Ferry NICs have OVS as their backend")
    it.wait_until(lambda: ovs_packets() >= 2000, 60, "1000 frames through the first OVS",
                  step=0.3)
    mark = ferry.size()
    ovs.vswitchd.p.send_signal(signal.SIGKILL)
    ovs.vswitchd.p.wait()
    it.log("ovs-vswitchd killed")
    ferry.wait_text(r"failed on the connection.*failed on the connection", 20, mark)
    it.check(ferry.alive(), "ferry survived its backend's death")
    ovs.start_vswitchd()
    ferry.wait_text(r"reconnected to backend.*reconnected to backend", 60, mark)
    it.log("both NICs reconnected to the new ovs-vswitchd")
    tx = it.wait_result(ferry, "tx", 120)
    rx = it.wait_result(ferry, "rx", 60)
    after = ovs_packets()
finally:
    ovs.stop()
rc = ferry.wait(60)
received = int(rx.get("received", "0"))
it.log("sent %s, received %d, lost %s; the new ovs-vswitchd moved %d frames (rx + tx)"
       % (tx.get("sent"), received, rx.get("lost"), after))
it.check(rc == 0, "both guests passed (ferry exit %d)" % rc)
it.check(after >= 2000, "the stream went on through the new ovs-vswitchd (%d frames)" % after)
it.check(received * 2 > after, "the receiver got frames through both ovs-vswitchd runs")
it.check(rx.get("bad") == "0" and rx.get("foreign") == "0",
         "every frame received was well-formed and ours (bad=%s foreign=%s)"
         % (rx.get("bad"), rx.get("foreign")))
it.passed()
