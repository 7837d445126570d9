# SPDX-License-Identifier: BSD-3-Clause
"""DPDK's testpmd (Debian dpdk-dev) driven through its interactive prompt:
a vhost-user peer in tests (virtio-user facing Ferry's ports, net_vhost
serving Ferry's NICs) and, in benchmarks, the loop guest of OVS's vhost
tests or the switch itself.

testpmd's statistics are read from `show port stats all` and compared as
the difference of two readings: `clear port stats` does not (docs/hosts.md)
always reset them.  Its printf output is block-buffered into a pipe, hence
stdbuf."""
import os
import re
import shutil
import time

from .check import fail, require_program
from .proc import Proc

STATS = re.compile(r"NIC statistics for port (\d+)\s+#+\s+RX-packets:\s+(\d+).*?"
                   r"TX-packets:\s+(\d+)", re.S)
FWD_BLOCK = re.compile(r"Forward statistics for port (\d+)\s+-+\s+(.*?)-{20,}", re.S)
PROMPT = r"testpmd> "


class TestPmd(Proc):
    """testpmd with the given --vdev arguments, two lcores (one forwards and
    busy-polls), in interactive mode.  @cpu pins both lcores to one CPU (the
    benchmarks' pinning); without it they are lcores 0 and 1.  Without
    @hugepages it runs --no-huge."""

    def __init__(self, name, vdevs, logdir=None, fwd="io", cpu=None, hugepages=False,
                 mem_mb=512, descs=256, mbufs=16384, extra=()):
        self.prefix_name = "ferry-%s-%d" % (name, os.getpid())
        self.prefix = "/var/run/dpdk/" + self.prefix_name
        self.nports = len(vdevs)
        lcores = ["--lcores", "0@%d,1@%d" % (cpu, cpu)] if cpu is not None else ["-l", "0,1"]
        argv = ["stdbuf", "-oL", require_program("dpdk-testpmd", "dpdk-dev")] + lcores + [
            "--no-pci", "--file-prefix", self.prefix_name, "--no-telemetry",
            "--log-level", "*:warning", "-m", str(mem_mb)] + ([] if hugepages else ["--no-huge"])
        for v in vdevs:
            argv += ["--vdev", v]
        argv += ["--", "-i", "--nb-cores=1", "--total-num-mbufs=%d" % mbufs,
                 "--txd=%d" % descs, "--rxd=%d" % descs, "--burst=32",
                 "--forward-mode=" + fwd] + list(extra)
        super().__init__(name, argv, stdin=True, logdir=logdir)

    def cmd(self, line):
        self.send(line)

    def ready(self, timeout=60):
        """Every port started (a virtio-user server port has its peer): the prompt."""
        self.wait_text(PROMPT, timeout)

    def stats(self, timeout=20):
        """{port: (rx packets, tx packets)} from `show port stats all`."""
        since = self.size()
        self.cmd("show port stats all")
        last = "NIC statistics for port %d" % (self.nports - 1)
        self.wait_text(re.escape(last) + r".*?Tx-pps", timeout, since)
        return {int(p): (int(rx), int(tx)) for p, rx, tx in STATS.findall(self.text(since))}

    def rx_rate(self, seconds):
        """Frames per second received on all ports over @seconds."""
        a, t0 = total(self.stats(), 0), time.monotonic()
        time.sleep(seconds)
        b, t1 = total(self.stats(), 0), time.monotonic()
        return (b - a) / (t1 - t0)

    def stop_fwd(self, timeout=20):
        """Stop forwarding; {port: {"rx", "rx_dropped", "tx", "tx_dropped"}} of the run."""
        since = self.size()
        self.cmd("stop")
        self.wait_text(r"Accumulated forward statistics", timeout, since)
        out = {}
        for p, body in FWD_BLOCK.findall(self.text(since)):
            nums = dict((k, int(v)) for k, v in re.findall(r"([RT]X-\w+):\s+(\d+)", body))
            out[int(p)] = {"rx": nums["RX-packets"], "rx_dropped": nums["RX-dropped"],
                           "tx": nums["TX-packets"], "tx_dropped": nums["TX-dropped"]}
        if len(out) != self.nports:
            fail("%s printed forward statistics for %d of %d ports:\n%s"
                 % (self.name, len(out), self.nports, self.text(since)[-2000:]))
        return out

    def quit(self, timeout=30):
        if self.alive():
            self.cmd("stop")
            self.cmd("quit")
        rc = self.wait(timeout)
        shutil.rmtree(self.prefix, ignore_errors=True)
        return rc

    def stop(self, sig=None, timeout=30):
        """testpmd's own way out (stop, quit), not a signal: see quit()."""
        return self.quit(timeout)

    def kill(self):
        super().kill()
        shutil.rmtree(self.prefix, ignore_errors=True)


def total(stats, idx):
    """Sum over ports of column @idx (0 rx, 1 tx) of a stats() reading."""
    return sum(v[idx] for v in stats.values())


def loop_guest(sock0, sock1, cpu, hugepages=False, name="testpmd-guest", logdir=None,
               packed=False):
    """The "guest" of the loop topology OVS's vhost tests use: two virtio-user
    ports in server mode (the switch connects) and io forwarding, so what
    one port receives leaves on the other, through the switch and back;
    @packed: on packed virtqueues (packed_vq=1)."""
    for s in (sock0, sock1):
        if os.path.exists(s):
            os.unlink(s)  # a socket left by an earlier run would make bind() fail
    vdev = "net_virtio_user%d,path=%s,queue_size=1024,server=1"
    if packed:
        vdev += ",packed_vq=1"
    return TestPmd(name, [vdev % (0, sock0), vdev % (1, sock1)], logdir=logdir, cpu=cpu,
                   hugepages=hugepages, mem_mb=512 if hugepages else 1024, descs=1024)


def start_loop(pmd, frame_size):
    """Send the first burst on both ports and let it circulate.  @frame_size
    counts the FCS, as RFC 2544 sizes do; the frames in the rings do not
    carry one, so testpmd is told 4 bytes less at every size, 64 B included."""
    pmd.cmd("set txpkts %d" % (frame_size - 4))
    pmd.cmd("start tx_first")


def switch(sock0, sock1, cpu, hugepages=False, name="testpmd-switch", logdir=None):
    """testpmd io-forwarding between two vhost-user ports it serves as a
    client of the loop guest: the ceiling for any vhost-user switch here."""
    return TestPmd(name, ["net_vhost0,iface=%s,queues=1,client=1" % sock0,
                          "net_vhost1,iface=%s,queues=1,client=1" % sock1],
                   logdir=logdir, cpu=cpu, hugepages=hugepages,
                   mem_mb=512 if hugepages else 1024, descs=1024)
