# SPDX-License-Identifier: BSD-3-Clause
"""ferry-bench vxlan: one tenant between two hosts on one machine (two
network namespaces joined by a veth pair), a pktgen guest sending on host A
and a receiving guest on host B, each in a Ferry.  What differs between the
contenders is only who does the tunnel:

- ferry: Ferry's overlay; encapsulation in Ferry A, an AF_XDP uplink on
  each end of the veth, decapsulation in Ferry B.
- ferry_af_packet: the same with DPDK uplinks (net_af_packet) instead.
- linux: two Linux vxlan devices; each Ferry switches its guest to a TAP
  port in a Linux bridge with the host's vxlan device (the way a Ferry host
  would use the kernel's VXLAN), the kernel encapsulates, crosses the veth
  and decapsulates on the other side.

Measured per contender and size: what the sending guest offered, the
encapsulations and decapsulations per second (Ferry's overlay counters, or
the vxlan devices' own), and what the receiving guest got.  The figure
ferry-bench ranks is the last: frames that went through encap and decap
and arrived, per second.  The veth's MTU is 1600, so every frame size
fits with its 50 bytes of VXLAN.  Nothing is pinned: both Ferrys, both
guests and the kernel's softirqs share the machine's CPUs alike for every
contender."""
import json
import os
import re
import time

from ferrytest import ferry as fy
from ferrytest.netns import Netns, sh, veth
from ferrytest.proc import wait_until

VNI = 10
UNDERLAY_MTU = 1600  # a 1514-byte inner frame needs 1550 bytes of IPv4 underlay
TX_MAC, RX_MAC = "52:54:00:00:0e:01", "52:54:00:00:0e:02"
OVERLAY_LINE = re.compile(r"^overlay: (\d+) encapsulated, (\d+) decapsulated", re.M)


def config(path, a, guest_cmd, mac, local=None, remote=None, tap=None, uplink="afxdp",
           wireguard=None):
    """Ferry's config for one bench host; with @wireguard (the config's object)
    the tenant is encrypted and @remote is the other host's tunnel address."""
    tenant = {"name": "bench", "vni": VNI}
    cfg = {"switch": {"hugepages": "auto", "mbufs": 32768},
           "tenants": [tenant],
           "vms": [fy.guest_vm("g", mac, guest_cmd, tenant="bench", guest=a.guest)]}
    if local:
        tenant.update(vxlan=True, remote_vteps=[remote])
        cfg["vtep"] = {"local": local}
        cfg["uplinks"] = [{"name": "up", "kind": uplink, "interface": "p1"}]
        if uplink == "dpdk":
            cfg["uplinks"][0]["devargs"] = "net_af_packet0,iface=p1"
    if wireguard:
        cfg["wireguard"] = wireguard
        tenant["encrypted"] = True
    if tap:
        cfg["tap_ports"] = [{"name": "tap", "interface": tap, "tenant": "bench"}]
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def linux_vtep(ns, local, remote, dev="p1"):
    """A bridge with the host's vxlan device; Ferry's tap joins it once it exists."""
    ns.ip("link add vx%d type vxlan id %d local %s remote %s dstport 4789 dev %s"
          % (VNI, VNI, local, remote, dev))
    ns.ip("link add br0 type bridge")
    ns.ip("link set vx%d master br0" % VNI)
    for d in ("vx%d" % VNI, "br0"):
        ns.ip("link set %s up" % d)


def join_bridge(ns, tap):
    wait_until(lambda: tap in ns.sh("ip", "-o", "link", "show"), 30, "tap %s" % tap)
    ns.ip("link set %s master br0" % tap)


def vxlan_counts(ns):
    """(tx, rx) packets of the host's vxlan device."""
    st = json.loads(ns.sh("ip", "-s", "-j", "link", "show", "vx%d" % VNI))[0]["stats64"]
    return st["tx"]["packets"], st["rx"]["packets"]


def underlay(name, net):
    """Hosts A and B (namespaces) on a veth pair, @net.1 and @net.2."""
    ha, hb = Netns(name + "a"), Netns(name + "b")
    veth(ha, "p1", hb, "p1", net + ".1/24", net + ".2/24")
    # A jumbo-ish underlay, as VXLAN deployments use, so 1518-byte frames fit.
    for ns in (ha, hb):
        ns.ip("link set p1 mtu %d" % UNDERLAY_MTU)
    return ha, hb


def guest_cmds(size, a, tag):
    """(receiver's, sender's) test-guest command lines for one measurement."""
    ms = int(a.seconds * 1000)
    rx_cmd = "mode=pktgen role=rx tag=%s irq=msix duration_ms=%d" % (tag, ms + 8000)
    tx_cmd = ("mode=pktgen role=tx tag=%s peer=%s size=%s rate=0 duration_ms=%d flows=%d"
              % (tag, RX_MAC, size, ms, a.flows))
    return rx_cmd, tx_cmd


def run_hosts(ha, hb, ca, cb, a, tmp, progress, what, tap):
    """Ferry B (receiving) and Ferry A (sending) until their guests finish.
    The figures: what arrived per second, and the encapsulations and
    decapsulations (Ferry's overlay counters or, with @tap, the hosts' vxlan
    devices')."""
    fb = hb.proc("ferry-b", [a.ferry, "run", cb], logdir=tmp)
    fa = ha.proc("ferry-a", [a.ferry, "run", ca], logdir=tmp)
    if tap:
        join_bridge(ha, "ftap")
        join_bridge(hb, "ftap")
    progress("%s B: %gs of traffic" % (what, a.seconds))
    fa.wait(a.seconds + 120)
    fb.wait(a.seconds + 60)
    # One VM per ferry: its console lines carry no "[name] " prefix.
    tx = fy.results(fa.text()).get("", [{}])[-1]
    rx = fy.results(fb.text()).get("", [{}])[-1]
    if "sent" not in tx or "received" not in rx:
        raise RuntimeError("pktgen guests did not report:\n%s\n%s"
                           % (fa.text()[-1500:], fb.text()[-1500:]))
    secs = float(tx.get("ms", 0)) / 1000.0 or a.seconds
    if not tap:
        ma, mb = OVERLAY_LINE.search(fa.text()), OVERLAY_LINE.search(fb.text())
        encap, decap = int(ma.group(1)), int(mb.group(2))
    else:
        encap, decap = vxlan_counts(ha)[0], vxlan_counts(hb)[1]
    return {"mpps": int(rx["received"]) / secs / 1e6,
            "offered_mpps": float(tx.get("pps", 0)) / 1e6,
            "encap_mpps": encap / secs / 1e6, "decap_mpps": decap / secs / 1e6,
            "sent": int(tx["sent"]), "received": int(rx["received"]),
            "encapsulated": encap, "decapsulated": decap}


def measure(contender, size, a, tmp, progress):
    ha, hb = underlay("bx", "172.16.9")
    try:
        rx_cmd, tx_cmd = guest_cmds(size, a, "vx")
        if contender != "linux":
            up = "afxdp" if contender == "ferry" else "dpdk"
            cb = config(os.path.join(tmp, "b.json"), a, rx_cmd, RX_MAC, "172.16.9.2",
                        "172.16.9.1", uplink=up)
            ca = config(os.path.join(tmp, "a.json"), a, tx_cmd, TX_MAC, "172.16.9.1",
                        "172.16.9.2", uplink=up)
        else:
            linux_vtep(ha, "172.16.9.1", "172.16.9.2")
            linux_vtep(hb, "172.16.9.2", "172.16.9.1")
            cb = config(os.path.join(tmp, "b.json"), a, rx_cmd, RX_MAC, tap="ftap")
            ca = config(os.path.join(tmp, "a.json"), a, tx_cmd, TX_MAC, tap="ftap")
        return run_hosts(ha, hb, ca, cb, a, tmp, progress, "vxlan %s %s" % (contender, size),
                         tap=contender == "linux")
    finally:
        ha.delete()
        hb.delete()
        time.sleep(0.5)


def check_tools():
    for prog in ("ip", "ethtool"):
        sh(["which", prog])
