# SPDX-License-Identifier: BSD-3-Clause
"""DPDK testpmd as a benchmark peer (Debian's dpdk-testpmd, package dpdk-dev):

- LoopGuest: the "guest" of the loop topology Open vSwitch's own vhost tests
  use: one testpmd with two virtio-user ports in io forwarding, started with
  `start tx_first`, both ports looped through the switch under test.  The
  switched rate is the frames the guest receives per second on both ports,
  taken from the difference of two statistics readings (machine.md: testpmd's
  `clear port stats` does not always reset).
- Switch: testpmd with two net_vhost ports in io forwarding as the switch
  itself: the ceiling for any vhost-user switch on this machine."""
import os
import re
import time

from .procs import Proc

# testpmd prints statistics with stdio, block-buffered into a pipe: line-buffer it.
TESTPMD = ["stdbuf", "-oL", "dpdk-testpmd"]


def eal_args(prefix, lcores, mem_mb=1024, hugepages=False):
    args = ["--lcores", lcores, "--no-pci", "--file-prefix", prefix, "--no-telemetry",
            "-m", str(mem_mb)]
    # Hugepages come from a mounted hugetlbfs (the bench mounts one); vhost-user
    # peers cannot map --in-memory's memfd segments.
    return args + ([] if hugepages else ["--no-huge"])


class LoopGuest:
    def __init__(self, sock0, sock1, cpu, size=64, server=True, prefix="fbguest",
                 hugepages=False):
        vdev = "net_virtio_user%d,path=%s,queue_size=1024" + (",server=1" if server else "")
        argv = TESTPMD + eal_args(prefix, "0@%d,1@%d" % (cpu, cpu), 512 if hugepages else 1024,
                                  hugepages) + [
            "--vdev", vdev % (0, sock0), "--vdev", vdev % (1, sock1),
            "--", "-i", "--forward-mode=io", "--nb-cores=1", "--txd=1024", "--rxd=1024",
            "--burst=32"]
        self.size = size
        if server:  # a socket left by an earlier run would make bind() fail
            for s in (sock0, sock1):
                if os.path.exists(s):
                    os.unlink(s)
        self.proc = Proc(argv, stdin=True, name="testpmd-guest")

    def wait_ready(self, timeout=30):
        """Both ports connected: testpmd has gone on to check link states.
        (Its prompt never ends a line, so it cannot be waited for.)"""
        ok = self.proc.wait_for("Checking link statuses", timeout)
        time.sleep(0.5)
        return ok

    def start(self):
        if self.size != 64:
            self.proc.send("set txpkts %d" % (self.size - 4))  # the CRC is not in the frame
        self.proc.send("start tx_first")

    def _rx_total(self):
        mark = time.monotonic()
        self.proc.send("show port stats all")
        deadline = mark + 10
        while time.monotonic() < deadline:
            out = self.proc.output(since=mark)
            blocks = [l for l in out if "NIC statistics for port" in l]
            tail = [l for l in out if "####" in l and "NIC statistics" not in l]
            if len(blocks) == 2 and len(tail) >= 2:
                rx = [int(x) for x in re.findall(r"RX-packets:\s+(\d+)", "\n".join(out))]
                return sum(rx[:2]), mark
            time.sleep(0.05)
        raise RuntimeError("testpmd did not print port statistics:\n" + self.proc.text()[-2000:])

    def measure(self, seconds):
        """Frames per second received on both ports over @seconds."""
        a, t0 = self._rx_total()
        time.sleep(seconds)
        b, t1 = self._rx_total()
        return (b - a) / (t1 - t0)

    def stop(self):
        if self.proc.alive():
            self.proc.send("stop")
            self.proc.send("quit")
            time.sleep(1)
        return self.proc.stop()


class Switch:
    """testpmd io-forwarding between two vhost-user server ports: the ceiling."""

    def __init__(self, sock0, sock1, cpu, prefix="fbswitch", hugepages=False):
        argv = TESTPMD + eal_args(prefix, "0@%d,1@%d" % (cpu, cpu), 512 if hugepages else 1024,
                                  hugepages) + [
            "--vdev", "net_vhost0,iface=%s,queues=1,client=1" % sock0,
            "--vdev", "net_vhost1,iface=%s,queues=1,client=1" % sock1,
            "--", "-i", "--forward-mode=io", "--nb-cores=1", "--txd=1024", "--rxd=1024"]
        self.proc = Proc(argv, stdin=True, name="testpmd-switch")

    def start(self):
        if not self.proc.wait_for("Checking link statuses", 30):
            raise RuntimeError("testpmd (switch) did not start:\n" + self.proc.text()[-2000:])
        self.proc.send("start")

    def stop(self):
        if self.proc.alive():
            self.proc.send("stop")
            self.proc.send("quit")
            time.sleep(1)
        return self.proc.stop()
