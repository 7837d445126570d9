#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_linux_vxlan (--uplink afxdp), interop_linux_vxlan_dpdk_uplink
(--uplink dpdk) and interop_linux_vxlan_ipv6 (--underlay ipv6): Ferry's
VXLAN against Linux's own vxlan driver.

Three network namespaces: "fer" runs Ferry, with its uplink on one end of a
veth pair (an AF_XDP uplink, or DPDK's net_af_packet) whose two ends carry
the VTEPs' IPv4 (or IPv6) addresses; "lnx" holds the other
end and a Linux VTEP, `ip link add ... type vxlan id 100`, bridged to a veth
whose far end is the "host" namespace (10.100.0.2).  In Ferry, guest red1
(10.100.0.1) sits in tenant red (VNI 100); guest blue1, with the same MAC and
address, sits in tenant blue (VNI 200), which also travels to the Linux VTEP.

Checked: the guest pings the Linux host; the Linux host pings the guest and
gets its UDP datagrams (every size up to the path MTU) echoed byte for byte;
blue1 receives nothing at all; Ferry's VTEP table and MAC table show the
Linux side; no tunnel packet was dropped for a malformed header; and tshark,
on the Linux end of the wire, decodes every packet to or from UDP 4789 as
well-formed VXLAN: the I flag, VNI 100 only, right IP and UDP checksums (the
DPDK variant has Ferry fill outer UDP checksums, the AF_XDP one leaves them
out), DF and a dynamic-range source port on Ferry's packets, both ways."""
import argparse
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.netns import Capture, Netns, ping_and_echo, veth
from ferrytest.proc import wait_socket

ap = argparse.ArgumentParser()
ap.add_argument("--uplink", choices=("afxdp", "dpdk"), default="afxdp")
ap.add_argument("--underlay", choices=("ipv4", "ipv6"), default="ipv4")
args = ap.parse_args()
V6 = args.underlay == "ipv6"
# Ferry's VTEP and the Linux VTEP; IPv6 without duplicate address detection,
# which would hold the addresses back for a second or two.
FER, LNX, PLEN = ("fd00:61::1", "fd00:61::2", 64) if V6 else ("192.168.61.1", "192.168.61.2", 24)

# The Linux vxlan device's MTU (1450 over IPv4, 1430 over IPv6) less IP and UDP.
PINGS, MAX_UDP = 40, 1402 if V6 else 1422
UDP_SIZES = list(range(1, MAX_UDP, 37)) + [MAX_UDP]
SERVE_MS = 20000
t.require_kvm()
for prog, pkg in (("ip", "iproute2"), ("ethtool", "ethtool"), ("ping", "iputils-ping"),
                  ("tshark", "tshark")):
    t.require_program(prog, pkg)
tmp = t.workdir()

fer, lnx, host = Netns("fer"), Netns("lnx"), Netns("host")
veth(fer, "up0", lnx, "wire")
for ns, dev, addr in ((fer, "up0", FER), (lnx, "wire", LNX)):
    ns.ip("addr add %s/%d dev %s%s" % (addr, PLEN, dev, " nodad" if V6 else ""))
# The Linux VTEP: VNI 100 to Ferry's VTEP, in a bridge with the host's veth.
lnx.ip("link add vx100 type vxlan id 100 local %s remote %s dstport 4789 dev wire"
       % (LNX, FER))
lnx.ip("link add br0 type bridge")
veth(lnx, "hport", host, "eth0", None, "10.100.0.2/24")
for dev in ("vx100", "hport"):
    lnx.ip("link set %s master br0" % dev)
for dev in ("vx100", "br0"):
    lnx.ip("link set %s up" % dev)

ctl = os.path.join(tmp, "ctl.sock")
uplink = {"name": "up0", "kind": args.uplink, "interface": "up0"}
if args.uplink == "dpdk":
    uplink["devargs"] = "net_af_packet0,iface=up0"
guest = "mode=ip ip=10.100.0.1 irq=msix serve_ms=%d" % SERVE_MS
cfg = {
    "switch": {"hugepages": "auto", "mbufs": 16384},
    # One variant sends outer UDP checksums, so tshark verifies Ferry's too.
    "vtep": {"local": FER, "udp_checksum": args.uplink == "dpdk"},
    "tenants": [{"name": "red", "vni": 100, "vxlan": True, "remote_vteps": [LNX]},
                {"name": "blue", "vni": 200, "vxlan": True, "remote_vteps": [LNX]}],
    "uplinks": [uplink],
    "vms": [f.guest_vm("red1", "52:54:00:00:64:01", guest + " ping=10.100.0.2 count=%d "
                       "interval_ms=50" % PINGS, tenant="red"),
            f.guest_vm("blue1", "52:54:00:00:64:01", guest, tenant="blue")],
    "control": {"socket": ctl},
}
cfgpath = os.path.join(tmp, "vxlan.json")
with open(cfgpath, "w") as fp:
    json.dump(cfg, fp, indent=1)

cap = Capture(lnx, "wire", os.path.join(tmp, "wire.pcap"), tmp)
ferry = fer.proc("ferry", [f.ferry_bin(), "run", cfgpath], logdir=tmp)
wait_socket(ctl)


def ctlj(*a):
    return json.loads(f.ferryctl(ctl, *a, quiet=True))


info = [p for p in ctlj("stats")["ports"] if p["name"] == "up0"][0]
t.log("uplink: %s" % info["info"])
t.check(info["uplink"] and info["kind"] == args.uplink, "up0 is a %s uplink" % args.uplink)

# The guest pings the Linux host meanwhile: ARP and ICMP across the tunnel, both ways.
ferry.wait_text(r"\[red1\] ferry-guest: ferry-guest", 60)

# The Linux host pings the guest and sends it UDP of every size vx100 (MTU 1450) carries.
ping_and_echo(host, "10.100.0.1", 20, UDP_SIZES)

# What Ferry shows of the Linux side.
vteps = ctlj("vteps")["vteps"]
v = [x for x in vteps if x["address"] == LNX]
t.check(len(v) == 1 and v[0]["state"] == "ok" and v[0]["uplink"] == "up0" and
        sorted(v[0]["vnis"]) == [100, 200] and v[0]["origin"] == "config",
        "ferryctl vteps: %s reached via up0, for VNIs 100 and 200 (%s)" % (LNX, v))
host_mac = host.sh("cat", "/sys/class/net/eth0/address").strip()
macs = ctlj("fdb", "red")["macs"]
t.check(any(m["mac"] == host_mac and m["kind"] == "remote" and m["where"] == LNX
            for m in macs), "ferryctl fdb red: the Linux host's MAC %s is remote, behind %s"
        % (host_mac, LNX))
blue_macs = ctlj("fdb", "blue")["macs"]
t.check(all(m["kind"] == "local" for m in blue_macs),
        "tenant blue learned nothing from the tunnel")

# Remote VTEPs change at run time through the control socket; bad requests change nothing.
out = f.ferryctl(ctl, "vtep-add", "red", "224.0.0.1", expect=1)
t.check("address: 224.0.0.1 is a multicast address" in out, "a multicast VTEP is refused")
out = f.ferryctl(ctl, "vtep-add", "red", LNX, expect=1)
t.check("already a VTEP of 'red'" in out, "a VTEP listed twice is refused")
out = f.ferryctl(ctl, "vtep-remove", "green", LNX, expect=1)
t.check("tenant: unknown tenant 'green'" in out, "an unknown tenant is refused by key")
f.ferryctl(ctl, "vtep-remove", "blue", LNX)
v = [x for x in ctlj("vteps")["vteps"] if x["address"] == LNX]
t.check(len(v) == 1 and v[0]["vnis"] == [100], "after vtep-remove blue, %s floods for VNI 100 "
        "only (%s)" % (LNX, v[0]["vnis"] if v else None))
f.ferryctl(ctl, "vtep-add", "blue", LNX)
v = [x for x in ctlj("vteps")["vteps"] if x["address"] == LNX]
t.check(v and sorted(v[0]["vnis"]) == [100, 200], "and after vtep-add blue for both again")

# Let the guests finish, then stop Ferry and read their reports.
f.wait_result(ferry, "blue1", SERVE_MS / 1000 + 60)
f.wait_result(ferry, "red1", 60)
ov = ctlj("stats")["overlay"]
f.stop_ferry(ferry)
cap.stop()
res = f.results(ferry.text())
red, blue = f.last_result(res, "red1"), f.last_result(res, "blue1")
t.check(red["ping_sent"] == str(PINGS) and red["ping_recv"] == str(PINGS),
        "the guest's %d pings to the Linux host were all answered (%s/%s, rtt avg %s us)"
        % (PINGS, red["ping_recv"], red["ping_sent"], red["rtt_avg_us"]))
t.check(int(red["icmp_answered"]) >= 20 and int(red["udp_answered"]) >= len(UDP_SIZES) and
        red["bad"] == "0", "red1 answered %s pings and %s UDP datagrams, bad=%s"
        % (red["icmp_answered"], red["udp_answered"], red["bad"]))
t.check(blue["rx"] == "0", "blue1 (VNI 200, same MAC and IP) received nothing (rx=%s)"
        % blue["rx"])
bad = {k: n for k, n in ov["drops"].items() if n and k not in ("no_nexthop",)}
t.check(not bad, "no tunnel packet was dropped as malformed or misplaced (%s)" % bad)
t.check(ov["drops"]["no_nexthop"] <= 8, "at most a few frames waited on the first ARP "
        "(no_nexthop=%d)" % ov["drops"]["no_nexthop"])

# The wire, as Wireshark decodes it (the outer header's fields: tshark's first
# occurrence).  Not ICMP errors quoting a tunnel packet: with af_packet the
# kernel sees the tunnel too, and refused what Linux sent before Ferry's port
# bound UDP 4789.
ip = "ipv6" if V6 else "ip"
rows = [r for r in cap.fields("udp.port == 4789", ip + ".src", ip + ".dst", "udp.srcport",
                              "vxlan.flags", "vxlan.vni", "ip.flags.df", "ip.checksum.status",
                              "udp.checksum.status", "_ws.malformed", "frame.protocols")
        if not r[9].startswith("eth:ethertype:%s:icmp" % ip)]
t.check(len(rows) > 2 * PINGS, "the capture holds %d VXLAN packets" % len(rows))
mine = [r for r in rows if r[0] == FER]
theirs = [r for r in rows if r[0] == LNX]
t.check(len(mine) > PINGS and len(theirs) > PINGS,
        "both directions: %d from Ferry, %d from Linux" % (len(mine), len(theirs)))
t.check(all("vxlan" in r[9] and not r[8] for r in rows),
        "every packet to or from UDP 4789 decodes as VXLAN, none malformed")
t.check(all(r[3] == "0x0800" and r[4] == "100" for r in rows),
        "flags are exactly the I bit and the VNI is 100 in every packet (%s)"
        % sorted({(r[3], r[4]) for r in rows}))
# Wireshark's checksum status: 1 good, 3 not present.  IPv6 always has one.
want_udp = "1" if args.uplink == "dpdk" or V6 else "3"
t.check(all(V6 or r[6] == "1" for r in rows) and all(r[7] == want_udp for r in mine),
        "IP checksums good everywhere; Ferry's UDP checksums %s"
        % ("present and good" if want_udp == "1" else "absent, as configured"))
t.check(all((V6 or r[5] == "1") and 49152 <= int(r[2]) <= 65535 for r in mine),
        "Ferry's packets carry %sa source port in 49152..65535" % ("" if V6 else "DF and "))
inner = {r[9] for r in mine}
t.check(any("icmp" in p for p in inner) and any(":vxlan:eth:ethertype:ip:udp" in p for p in inner),
        "ICMP and UDP travel inside Ferry's packets")
t.passed()
