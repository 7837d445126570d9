#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_two_ferry_hosts: one tenant (VNI 500) spread over two Ferry hosts.

Two network namespaces are two hosts, A and B, joined by two veth pairs:
two underlay paths, 172.16.1.0/24 and 172.16.2.0/24.  Each host's VTEP
address sits on its loopback (10.255.0.1 and .2) and is routed over path 1
at first.  Each Ferry has an AF_XDP uplink on both of its path interfaces.
Host A is told about B's VTEP; host B is told nothing and must learn A's
from the traffic.  Guest a (10.50.0.1) on A and guest b (10.50.0.2) on B
ping each other the whole time.

Checked: ARP broadcasts cross in both directions (A floods to its seeded
VTEP; B floods to the VTEP it learned); each side's MAC table has the other
guest behind the other VTEP; then the route to each VTEP moves to path 2 in
both kernels, and Ferry follows without a restart: the VTEP table names the
path-2 uplink, path 1 carries nothing more, and once path 1 is taken down
the pings go on.  Every ping is answered but those in flight while the
kernel resolved the new next hop."""
import json
import os
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.netns import Netns, veth
from ferrytest.proc import wait_socket, wait_until

COUNT, INTERVAL_MS = 1000, 20  # 20 s of pings each way
MAX_LOST = 25  # the switch-over: at most half a second's pings
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool")):
    t.require_program(prog, pkg)
tmp = t.workdir()

ha, hb = Netns("hosta"), Netns("hostb")
veth(ha, "p1", hb, "p1", "172.16.1.1/24", "172.16.1.2/24")
veth(ha, "p2", hb, "p2", "172.16.2.1/24", "172.16.2.2/24")
ha.ip("addr add 10.255.0.1/32 dev lo")
hb.ip("addr add 10.255.0.2/32 dev lo")
ha.ip("route add 10.255.0.2/32 via 172.16.1.2 dev p1")
hb.ip("route add 10.255.0.1/32 via 172.16.1.1 dev p1")


def config(name, local, remote, mac, ip, peer):
    ctl = os.path.join(tmp, name + ".sock")
    tenant = {"name": "t", "vni": 500, "vxlan": True, "learn_vteps": True}
    if remote:
        tenant["remote_vteps"] = [remote]
    cfg = {
        "switch": {"hugepages": "auto", "mbufs": 16384},
        "vtep": {"local": local},
        "tenants": [tenant],
        "uplinks": [{"name": "up1", "kind": "afxdp", "interface": "p1"},
                    {"name": "up2", "kind": "afxdp", "interface": "p2"}],
        "vms": [f.guest_vm("g" + name, mac, "mode=ip ip=%s ping=%s count=%d interval_ms=%d "
                           "min_replies=%d irq=msix timeout_ms=120000"
                           % (ip, peer, COUNT, INTERVAL_MS, COUNT - MAX_LOST), tenant="t")],
        "control": {"socket": ctl},
    }
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as fp:
        json.dump(cfg, fp, indent=1)
    return path, ctl


cfg_a, ctl_a = config("a", "10.255.0.1", "10.255.0.2", "52:54:00:00:50:01", "10.50.0.1",
                      "10.50.0.2")
cfg_b, ctl_b = config("b", "10.255.0.2", None, "52:54:00:00:50:02", "10.50.0.2", "10.50.0.1")
fa = ha.proc("ferry-a", [f.ferry_bin(), "run", cfg_a], logdir=tmp)
fb = hb.proc("ferry-b", [f.ferry_bin(), "run", cfg_b], logdir=tmp)
wait_socket(ctl_a)
wait_socket(ctl_b)


def ctlj(sock, *a):
    return json.loads(f.ferryctl(sock, *a, quiet=True))


def vtep(sock, addr):
    rows = [v for v in ctlj(sock, "vteps")["vteps"] if v["address"] == addr]
    return rows[0] if rows else None


def uplink_tx(sock):
    return {p["name"]: p["tx_packets"] for p in ctlj(sock, "stats")["ports"] if p["uplink"]}


def macs(sock):
    return {m["mac"]: (m["kind"], m["where"]) for m in ctlj(sock, "fdb", "t")["macs"]}


# B learns A's VTEP from A's first flooded ARP request.
wait_until(lambda: vtep(ctl_b, "10.255.0.1") is not None, 30, "host B to learn VTEP 10.255.0.1")
va = vtep(ctl_b, "10.255.0.1")
t.check(va["origin"] == "learned" and va["vnis"] == [500],
        "host B learned VTEP 10.255.0.1 for VNI 500 from traffic (%s)" % va["origin"])
wait_until(lambda: macs(ctl_a).get("52:54:00:00:50:02") == ("remote", "10.255.0.2") and
           macs(ctl_b).get("52:54:00:00:50:01") == ("remote", "10.255.0.1"), 30,
           "each host to learn the other guest's MAC behind the other VTEP")
t.check(True, "each MAC table has the other host's guest behind the other VTEP")
sa = ctlj(ctl_a, "stats")
sb = ctlj(ctl_b, "stats")
fl_a = [x for x in sa["tenants"] if x["name"] == "t"][0]["flooded"]
fl_b = [x for x in sb["tenants"] if x["name"] == "t"][0]["flooded"]
t.check(fl_a >= 1 and fl_b >= 1 and sb["overlay"]["vteps_learned"] == 1,
        "both hosts flooded ARP (A: %d, B: %d frames) and B learned one VTEP"
        % (fl_a, fl_b))
for sock, other in ((ctl_a, "10.255.0.2"), (ctl_b, "10.255.0.1")):
    v = vtep(sock, other)
    t.check(v["state"] == "ok" and v["uplink"] == "up1" and v["via"].startswith("172.16.1."),
            "VTEP %s is reached over path 1 (uplink %s via %s)" % (other, v["uplink"], v["via"]))

# Move both routes to path 2 while the pings run.
time.sleep(3)
ha.ip("route replace 10.255.0.2/32 via 172.16.2.2 dev p2")
hb.ip("route replace 10.255.0.1/32 via 172.16.2.1 dev p2")
t0 = time.monotonic()
for sock, other in ((ctl_a, "10.255.0.2"), (ctl_b, "10.255.0.1")):
    wait_until(lambda: (vtep(sock, other) or {}).get("uplink") == "up2", 10,
               "VTEP %s to move to uplink up2" % other)
    v = vtep(sock, other)
    t.check(v["state"] == "ok" and v["via"].startswith("172.16.2."),
            "VTEP %s now via %s on up2, %.1f s after the route change, no restart"
            % (other, v["via"], time.monotonic() - t0))
before_a, before_b = uplink_tx(ctl_a), uplink_tx(ctl_b)
time.sleep(2)
after_a, after_b = uplink_tx(ctl_a), uplink_tx(ctl_b)
for name, b, a in (("A", before_a, after_a), ("B", before_b, after_b)):
    t.check(a["up1"] == b["up1"] and a["up2"] - b["up2"] >= 50,
            "host %s: in 2 s path 1 sent nothing more (%d -> %d) and path 2 sent %d"
            % (name, b["up1"], a["up1"], a["up2"] - b["up2"]))
# Path 1 goes away altogether: nothing may depend on it.
ha.ip("link set p1 down")
t.log("path 1 is down")

ra, rb = f.wait_result(fa, "ga", 120), f.wait_result(fb, "gb", 120)
for name, r in (("a", ra), ("b", rb)):
    lost = int(r["ping_sent"]) - int(r["ping_recv"])
    t.check(r["ping_sent"] == str(COUNT) and lost <= MAX_LOST and r["bad"] == "0",
            "guest %s: %s of %d pings answered across the route change (lost %d, rtt avg %s "
            "us)" % (name, r["ping_recv"], COUNT, lost, r["rtt_avg_us"]))
ov_a, ov_b = ctlj(ctl_a, "stats")["overlay"], ctlj(ctl_b, "stats")["overlay"]
for name, ov in (("A", ov_a), ("B", ov_b)):
    bad = {k: n for k, n in ov["drops"].items() if n and k != "no_nexthop"}
    t.check(not bad, "host %s dropped no tunnel packet as malformed or misplaced (%s); "
            "%d frames waited on a next hop" % (name, bad, ov["drops"]["no_nexthop"]))
f.stop_ferry(fa, "ferry on host A")
f.stop_ferry(fb, "ferry on host B")
t.passed()
