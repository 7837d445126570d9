#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_frr_evpn: one tenant (VNI 100) over two Ferry hosts whose remote
VTEPs and MACs come from BGP EVPN, through FRR (Debian's frr), with no remote
VTEP in either Ferry's config.

Three namespaces: hosts A and B (172.16.5.1 and .2) and a spine (.3) that
bridges their veths and runs FRR as an iBGP route reflector for l2vpn
evpn.  Each host runs FRR (zebra and bgpd, `advertise-all-vni`) with the
kernel objects zebra reads for VNI 100 (bridge br100, vxlan device vx100),
and a Ferry whose tenant names vx100 as its `evpn_device`, an AF_XDP uplink
on the veth, and one test guest (10.60.0.1 on A, .2 on B) pinging the other.

Checked: each Ferry takes the other host's VTEP from zebra's type-3 entry
(ferryctl vteps: origin "evpn"); the guests' pings are all answered; each
Ferry's MAC table holds the other guest's MAC behind the other VTEP, put
there by EVPN, not learned from traffic; `show bgp l2vpn evpn route` on
each host lists both guests' MACs as type-2 and both VTEPs as type-3
routes, and each guest's MAC/IP binding (from the ARP it sent) as type-2;
the time from a guest's MAC showing in its own Ferry to its arrival in the
other Ferry is printed, with the frames each tenant flooded; when
guest B's VM ends, its route is withdrawn and host A's entry goes."""
import json
import os
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import frr
from ferrytest.netns import Netns, veth
from ferrytest.proc import wait_until

VNI = 100
UNDER = {"a": "172.16.5.1", "b": "172.16.5.2"}
SPINE = "172.16.5.3"
GUEST = {"a": ("52:54:00:00:64:01", "10.60.0.1"), "b": ("52:54:00:00:64:02", "10.60.0.2")}
PINGS, INTERVAL_MS = 200, 20
SERVE_MS = {"a": 22000, "b": 15000}  # B's VM ends first: its route must go
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("bridge", "iproute2"), ("vtysh", "frr"),
                  ("ethtool", "ethtool")):
    t.require_program(prog, pkg)
if not os.access(os.path.join(frr.FRR, "zebra"), os.X_OK):
    t.fail("FRR's zebra is not installed (apt install frr)")
tmp = t.workdir()

ns = {h: Netns("evpn" + h) for h in "ab"}
spine = Netns("spine")
spine.ip("link add br0 type bridge")
for h in "ab":
    veth(ns[h], "p1", spine, "to" + h, UNDER[h] + "/24", None)
    spine.ip("link set to%s master br0" % h)
spine.ip("addr add %s/24 dev br0" % SPINE)
spine.ip("link set br0 up")

rr = frr.Frr(spine, frr.bgpd_conf("spine", SPINE, list(UNDER.values()), rr_clients=True,
                                  vnis=False), tmp)
fr = {}
for h in "ab":
    frr.vni_devices(ns[h], VNI, UNDER[h])
    fr[h] = frr.Frr(ns[h], frr.bgpd_conf("host" + h, UNDER[h], [SPINE]), tmp)
rr.wait_session(list(UNDER.values()))
# Both VNIs known everywhere (type 3) before Ferry starts: its first dump sees them.
for h in "ab":
    wait_until(lambda: sum(1 for r in fr[h].evpn_routes() if r[0] == 3) >= 2, 30,
               "type-3 routes of both VTEPs on host %s" % h)
t.log("BGP EVPN up: spine reflects, both hosts see both VTEPs as type-3 routes")


def config(me, other):
    mac, ip = GUEST[me]
    ctl = os.path.join(tmp, me + ".sock")
    cfg = {
        "switch": {"hugepages": "auto", "mbufs": 16384},
        "vtep": {"local": UNDER[me]},
        "tenants": [{"name": "t", "vni": VNI, "vxlan": True, "learn_vteps": False,
                     "evpn_device": "vx%d" % VNI}],
        "uplinks": [{"name": "up1", "kind": "afxdp", "interface": "p1"}],
        "vms": [f.guest_vm("g" + me, mac, "mode=ip ip=%s ping=%s count=%d interval_ms=%d "
                           "irq=msix serve_ms=%d" % (ip, GUEST[other][1], PINGS, INTERVAL_MS,
                                                     SERVE_MS[me]), tenant="t")],
        "control": {"socket": ctl},
    }
    path = os.path.join(tmp, me + ".json")
    with open(path, "w") as fp:
        json.dump(cfg, fp, indent=1)
    return path, ctl


ctl, ferry = f.start_hosts(ns, config, tmp)


def ctlj(h, *a):
    return json.loads(f.ferryctl(ctl[h], *a, quiet=True))


def fdb(h):
    return {m["mac"]: m for m in ctlj(h, "fdb", "t")["macs"]}


# When each guest's MAC shows at home, and when at the other host.
seen_home, seen_away = {}, {}
end = time.monotonic() + 60
while time.monotonic() < end and len(seen_away) < 2:
    now = time.monotonic()
    tables = {h: fdb(h) for h in "ab"}
    for me, other in (("a", "b"), ("b", "a")):
        mac = GUEST[me][0]
        if mac in tables[me] and me not in seen_home:
            seen_home[me] = now
        if mac in tables[other] and me not in seen_away:
            seen_away[me] = now
    time.sleep(0.02)
t.check(len(seen_away) == 2, "each guest's MAC reached the other host's table (%s)"
        % sorted(seen_away))
for me, other in (("a", "b"), ("b", "a")):
    t.log("guest %s's MAC: in host %s's table %.0f ms after it showed in host %s's "
          "(polled every ~20 ms plus a ferryctl round trip)"
          % (me, other, 1000 * (seen_away[me] - seen_home.get(me, seen_away[me])), me))

for me, other in (("a", "b"), ("b", "a")):
    v = [x for x in ctlj(me, "vteps")["vteps"] if x["address"] == UNDER[other]]
    t.check(v and v[0]["origin"] == "evpn" and v[0]["vnis"] == [VNI] and v[0]["state"] == "ok",
            "host %s: VTEP %s came from EVPN for VNI %d, reached over %s"
            % (me, UNDER[other], VNI, v[0]["uplink"] if v else "?"))
    e = fdb(me).get(GUEST[other][0])
    t.check(e and e["kind"] == "remote" and e["where"] == UNDER[other] and
            e["origin"] == "evpn",
            "host %s: guest %s's MAC is behind VTEP %s, put there by EVPN (%s)"
            % (me, other, UNDER[other], e))
    ev = ctlj(me, "evpn")["evpn"][0]
    t.check(ev["ready"] and ev["vteps"] == 1 and ev["macs"] >= 1 and ev["exported"] >= 1 and
            ev["ips"] >= 1 and ev["errors"] == 0,
            "ferryctl evpn on host %s: %s in %s via %s, %d VTEP and %d MAC imported, %d MAC "
            "and %d IP exported, no errors" % (me, ev["device"], ev["bridge"], ev["port"],
                                               ev["vteps"], ev["macs"], ev["exported"],
                                               ev["ips"]))

routes = {h: fr[h].evpn_routes() for h in "ab"}
for h in "ab":
    macs2 = {r[1] for r in routes[h] if r[0] == 2}
    vteps3 = {r[3] for r in routes[h] if r[0] == 3}
    t.check({GUEST["a"][0], GUEST["b"][0]} <= macs2 and set(UNDER.values()) <= vteps3,
            "vtysh on host %s: both guests' MACs as type-2 routes, both VTEPs as type-3 (%s; %s)"
            % (h, sorted(macs2), sorted(vteps3)))
    macip = {(r[1], r[2]) for r in routes[h] if r[0] == 2 and r[2]}
    t.check(set(GUEST.values()) <= macip,
            "vtysh on host %s: both guests' MAC/IP bindings, from their ARP, as type-2 routes "
            "(%s)" % (h, sorted(macip)))

res_b = f.wait_result(ferry["b"], "gb", SERVE_MS["b"] / 1000 + 60)
t.check(res_b["ping_recv"] == str(PINGS), "guest b's %d pings to guest a were all answered "
        "(%s)" % (PINGS, res_b["ping_recv"]))
t_end = time.monotonic()
wait_until(lambda: GUEST["b"][0] not in fdb("a"), 15, "host A to drop guest b's MAC")
t.log("guest b's VM ended; host A dropped its MAC %.0f ms later"
      % (1000 * (time.monotonic() - t_end)))
wait_until(lambda: GUEST["b"][0] not in {r[1] for r in fr["a"].evpn_routes() if r[0] == 2}, 15,
           "the type-2 routes of guest b's MAC (and its IP) to be withdrawn")
t.check(True, "guest b's type-2 routes, MAC and MAC/IP, were withdrawn and host A's entry went")

stats = {h: ctlj(h, "stats") for h in "ab"}
res_a = f.wait_result(ferry["a"], "ga", SERVE_MS["a"] / 1000 + 60)
t.check(res_a["ping_recv"] == str(PINGS), "guest a's %d pings to guest b were all answered "
        "(%s)" % (PINGS, res_a["ping_recv"]))
for h in "ab":
    tn = [x for x in stats[h]["tenants"] if x["name"] == "t"][0]
    t.log("host %s: tenant flooded %d frames (of %d)" % (h, tn["flooded"], tn["rx_packets"]))
for h in "ab":
    f.stop_ferry(ferry[h], "ferry on host " + h.upper())
# Ferry gone: its TAP went with it, and zebra withdrew host A's guest too.
wait_until(lambda: not [r for r in fr["b"].evpn_routes() if r[0] == 2], 15,
           "every type-2 route to be withdrawn once both Ferrys stopped")
t.check(True, "with both Ferrys stopped, no type-2 route is left")
t.passed()
