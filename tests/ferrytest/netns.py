# SPDX-License-Identifier: BSD-3-Clause
"""Network namespaces, veth pairs and Linux's own VXLAN for the overlay
tests, with tshark captures to check what went over a wire.  Every
namespace made here is deleted when the program exits, pass or fail, so a
failed check leaves no interface behind."""
import atexit
import os
import subprocess

from .check import check, fail, log
from .proc import Proc, run

LIVE = []


@atexit.register
def _delete_leftovers():
    for ns in reversed(LIVE):
        subprocess.run(["ip", "netns", "delete", ns.name], stderr=subprocess.DEVNULL)


class Netns:
    """One namespace, named with the test's pid so parallel runs never meet."""

    def __init__(self, name):
        self.name = "%s-%d" % (name, os.getpid())
        run(["ip", "netns", "delete", self.name], quiet=True)
        sh(["ip", "netns", "add", self.name])
        LIVE.append(self)
        self.ip("link set lo up")

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def sh(self, *argv, timeout=60):
        """A command inside the namespace that must succeed; its stdout."""
        return sh(self.argv(argv), timeout=timeout)

    def ip(self, args):
        return sh(["ip", "-n", self.name] + args.split())

    def proc(self, name, argv, logdir=None, cpus=None):
        return Proc(name, self.argv(argv), logdir=logdir, cpus=cpus)

    def delete(self):
        run(["ip", "netns", "delete", self.name], quiet=True)
        LIVE.remove(self)


def sh(argv, timeout=60):
    rc, out, err = run(argv, timeout=timeout, quiet=True)
    if rc != 0:
        fail("%s -> %d: %s" % (" ".join(argv), rc, (out + err).strip()[:400]))
    return out


def veth(a, a_if, b, b_if, a_addr=None, b_addr=None):
    """A veth pair between namespaces @a and @b, up, with optional CIDR addresses.
    Checksum offload is off on both ends: veth hands on packets whose checksum
    the sender left for hardware to finish, and an AF_XDP or af_packet reader
    (Ferry's uplink) would see them unfinished, as on no real wire."""
    sh(["ip", "link", "add", a_if, "netns", a.name, "type", "veth", "peer", "name", b_if,
        "netns", b.name])
    for ns, ifname, addr in ((a, a_if, a_addr), (b, b_if, b_addr)):
        ns.sh("ethtool", "-K", ifname, "tx", "off")
        if addr:
            ns.ip("addr add %s dev %s" % (addr, ifname))
        ns.ip("link set %s up" % ifname)


def probe_filter(*hosts):
    """A tshark filter for the datagrams Ferry's underlay sends to the discard
    port (9) to make the kernel resolve a next hop from @hosts, and the ICMP
    port-unreachable answers: housekeeping that carries no tenant traffic."""
    return " or ".join("(udp.dstport == 9 and ip.src == %s) or (icmp.type == 3 and ip.dst == %s)"
                       % (h, h) for h in hosts)


class Capture:
    """tshark writing a pcap of @ifname inside @ns until stop()."""

    def __init__(self, ns, ifname, path, logdir):
        self.path = path
        self.p = ns.proc("tshark-" + ifname, ["tshark", "-q", "-n", "-i", ifname, "-w", path],
                         logdir=logdir)
        self.p.wait_text(r"Capturing on", 30)

    def stop(self):
        self.p.stop()

    def fields(self, display_filter, *fields):
        """Rows of @fields (strings) of the packets matching @display_filter."""
        argv = ["tshark", "-n", "-r", self.path, "-o", "ip.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE", "-Y", display_filter, "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=f"]
        for f in fields:
            argv += ["-e", f]
        out = sh(argv, timeout=120)
        return [line.split("|") for line in out.splitlines() if line]


def log_cmd(ns, argv):
    """Run @argv in @ns and log its output (for the record, not checked)."""
    rc, out, err = run(ns.argv(argv), quiet=True)
    log("%s: %s" % (" ".join(argv), (out + err).strip()))
    return out


_UDP_ECHO = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
bad = 0
for n in %r:
    data = bytes((i * 7 + n) & 0xff for i in range(n))
    for attempt in range(3):
        s.sendto(data, (%r, 7))
        try:
            got, peer = s.recvfrom(65536)
        except socket.timeout:
            continue
        if got != data or peer != (%r, 7):
            bad += 1
        break
    else:
        bad += 1
print("udp_bad=%%d" %% bad)
"""


def ping_and_echo(ns, ip, pings, sizes):
    """From @ns, @pings pings to a test guest at @ip, then one UDP datagram of
    each of @sizes to its echo port, each checked byte for byte (three tries
    each, for a lost one)."""
    out = ns.sh("ping", "-c", str(pings), "-i", "0.1", "-W", "2", ip, timeout=120)
    log(out.strip().splitlines()[-2])
    check(" %d received" % pings in out,
          "%s's %d pings to the guest were all answered" % (ns.name.rsplit("-", 1)[0], pings))
    out = ns.sh("python3", "-c", _UDP_ECHO % (list(sizes), ip, ip), timeout=120)
    check("udp_bad=0" in out, "%d UDP datagrams of %d..%d bytes came back from the guest "
          "unchanged (%s)" % (len(sizes), min(sizes), max(sizes), out.strip()))
