# SPDX-License-Identifier: BSD-3-Clause
"""FRRouting (Debian's frr) for the EVPN tests: zebra and bgpd of one
instance per network namespace, started without systemd as
../shared/docs/evpn.md describes (pid files and sockets in
/var/run/frr/NAMESPACE, queried with `vtysh -N NAMESPACE`), and the kernel
objects zebra reads for a VNI.  Every instance is stopped when the program
exits, pass or fail; a zebra that stops cleanly removes what it installed."""
import atexit
import json
import os
import pwd
import shutil
import signal
import time

from .check import fail, log
from .netns import sh

FRR = "/usr/lib/frr"
LIVE = []


@atexit.register
def _stop_all():
    for f in list(LIVE):
        f.stop()


def _frr_owned(path):
    u = pwd.getpwnam("frr")
    os.makedirs(path, exist_ok=True)
    os.chown(path, u.pw_uid, u.pw_gid)


def bgpd_conf(name, router_id, neighbors, rr_clients=False, vnis=True):
    """iBGP (AS 65000) l2vpn evpn with @neighbors; as route reflector with @rr_clients."""
    lines = ["frr defaults datacenter", "hostname %s" % name, "router bgp 65000",
             " bgp router-id %s" % router_id, " no bgp default ipv4-unicast"]
    if rr_clients:
        lines.append(" bgp cluster-id %s" % router_id)
    for n in neighbors:
        lines += [" neighbor %s remote-as 65000" % n, " neighbor %s update-source %s"
                  % (n, router_id)]
    lines.append(" address-family l2vpn evpn")
    for n in neighbors:
        lines.append("  neighbor %s activate" % n)
        if rr_clients:
            lines.append("  neighbor %s route-reflector-client" % n)
    if vnis:
        lines.append("  advertise-all-vni")
    lines += [" exit-address-family", ""]
    return "\n".join(lines)


class Frr:
    """zebra and bgpd in @ns with @bgpd (a bgpd.conf text); logs under @logdir."""

    def __init__(self, ns, bgpd, logdir):
        self.ns = ns
        self.run = "/var/run/frr/%s" % ns.name
        # The daemons run as user frr: the test's private directory is closed to them.
        self.dir = os.path.join(self.run, "files")
        self.logdir = logdir
        _frr_owned("/var/run/frr")
        _frr_owned(self.run)
        _frr_owned(self.dir)
        zebra = os.path.join(self.dir, "zebra.conf")
        with open(zebra, "w") as fp:
            fp.write("hostname %s\nlog file %s/zebra.log\ndebug zebra vxlan\n"
                     % (ns.name, self.dir))
        conf = os.path.join(self.dir, "bgpd.conf")
        with open(conf, "w") as fp:
            fp.write(bgpd.replace("hostname ", "log file %s/bgpd.log\nhostname " % self.dir, 1))
        for path in (zebra, conf):
            os.chmod(path, 0o644)
        LIVE.append(self)
        for daemon, cfg in (("zebra", zebra), ("bgpd", conf)):
            ns.sh(os.path.join(FRR, daemon), "-d", "-N", ns.name, "-f", cfg, "-A", "127.0.0.1",
                  timeout=30)
        log("FRR (zebra, bgpd) up in %s" % ns.name)

    def vtysh(self, cmd):
        return sh(["vtysh", "-N", self.ns.name, "-c", cmd], timeout=30)

    def vtysh_json(self, cmd):
        out = self.vtysh(cmd + " json")
        start = out.find("{")
        return json.loads(out[start:]) if start >= 0 else {}

    def evpn_routes(self):
        """[(route type, MAC or None, IP or None, next hop)] of `show bgp l2vpn evpn route`."""
        doc = self.vtysh_json("show bgp l2vpn evpn route")
        out = []
        for rd, prefixes in doc.items():
            if not isinstance(prefixes, dict):
                continue
            for prefix, paths in prefixes.items():
                if not isinstance(paths, dict) or "paths" not in paths:
                    continue
                for group in paths["paths"]:
                    for p in group if isinstance(group, list) else [group]:
                        nh = (p.get("nexthops") or [{}])[0].get("ip")
                        out.append((p.get("routeType"), p.get("mac"), p.get("ip"), nh))
        return out

    def wait_session(self, peers, timeout=60):
        """Until bgpd has an established session with each of @peers."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            doc = self.vtysh_json("show bgp l2vpn evpn summary")
            up = {p for p, v in (doc.get("peers") or {}).items()
                  if v.get("state") == "Established"}
            if set(peers) <= up:
                return
            time.sleep(0.3)
        fail("BGP sessions of %s with %s not up in %ds:\n%s"
             % (self.ns.name, peers, timeout, self.vtysh("show bgp l2vpn evpn summary")))

    def stop(self):
        if self not in LIVE:
            return
        LIVE.remove(self)
        for daemon in ("bgpd", "zebra"):
            path = os.path.join(self.run, daemon + ".pid")
            try:
                with open(path) as fp:
                    pid = int(fp.read().strip())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                continue
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
        shutil.copytree(self.dir, os.path.join(self.logdir, "frr-" + self.ns.name),
                        dirs_exist_ok=True)
        shutil.rmtree(self.run, ignore_errors=True)


def vni_devices(ns, vni, local, dstport=4790):
    """What zebra reads for one VNI: bridge br<VNI> with vxlan device vx<VNI>
    (local @local, no learning).  @dstport: not 4789, which the kernel would
    then hold (Ferry's AF_XDP uplink takes the VXLAN before the kernel sees
    it, so this device never carries traffic)."""
    br, vx = "br%d" % vni, "vx%d" % vni
    # A fixed address: one that followed the ports would change as Ferry's TAP comes and
    # goes, and the kernel flushes a bridge's neighbour entries when its address changes.
    ns.ip("link add %s address 02:00:00:00:%02x:%02x type bridge" % (br, vni >> 8 & 255, vni & 255))
    ns.ip("link add %s type vxlan id %d local %s dstport %d nolearning" % (vx, vni, local, dstport))
    ns.ip("link set %s master %s" % (vx, br))
    ns.sh("bridge", "link", "set", "dev", vx, "learning", "off", "neigh_suppress", "off")
    for dev in (vx, br):
        ns.ip("link set %s up" % dev)
    return br, vx
