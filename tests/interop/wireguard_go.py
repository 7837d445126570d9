#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_wireguard_go: Ferry's VXLAN inside WireGuard against wireguard-go
(Debian's package) carrying a stock Linux vxlan device.

Three namespaces: "fer" runs Ferry, its AF_XDP uplink on one end of a veth
pair (192.168.62.1); "lnx" holds the other end (192.168.62.2), wireguard-go
on a TUN device with 10.99.0.2 and, over it, `ip link add vx100 type vxlan id
100 local 10.99.0.2 remote 10.99.0.1`, bridged to a veth whose far end is the
"host" namespace (10.100.0.2).  In Ferry, tenant red (VNI 100) is encrypted:
its VTEP 10.99.0.1 lives inside the tunnel, and guest red1 (10.100.0.1) sits
in it.  Ferry's key is made by `ferry wg genkey`, Linux's by `wg genkey`,
each public key derived by the other tool.

Checked: a private key readable by everyone is refused with the reason; the
guest pings the Linux host and the host pings the guest; UDP datagrams of
every size up to the path MTU come back byte for byte; `wg show` on the
Linux side and `ferryctl wg` agree that a handshake happened and data moved
both ways; when wireguard-go moves to another port, Ferry follows the
authenticated packets there (roaming) and traffic goes on; peers are added
and removed at run time, bad ones refused; and tshark on the wire sees only
WireGuard (and ARP): every UDP packet is to or from port 51820 and decodes as
a WireGuard message, initiation, response and data, both ways, and no VXLAN,
ICMP or anything else in the clear."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import wg
from ferrytest.netns import Capture, Netns, ping_and_echo, probe_filter, veth
from ferrytest.proc import wait_socket

FER, LNX = "192.168.62.1", "192.168.62.2"
TUN_FER, TUN_LNX = "10.99.0.1", "10.99.0.2"
WG_PORT, ROAM_PORT = 51820, 51999
# wireguard-go's MTU is 1420; VXLAN over IPv4 takes 50 of it, IP and UDP 28 more.
VX_MTU = 1370
PINGS, MAX_UDP = 40, VX_MTU - 28
UDP_SIZES = list(range(1, MAX_UDP, 41)) + [MAX_UDP]
SERVE_MS = 15000
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool"), ("ping", "iputils-ping"),
                  ("tshark", "tshark"), ("wg", "wireguard-tools"),
                  ("wireguard-go", "wireguard-go")):
    t.require_program(prog, pkg)
tmp = t.workdir()
WGIF = "wgi%d" % (os.getpid() % 100000)  # wireguard-go's socket path is global: unique names

fer_key, fer_pub = wg.keypair(tmp, "ferry", maker="ferry")
lnx_key, lnx_pub = wg.keypair(tmp, "linux", maker="wg")

fer, lnx, host = Netns("fer"), Netns("lnx"), Netns("host")
veth(fer, "up0", lnx, "wire", FER + "/24", LNX + "/24")
wgo = wg.wireguard_go(lnx, WGIF, tmp)
lnx.sh("wg", "set", WGIF, "private-key", lnx_key, "listen-port", str(WG_PORT), "peer", fer_pub,
       "endpoint", "%s:%d" % (FER, WG_PORT), "allowed-ips", TUN_FER + "/32")
lnx.ip("addr add %s/24 dev %s" % (TUN_LNX, WGIF))
lnx.ip("link set %s up" % WGIF)
lnx.ip("link add vx100 type vxlan id 100 local %s remote %s dstport 4789 dev %s"
       % (TUN_LNX, TUN_FER, WGIF))
lnx.ip("link add br0 type bridge")
veth(lnx, "hport", host, "eth0", None, "10.100.0.2/24")
host.ip("link set eth0 mtu %d" % VX_MTU)
lnx.ip("link set hport mtu %d" % VX_MTU)
for dev in ("vx100", "hport"):
    lnx.ip("link set %s master br0" % dev)
for dev in ("vx100", "br0"):
    lnx.ip("link set %s up" % dev)

ctl = os.path.join(tmp, "ctl.sock")
guest = "mode=ip ip=10.100.0.1 irq=msix serve_ms=%d" % SERVE_MS
cfg = {
    "switch": {"hugepages": "auto", "mbufs": 16384},
    "vtep": {"local": FER},
    "wireguard": {"private_key_file": fer_key, "address": TUN_FER,
                  "peers": [{"public_key": lnx_pub, "endpoint": "%s:%d" % (LNX, WG_PORT),
                             "allowed_ips": [TUN_LNX + "/32"]}]},
    "tenants": [{"name": "red", "vni": 100, "vxlan": True, "encrypted": True,
                 "remote_vteps": [TUN_LNX]}],
    "uplinks": [{"name": "up0", "kind": "afxdp", "interface": "up0"}],
    "vms": [f.guest_vm("red1", "52:54:00:00:65:01", guest + " ping=10.100.0.2 count=%d "
                       "interval_ms=100" % PINGS, tenant="red")],
    "control": {"socket": ctl},
}
cfgpath = os.path.join(tmp, "wg.json")
with open(cfgpath, "w") as fp:
    json.dump(cfg, fp, indent=1)

# A private key everyone can read is refused before anything starts.
os.chmod(fer_key, 0o644)
rc, out, err = f.run_ferry(["run", cfgpath], timeout=120)
t.check(rc != 0 and "wireguard.private_key_file: %s: accessible by every user (mode 0644)"
        % fer_key in out + err, "a world-readable private key is refused, naming the file "
        "and its mode (exit %d)" % rc)
os.chmod(fer_key, 0o600)

cap = Capture(lnx, "wire", os.path.join(tmp, "wire.pcap"), tmp)
ferry = fer.proc("ferry", [f.ferry_bin(), "run", cfgpath], logdir=tmp)
wait_socket(ctl)


def ctlj(*a):
    return json.loads(f.ferryctl(ctl, *a, quiet=True))


def peer_of(pub):
    return [p for p in ctlj("wg", "--json")["wireguard"]["peers"] if p["public_key"] == pub]


ferry.wait_text(r"ferry-guest: ferry-guest \d", 60)
ping_and_echo(host, "10.100.0.1", 20, UDP_SIZES)

# Both ends' view: a handshake, bytes both ways.
_, peers = wg.show(lnx, WGIF)
row = [p for p in peers if p[0] == fer_pub]
t.check(row and int(row[0][4]) > 0 and int(row[0][5]) > 0 and int(row[0][6]) > 0,
        "wg show on the Linux side: a handshake with Ferry, %s bytes received, %s sent"
        % (row[0][5] if row else "?", row[0][6] if row else "?"))
p = peer_of(lnx_pub)
t.check(p and p[0]["handshakes"] >= 1 and p[0]["latest_handshake"] > 0 and
        p[0]["rx_packets"] > PINGS and p[0]["tx_packets"] > PINGS and p[0]["session"] and
        p[0]["endpoint"] == "%s:%d" % (LNX, WG_PORT),
        "ferryctl wg: handshake done, %s packets in, %s out, endpoint %s"
        % (p[0]["rx_packets"], p[0]["tx_packets"], p[0]["endpoint"]) if p else "no peer")
human = f.ferryctl(ctl, "wg", quiet=True, human=True)
t.check("peer: %s" % lnx_pub in human and "latest handshake:" in human and
        "public key: %s" % fer_pub in human and " received, " in human,
        "ferryctl wg prints the tunnel as wg show does")
vt = [v for v in ctlj("vteps")["vteps"] if v["address"] == TUN_LNX]
t.check(vt and vt[0]["encrypted"] and vt[0]["state"] == "ok" and vt[0]["uplink"] == "up0",
        "ferryctl vteps: %s is encrypted, reached through up0" % TUN_LNX)

# Roaming: wireguard-go moves to another port; Ferry follows its authenticated packets.
lnx.sh("wg", "set", WGIF, "listen-port", str(ROAM_PORT))
out = host.sh("ping", "-c", "10", "-i", "0.2", "-W", "2", "10.100.0.1", timeout=60)
t.check(" 10 received" in out, "after the Linux side moved to port %d, 10/10 pings answered"
        % ROAM_PORT)
p = peer_of(lnx_pub)
counters = ctlj("wg", "--json")["wireguard"]["counters"]
t.check(p and p[0]["endpoint"] == "%s:%d" % (LNX, ROAM_PORT) and counters["roamed"] >= 1,
        "Ferry follows it: endpoint %s, roamed=%d"
        % (p[0]["endpoint"] if p else "?", counters["roamed"]))

# Peers at run time: a good one is added and removed, bad ones are refused by key.
other = wg.keypair(tmp, "other", maker="wg")[1]
f.ferryctl(ctl, "wg", "peer-add",
           json.dumps({"public_key": other, "allowed_ips": ["10.99.7.0/24"]}))
t.check(len(peer_of(other)) == 1, "ferryctl wg peer-add: the new peer is listed")
out = f.ferryctl(ctl, "wg", "peer-add", json.dumps({"public_key": other}), expect=1)
t.check("peer.public_key: the same key as peers[1]" in out, "the same key twice is refused (%s)"
        % out.strip())
out = f.ferryctl(ctl, "wg", "peer-add", json.dumps({"public_key": "x" * 44}), expect=1)
t.check("peer.public_key: " in out and "is not a key" in out, "a malformed key is refused")
out = f.ferryctl(ctl, "wg", "peer-add", json.dumps({"public_key": fer_pub}), expect=1)
t.check("this host's own key" in out, "our own key as a peer is refused (%s)" % out.strip())
f.ferryctl(ctl, "wg", "peer-remove", other)
t.check(not peer_of(other), "ferryctl wg peer-remove: gone again")

red = f.wait_result(ferry, "red1", SERVE_MS / 1000 + 60)
ov = ctlj("stats")["overlay"]
wgc = ctlj("wg", "--json")["wireguard"]["counters"]
f.stop_ferry(ferry)
cap.stop()
wgo.stop()
t.check(red["ping_sent"] == str(PINGS) and red["ping_recv"] == str(PINGS),
        "the guest's %d pings to the Linux host were all answered (%s/%s, rtt avg %s us)"
        % (PINGS, red["ping_recv"], red["ping_sent"], red["rtt_avg_us"]))
t.check(int(red["udp_answered"]) >= len(UDP_SIZES) and red["bad"] == "0",
        "red1 answered %s UDP datagrams, bad=%s" % (red["udp_answered"], red["bad"]))
bad = {k: n for k, n in ov["drops"].items() if n and k not in ("no_nexthop", "wg_no_keys")}
t.check(not bad, "no tunnel packet was dropped as malformed, forged or misplaced (%s)" % bad)
t.check(wgc["bad_mac1"] == 0 and wgc["bad_handshake"] == 0 and wgc["bad_message"] == 0,
        "no handshake message was refused (%s)" % {k: v for k, v in wgc.items() if v})

# The wire: WireGuard and ARP, nothing in the clear (but next-hop probes).
PROBE = probe_filter(FER)
probes = cap.fields(PROBE, "frame.number")
t.log("%d neighbour-resolution probes and answers on the wire" % len(probes))
rows = cap.fields("ip and not (%s)" % PROBE, "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
                  "wg.type", "frame.protocols")
t.check(len(rows) > 2 * PINGS, "the capture holds %d IP packets" % len(rows))
t.check(all(r[5].startswith("eth:ethertype:ip:udp:wg") and
            (WG_PORT in (int(r[2]), int(r[3])) or ROAM_PORT in (int(r[2]), int(r[3])))
            for r in rows),
        "every IP packet on the wire is UDP to or from the WireGuard ports and decodes as "
        "WireGuard (%s)" % sorted({r[5] for r in rows})[:4])
t.check(not cap.fields("(vxlan or icmp or udp.port == 4789) and not (%s)" % PROBE,
                       "frame.number"),
        "no VXLAN and no ICMP crossed the wire in the clear")
types = {(r[0], r[4]) for r in rows}
t.check({(FER, "4"), (LNX, "4")} <= types and
        ((FER, "1") in types or (LNX, "1") in types) and
        ((FER, "2") in types or (LNX, "2") in types),
        "handshake initiation and response, and data messages both ways (%s)" % sorted(types))
others = cap.fields("not ip and not arp", "frame.protocols")
t.check(all("ipv6" in r[0] or "lldp" in r[0] for r in others),
        "besides that only ARP (and link-local IPv6 housekeeping): %s"
        % sorted({r[0] for r in others})[:4])
t.passed()
