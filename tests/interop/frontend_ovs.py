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
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import wait_socket, wait_until

from ferrytest.ovs import OvsDpdk, VSWITCHD

RATE, DURATION_MS = 2000, 12000
A_MAC, B_MAC = "52:54:00:00:5a:01", "52:54:00:00:5b:01"

t.require_kvm()
t.require_program("ovs-vsctl", "openvswitch-switch-dpdk")
if not os.path.exists(VSWITCHD):
    t.fail("%s is missing: apt install openvswitch-switch-dpdk" % VSWITCHD)
tmp = t.workdir()
s0, s1 = os.path.join(tmp, "vhu0.sock"), os.path.join(tmp, "vhu1.sock")

cfg = os.path.join(tmp, "frontend-ovs.json")
vms = [
    f.guest_vm("rx", B_MAC, "mode=pktgen role=rx tag=ovs duration_ms=120000 idle_ms=10000 "
               "irq=msix", backend=s1),
    f.guest_vm("tx", A_MAC, "mode=pktgen role=tx tag=ovs peer=%s rate=%d duration_ms=%d "
               "size=128 timeout_ms=60000" % (B_MAC, RATE, DURATION_MS), backend=s0),
]
for vm in vms:
    vm["nics"][0]["backend"]["mode"] = "server"
    # The guests halt after reporting instead of ending their VMs, so neither
    # NIC leaves OVS while the other's frames are still on their way; SIGTERM
    # ends ferry.
    vm["debug_exit"] = False
f.write_config(cfg, {}, vms)
ferry = f.start_ferry(cfg, tmp)
wait_socket(s1)


def ovs_moved():
    """Frames the running ovs-vswitchd took from the sender and gave the receiver."""
    return (ovs.port_stats("vhu0").get("rx_pkts", 0), ovs.port_stats("vhu1").get("tx_pkts", 0))


ovs = OvsDpdk(os.path.join(tmp, "ovs"), pmd_cpu=1, main_cpu=0, socket_mem=512)
try:
    ovs.add_vhost_client_port("vhu1", s1)
    wait_socket(s0)  # Ferry creates the second NIC's socket once the first is served
    ovs.add_vhost_client_port("vhu0", s0)
    ferry.wait_text(r"connected to backend .*connected to backend ", 60)
    t.log("both Ferry NICs have OVS as their backend")
    wait_until(lambda: min(ovs_moved()) >= 1000, 60, "1000 frames through the first OVS",
               step=0.3)
    mark = ferry.size()
    ovs.vswitchd.p.send_signal(signal.SIGKILL)
    ovs.vswitchd.p.wait()
    killed = time.monotonic()
    t.log("ovs-vswitchd killed")
    ferry.wait_text(r"failed on the connection.*failed on the connection", 20, mark)
    t.check(ferry.alive(), "ferry survived its backend's death")
    ovs.start_vswitchd()
    ferry.wait_text(r"reconnected to backend.*reconnected to backend", 60, mark)
    outage = time.monotonic() - killed
    t.log("both NICs reconnected to the new ovs-vswitchd, %.1f s after the kill" % outage)
    wait_until(lambda: min(ovs_moved()) >= 1000, 60, "1000 frames through the new OVS",
               step=0.3)
    t.log("the stream goes on through the new ovs-vswitchd (took, gave: %s)" % (ovs_moved(),))
    tx = f.wait_result(ferry, "tx", 120)
    rx = f.wait_result(ferry, "rx", 60)
    for vm in ("tx", "rx"):
        ferry.wait_text(r"\[%s\] ferry-guest: exit (\d+): no debug-exit port" % vm, 30)
finally:
    ovs.stop()
verdicts = dict(re.findall(r"\[(\w+)\] ferry-guest: exit (\d+): no debug-exit port",
                           ferry.text()))
t.check(verdicts == {"tx": "0", "rx": "0"}, "both guests passed their checks (%s)" % verdicts)
f.stop_ferry(ferry)
received = int(rx.get("received", "0"))
t.check(rx.get("dup") == "0", "no frame arrived twice (dup=%s)" % rx.get("dup"))
lost = f.check_outage_loss(int(tx["sent"]), received, outage, RATE,
                           what="through the ovs-vswitchd restart")
t.log("sent %s, received %d, lost %d" % (tx["sent"], received, lost))
t.check(rx.get("bad") == "0" and rx.get("foreign") == "0",
        "every frame received was well-formed and ours (bad=%s foreign=%s)"
        % (rx.get("bad"), rx.get("foreign")))
# After the reconnect Ferry asks the new backend to announce each NIC (SEND_RARP); the
# sender's RARP reaches the receiver when its own NIC was back first, so it is only shown.
t.log("RARP announces the receiver saw: %s" % rx.get("rarp"))
t.passed()
