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


def _config(path, a, guest_cmd, mac, local=None, remote=None, tap=None, uplink="afxdp"):
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
    if tap:
        cfg["tap_ports"] = [{"name": "tap", "interface": tap, "tenant": "bench"}]
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def _linux_vtep(ns, local, remote):
    """A bridge with the host's vxlan device; Ferry's tap joins it once it exists."""
    ns.ip("link add vx%d type vxlan id %d local %s remote %s dstport 4789 dev p1"
          % (VNI, VNI, local, remote))
    ns.ip("link add br0 type bridge")
    ns.ip("link set vx%d master br0" % VNI)
    for dev in ("vx%d" % VNI, "br0"):
        ns.ip("link set %s up" % dev)


def _join_bridge(ns, tap):
    wait_until(lambda: tap in ns.sh("ip", "-o", "link", "show"), 30, "tap %s" % tap)
    ns.ip("link set %s master br0" % tap)


def _vxlan_counts(ns):
    """(tx, rx) packets of the host's vxlan device."""
    st = json.loads(ns.sh("ip", "-s", "-j", "link", "show", "vx%d" % VNI))[0]["stats64"]
    return st["tx"]["packets"], st["rx"]["packets"]


def measure(contender, size, a, tmp, progress):
    ms = int(a.seconds * 1000)
    ha, hb = Netns("bxa"), Netns("bxb")
    try:
        veth(ha, "p1", hb, "p1", "172.16.9.1/24", "172.16.9.2/24")
        # A jumbo-ish underlay, as VXLAN deployments use, so 1518-byte frames fit.
        for ns in (ha, hb):
            ns.ip("link set p1 mtu %d" % UNDERLAY_MTU)
        rx_cmd = "mode=pktgen role=rx tag=vx irq=msix duration_ms=%d" % (ms + 8000)
        tx_cmd = ("mode=pktgen role=tx tag=vx peer=%s size=%s rate=0 duration_ms=%d flows=%d"
                  % (RX_MAC, size, ms, a.flows))
        if contender != "linux":
            up = "afxdp" if contender == "ferry" else "dpdk"
            cb = _config(os.path.join(tmp, "b.json"), a, rx_cmd, RX_MAC, "172.16.9.2",
                         "172.16.9.1", uplink=up)
            ca = _config(os.path.join(tmp, "a.json"), a, tx_cmd, TX_MAC, "172.16.9.1",
                         "172.16.9.2", uplink=up)
        else:
            _linux_vtep(ha, "172.16.9.1", "172.16.9.2")
            _linux_vtep(hb, "172.16.9.2", "172.16.9.1")
            cb = _config(os.path.join(tmp, "b.json"), a, rx_cmd, RX_MAC, tap="ftap")
            ca = _config(os.path.join(tmp, "a.json"), a, tx_cmd, TX_MAC, tap="ftap")
        fb = hb.proc("ferry-b", [a.ferry, "run", cb], logdir=tmp)
        fa = ha.proc("ferry-a", [a.ferry, "run", ca], logdir=tmp)
        if contender == "linux":
            _join_bridge(ha, "ftap")
            _join_bridge(hb, "ftap")
        progress("vxlan %s %s B: %gs of traffic" % (contender, size, a.seconds))
        fa.wait(a.seconds + 120)
        fb.wait(a.seconds + 60)
        # One VM per ferry: its console lines carry no "[name] " prefix.
        tx = fy.results(fa.text()).get("", [{}])[-1]
        rx = fy.results(fb.text()).get("", [{}])[-1]
        if "sent" not in tx or "received" not in rx:
            raise RuntimeError("pktgen guests did not report:\n%s\n%s"
                               % (fa.text()[-1500:], fb.text()[-1500:]))
        secs = float(tx.get("ms", 0)) / 1000.0 or a.seconds
        if contender != "linux":
            ma, mb = OVERLAY_LINE.search(fa.text()), OVERLAY_LINE.search(fb.text())
            encap, decap = int(ma.group(1)), int(mb.group(2))
        else:
            encap, decap = _vxlan_counts(ha)[0], _vxlan_counts(hb)[1]
        return {"mpps": int(rx["received"]) / secs / 1e6,
                "offered_mpps": float(tx.get("pps", 0)) / 1e6,
                "encap_mpps": encap / secs / 1e6, "decap_mpps": decap / secs / 1e6,
                "sent": int(tx["sent"]), "received": int(rx["received"]),
                "encapsulated": encap, "decapsulated": decap}
    finally:
        ha.delete()
        hb.delete()
        time.sleep(0.5)


def check_tools():
    for prog in ("ip", "ethtool"):
        sh(["which", prog])
