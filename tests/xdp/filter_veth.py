#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""xdp_filter_veth: the uplink's XDP filter against real VXLAN senders.

Ferry (namespace "fer") has an AF_XDP uplink on a veth and a guest on VNI
100 whose seeded VTEP is Linux's vxlan device at 192.168.71.2 (namespace
"lnx", bridged to a "host" namespace).  The uplink filter enforces VTEPs
(the seeded one and 192.168.71.64/26), VNIs (only those this host carries)
and a rate of 400 packets a second per source with a burst of 40.  Senders
on the Linux side's other addresses speak VXLAN over plain UDP sockets.

Checked, with the filter's counters and the switch's side by side, so each
drop is seen where it happened: the Linux host pings the guest through the
allowed VTEP; a source outside the allow-list is dropped in XDP (drop_vtep)
and the switch never sees it (its overlay counters do not move); VNI 300
from the allowed VTEP is dropped in XDP (drop_vni), not by the switch's
unknown_vni; a source in the allowed prefix sending well over its rate gets
its rate (plus its burst) through, within 10 %, the rest counted as
drop_rate."""
import json
import os
import re
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.netns import Netns, veth
from ferrytest.proc import wait_socket

RATE, BURST, VNI = 400, 40, 100
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool"), ("ping", "iputils-ping")):
    t.require_program(prog, pkg)
tmp = t.workdir()

fer, lnx, host = Netns("fer"), Netns("lnx"), Netns("host")
veth(fer, "up0", lnx, "wire", "192.168.71.1/24", "192.168.71.2/24")
for extra in ("192.168.71.3/24", "192.168.71.70/24"):
    lnx.ip("addr add %s dev wire" % extra)
lnx.ip("link add vx100 type vxlan id 100 local 192.168.71.2 remote 192.168.71.1 dstport 4789 "
       "dev wire")
lnx.ip("link add br0 type bridge")
veth(lnx, "hport", host, "eth0", None, "10.100.0.2/24")
for dev in ("vx100", "hport"):
    lnx.ip("link set %s master br0" % dev)
for dev in ("vx100", "br0"):
    lnx.ip("link set %s up" % dev)

ctl = os.path.join(tmp, "ctl.sock")
cfg = {
    "switch": {"hugepages": "auto", "mbufs": 16384},
    "vtep": {"local": "192.168.71.1"},
    "tenants": [{"name": "red", "vni": VNI, "vxlan": True, "remote_vteps": ["192.168.71.2"]}],
    "uplinks": [{"name": "up0", "kind": "afxdp", "interface": "up0"}],
    "uplink_filter": {"enforce_vteps": True, "vtep_allow": ["192.168.71.64/26"],
                      "enforce_vnis": True, "rate_limit_pps": RATE,
                      "rate_limit_burst": BURST},
    "vms": [f.guest_vm("red1", "52:54:00:00:71:01", "mode=ip ip=10.100.0.1 irq=msix "
                       "serve_ms=120000", tenant="red")],
    "control": {"socket": ctl},
}
path = os.path.join(tmp, "filter.json")
with open(path, "w") as fp:
    json.dump(cfg, fp)
ferry = fer.proc("ferry", [f.ferry_bin(), "run", path], logdir=tmp)
wait_socket(ctl)


def ctlj(*a):
    return json.loads(f.ferryctl(ctl, *a, quiet=True))


def xdp():
    return ctlj("filter", "list")["uplinks"][0]


def overlay():
    return ctlj("stats")["overlay"]


# VXLAN over a plain UDP socket from one of the Linux side's addresses.
SENDER = """
import socket, sys, time
src, vni, count, pps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
inner = b"\\xff" * 6 + b"\\x02\\x00\\x00\\x00\\x71\\x99" + b"\\x88\\xb5" + bytes(46)
pkt = bytes([8, 0, 0, 0, vni >> 16 & 255, vni >> 8 & 255, vni & 255, 0]) + inner
t0 = time.monotonic()
for i in range(count):
    s.sendto(pkt, ("192.168.71.1", 4789))
    if pps and i % 20 == 19:
        due = t0 + (i + 1) / pps
        while time.monotonic() < due:
            pass
print("sent=%d seconds=%.3f" % (count, time.monotonic() - t0))
"""


def send(src, vni, count, pps=0):
    out = lnx.sh("python3", "-c", SENDER, src, str(vni), str(count), str(pps), timeout=120)
    m = re.search(r"sent=(\d+) seconds=([\d.]+)", out)
    return int(m.group(1)), float(m.group(2))


time.sleep(1)
out = host.sh("ping", "-c", "5", "-i", "0.2", "-W", "2", "10.100.0.1", timeout=60)
t.check(" 5 received" in out, "the Linux host pings the guest through the allowed VTEP")

x0, o0 = xdp(), overlay()
send("192.168.71.3", VNI, 100)
time.sleep(0.5)
x1, o1 = xdp(), overlay()
t.check(x1["drop_vtep"] - x0["drop_vtep"] == 100,
        "100 packets from 192.168.71.3 (not allowed): dropped in XDP as drop_vtep (%d)"
        % (x1["drop_vtep"] - x0["drop_vtep"]))
# Tenant red learns VTEPs: had one of them reached the switch, .3 would be a VTEP now.
learned = [v["address"] for v in ctlj("vteps")["vteps"]]
t.check("192.168.71.3" not in learned and
        o1["drops"]["unknown_vtep"] == o0["drops"]["unknown_vtep"],
        "and the switch never saw them (192.168.71.3 not learned, unknown_vtep unchanged: %s)"
        % learned)

send("192.168.71.2", 300, 100)
time.sleep(0.5)
x2, o2 = xdp(), overlay()
t.check(x2["drop_vni"] - x1["drop_vni"] == 100,
        "100 packets on VNI 300 from the allowed VTEP: dropped in XDP as drop_vni (%d)"
        % (x2["drop_vni"] - x1["drop_vni"]))
t.check(o2["drops"]["unknown_vni"] == o1["drops"]["unknown_vni"],
        "and not by the switch's unknown_vni")

# Well over the rate, from a source of the allowed prefix.
sent, secs = send("192.168.71.70", VNI, 12000, pps=4000)
time.sleep(0.5)
x3 = xdp()
passed = x3["steered"] - x2["steered"]
want = RATE * secs + BURST
t.log("192.168.71.70 sent %d in %.2f s (%.0f/s): %d passed, %d dropped for rate"
      % (sent, secs, sent / secs, passed, x3["drop_rate"] - x2["drop_rate"]))
t.check(sent / secs >= 2 * RATE, "the sender ran at least twice the limit (%.0f/s)"
        % (sent / secs))
t.check(abs(passed - want) <= 0.1 * want,
        "the rate-limited source got %d through: its rate times %.2f s plus its burst is %.0f "
        "(within 10 %%)" % (passed, secs, want))
dropped = x3["drop_rate"] - x2["drop_rate"]
# The Linux VTEP's own few packets (neighbour discovery) may pass meanwhile.
t.check(sent <= passed + dropped <= sent + 10,
        "every packet it sent was steered or dropped for rate (%d + %d for %d sent)"
        % (passed, dropped, sent))
f.stop_ferry(ferry)
t.passed()
