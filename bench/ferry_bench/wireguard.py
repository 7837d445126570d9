# SPDX-License-Identifier: BSD-3-Clause
"""ferry-bench wireguard: the vxlan scenario's two hosts (namespaces on a
veth pair, a pktgen guest in Ferry A sending to a receiving guest in Ferry
B), with the tenant's VXLAN inside a WireGuard tunnel between the hosts.
What differs between the contenders is who does VXLAN and WireGuard:

- ferry: Ferry's encrypted overlay; the PMD seals on A and opens on B in
  bursts (ChaCha20-Poly1305 from OpenSSL), AF_XDP uplinks on the veth.
- wireguard-go: Debian's wireguard-go on a TUN device in each host with a
  Linux vxlan device over it; each Ferry switches its guest to a TAP port
  in a bridge with that vxlan device (the way a Ferry host would use a
  userspace WireGuard; this kernel has no wireguard module).

Measured per contender and size, as in vxlan: offered, sealed (the
encapsulations), opened (the decapsulations) and delivered frames per
second; ferry-bench ranks the delivered ones.  The tunnel's MTU leaves
room for a 1518-byte frame in VXLAN in WireGuard (1518 + 50 + 60 bytes on
a 1600-byte veth), so every size fits, unfragmented, for both.  Nothing is
pinned: both Ferrys, both guests, wireguard-go and the kernel share the
machine's CPUs alike for every contender."""
import os
import time

from ferrytest import wg

from .vxlan import RX_MAC, TX_MAC, UNDERLAY_MTU, config, guest_cmds, linux_vtep, run_hosts
from .vxlan import underlay

NET, TUN = "172.16.7", "10.98.0"
WG_PORT = 51820
TUN_MTU = UNDERLAY_MTU - 60  # WireGuard over IPv4: 20 + 8 + 32 bytes


def _ferry_configs(size, a, tmp, keys):
    rx_cmd, tx_cmd = guest_cmds(size, a, "wg")
    paths = []
    for me, other, cmd, mac in (("a", "b", tx_cmd, TX_MAC), ("b", "a", rx_cmd, RX_MAC)):
        n, o = ".1" if me == "a" else ".2", ".2" if me == "a" else ".1"
        wgc = {"private_key_file": keys[me][0], "address": TUN + n, "listen_port": WG_PORT,
               "peers": [{"public_key": keys[other][1], "endpoint": "%s%s:%d" % (NET, o, WG_PORT),
                          "allowed_ips": [TUN + o + "/32"]}]}
        paths.append(config(os.path.join(tmp, me + ".json"), a, cmd, mac, NET + n, TUN + o,
                            wireguard=wgc))
    return paths


def _wireguard_go(ha, hb, tmp, keys, procs):
    """wireguard-go in each host, a vxlan device over it in a bridge; the TAP configs."""
    tag = os.getpid() % 100000  # wireguard-go's control socket names are global
    for ns, me, other in ((ha, "a", "b"), (hb, "b", "a")):
        n, o = ".1" if me == "a" else ".2", ".2" if me == "a" else ".1"
        ifname = "bwg%d%s" % (tag, me)
        procs.append(wg.wireguard_go(ns, ifname, tmp))
        ns.sh("wg", "set", ifname, "private-key", keys[me][0], "listen-port", str(WG_PORT),
              "peer", keys[other][1], "endpoint", "%s%s:%d" % (NET, o, WG_PORT),
              "allowed-ips", TUN + o + "/32")
        ns.ip("addr add %s%s/24 dev %s" % (TUN, n, ifname))
        ns.ip("link set %s mtu %d up" % (ifname, TUN_MTU))
        linux_vtep(ns, TUN + n, TUN + o, dev=ifname)


def measure(contender, size, a, tmp, progress):
    ha, hb = underlay("bw", NET)
    procs = []
    try:
        keys = {h: wg.keypair(tmp, "host" + h, maker="ferry", ferry=a.ferry) for h in "ab"}
        if contender == "ferry":
            ca, cb = _ferry_configs(size, a, tmp, keys)
        else:
            _wireguard_go(ha, hb, tmp, keys, procs)
            rx_cmd, tx_cmd = guest_cmds(size, a, "wg")
            ca = config(os.path.join(tmp, "a.json"), a, tx_cmd, TX_MAC, tap="ftap")
            cb = config(os.path.join(tmp, "b.json"), a, rx_cmd, RX_MAC, tap="ftap")
        return run_hosts(ha, hb, ca, cb, a, tmp, progress,
                         "wireguard %s %s" % (contender, size), tap=contender != "ferry")
    finally:
        for p in procs:
            p.stop()
        ha.delete()
        hb.delete()
        time.sleep(0.5)
