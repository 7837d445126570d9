#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_two_ferry_hosts_encrypted: one encrypted tenant (VNI 500) over two
Ferry hosts, VXLAN inside WireGuard, with keys renewed while traffic runs.

Hosts A and B are namespaces (172.16.1.1 and .2) joined through a third,
the wire: a Linux bridge where tshark can see what passes (an AF_XDP
socket's packets pass by the taps of its own interface).  Each Ferry has an
AF_XDP uplink and a WireGuard interface of its own
(tunnel addresses 10.99.0.1 and .2, keys from `ferry wg genkey`, one
preshared key).  A knows B's endpoint; B knows only A's key and learns
where A is from A's first authenticated handshake.  The tenant's VTEPs are
the tunnel addresses, so its VXLAN exists only inside the tunnel.  Guest a
(10.50.0.1) and guest b (10.50.0.2) ping each other for 20 s.

Both hosts run the whitepaper's timers 20 times faster (test_timer_divisor:
rekey after 6 s, reject after 9 s), and B also renews keys after every 300
messages, so both sides start handshakes, several of them under the pings.  Checked: every ping
of both guests is answered, across every rekey; each side counts at least
three handshakes and the peer's latest keys are fresh; B found A's endpoint;
no tunnel packet was dropped as forged, replayed, expired or misplaced; and
on the wire between the hosts every IP packet is WireGuard, none VXLAN or
ICMP in the clear."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import wg
from ferrytest.netns import Capture, Netns, probe_filter, veth

COUNT, INTERVAL_MS = 1000, 20  # 20 s of pings each way
DIVISOR, REKEY_MESSAGES = 20, 300
MIN_HANDSHAKES = 3
WG_PORT = 51820
UNDER = {"a": "172.16.1.1", "b": "172.16.1.2"}
TUNNEL = {"a": "10.99.0.1", "b": "10.99.0.2"}
GUEST = {"a": ("52:54:00:00:51:01", "10.50.0.1"), "b": ("52:54:00:00:51:02", "10.50.0.2")}
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool"), ("tshark", "tshark")):
    t.require_program(prog, pkg)
tmp = t.workdir()

ns = {"a": Netns("hosta"), "b": Netns("hostb")}
wire = Netns("wire")
wire.ip("link add br0 type bridge")
for h in "ab":
    veth(ns[h], "p1", wire, "to" + h, UNDER[h] + "/24", None)
    wire.ip("link set to%s master br0" % h)
wire.ip("link set br0 up")
keys = {h: wg.keypair(tmp, "host" + h, maker="ferry") for h in "ab"}
shared = wg.psk(tmp, "ab")


def config(me, other):
    ctl = os.path.join(tmp, me + ".sock")
    peer = {"public_key": keys[other][1], "allowed_ips": [TUNNEL[other] + "/32"],
            "preshared_key_file": shared}
    if me == "a":
        peer["endpoint"] = "%s:%d" % (UNDER[other], WG_PORT)
    wgc = {"private_key_file": keys[me][0], "address": TUNNEL[me], "listen_port": WG_PORT,
           "peers": [peer], "test_timer_divisor": DIVISOR}
    if me == "b":
        wgc["test_rekey_after_messages"] = REKEY_MESSAGES
    mac, ip = GUEST[me]
    # Each serves past its own last ping, so that the other's last ones find it.
    cmd = ("mode=ip ip=%s ping=%s count=%d interval_ms=%d irq=msix serve_ms=%d"
           % (ip, GUEST[other][1], COUNT, INTERVAL_MS, COUNT * INTERVAL_MS + 6000))
    cfg = {
        "switch": {"hugepages": "auto", "mbufs": 16384},
        "vtep": {"local": UNDER[me]},
        "wireguard": wgc,
        "tenants": [{"name": "t", "vni": 500, "vxlan": True, "encrypted": True,
                     "remote_vteps": [TUNNEL[other]]}],
        "uplinks": [{"name": "up1", "kind": "afxdp", "interface": "p1"}],
        "vms": [f.guest_vm("g" + me, mac, cmd, tenant="t")],
        "control": {"socket": ctl},
    }
    path = os.path.join(tmp, me + ".json")
    with open(path, "w") as fp:
        json.dump(cfg, fp, indent=1)
    return path, ctl


cap = Capture(wire, "br0", os.path.join(tmp, "wire.pcap"), tmp)
ctl, ferry = f.start_hosts(ns, config, tmp)


def wgj(h):
    return json.loads(f.ferryctl(ctl[h], "wg", "--json", quiet=True))["wireguard"]


res = {h: f.wait_result(ferry[h], "g" + h, 150) for h in "ab"}
state = {h: wgj(h) for h in "ab"}
stats = {h: json.loads(f.ferryctl(ctl[h], "stats", quiet=True)) for h in "ab"}
for h in "ab":
    with open(os.path.join(tmp, "stats-%s.json" % h), "w") as fp:
        json.dump({"stats": stats[h], "wireguard": state[h]}, fp, indent=1)
    t.log("host %s: overlay drops %s, staged %s" % (
        h, {k: n for k, n in stats[h]["overlay"]["drops"].items() if n},
        [p["staged"] for p in state[h]["peers"]]))
for h in "ab":
    r = res[h]
    t.check(r["ping_sent"] == str(COUNT) and r["ping_recv"] == str(COUNT) and r["bad"] == "0",
            "guest %s: %s of %s pings answered through the tunnel, none lost across the "
            "rekeys (rtt avg %s us, bad=%s)"
            % (h, r["ping_recv"], r["ping_sent"], r["rtt_avg_us"], r["bad"]))

for me, other in (("a", "b"), ("b", "a")):
    p = [x for x in state[me]["peers"] if x["public_key"] == keys[other][1]][0]
    t.check(p["handshakes"] >= MIN_HANDSHAKES and p["session"] and
            p["rx_packets"] >= COUNT * 2 and p["tx_packets"] >= COUNT * 2,
            "host %s: %d handshakes with %s while %d packets came in and %d went out"
            % (me, p["handshakes"], other, p["rx_packets"], p["tx_packets"]))
    t.check(p["endpoint"] == "%s:%d" % (UNDER[other], WG_PORT),
            "host %s reaches %s at %s%s" % (me, other, p["endpoint"],
                                            " (learned from its handshake)" if me == "b"
                                            else ""))
    c = state[me]["counters"]
    t.check(c["initiations_tx"] >= 1 and c["initiations_rx"] >= 1,
            "host %s started %d handshakes and answered %d (%s)"
            % (me, c["initiations_tx"], c["initiations_rx"],
               "the later ones by count of messages" if me == "b" else "the first"))
    t.check(c["bad_mac1"] == 0 and c["bad_handshake"] == 0 and c["bad_message"] == 0,
            "host %s refused no handshake message (%s)"
            % (me, {k: v for k, v in c.items() if v}))
ov = {h: stats[h]["overlay"] for h in "ab"}
for h in "ab":
    bad = {k: n for k, n in ov[h]["drops"].items()
           if n and k not in ("no_nexthop", "wg_no_keys")}
    t.check(not bad, "host %s dropped no tunnel packet as forged, replayed, expired or "
            "misplaced (%s)" % (h, bad))
for h in "ab":
    f.stop_ferry(ferry[h], "ferry on host " + h.upper())
cap.stop()

# Not counted: next-hop probes and the hosts' own IGMP reports.
PROBE = "igmp or " + probe_filter(UNDER["a"], UNDER["b"])
t.log("%d probes and IGMP reports on the wire" % len(cap.fields(PROBE, "frame.number")))
rows = cap.fields("ip and not (%s)" % PROBE, "ip.src", "udp.srcport", "udp.dstport", "wg.type",
                  "frame.protocols")
t.check(len(rows) > 4 * COUNT, "the capture holds %d IP packets" % len(rows))
t.check(all(r[4].startswith("eth:ethertype:ip:udp:wg") and int(r[1]) == WG_PORT and
            int(r[2]) == WG_PORT for r in rows),
        "every IP packet between the hosts is WireGuard, port %d to port %d (%s)"
        % (WG_PORT, WG_PORT, sorted({r[4] for r in rows})[:4]))
t.check(not cap.fields("(vxlan or icmp or udp.port == 4789) and not (%s)" % PROBE,
                       "frame.number"),
        "no VXLAN and no ICMP crossed the wire in the clear")
inits = len([r for r in rows if r[3] == "1"])
t.check(inits >= MIN_HANDSHAKES, "%d handshake initiations on the wire, the rest data" % inits)
t.passed()
