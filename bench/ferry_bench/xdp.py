# SPDX-License-Identifier: BSD-3-Clause
"""ferry-bench xdp: how fast each contender drops unwanted packets as they
arrive on a veth.  DPDK testpmd in namespace "gen" sends UDP (txonly,
through net_af_packet on one end of a veth pair, its lcores on CPU 0) at
whatever rate it can; namespace "sink" holds the other end, where:

- ferry: Ferry's access list (an xdp_acls entry with one rule dropping that
  UDP) drops it in XDP; its own counter says how many;
- xdp-filter: xdp-tools' xdp-filter, loaded on the same interface with the
  same port listed, drops it; `xdp-filter status` says how many;
- none: no program: the kernel's stack takes every packet (to a closed
  port); the interface's receive counter says how many.

The rate is the count over the measurement window.  The sender sets the
ceiling: it shares its CPU with the receiving veth's softirq, where XDP
runs, so a cheaper drop leaves the sender more time."""
import json
import os
import re
import time

from ferrytest.check import require_program
from ferrytest.netns import Netns, sh, veth
from ferrytest.proc import Proc, run, wait_socket

PORT = 9  # testpmd txonly's UDP destination port


def _sender(gen, tmp, size, cpu):
    argv = gen.argv(["stdbuf", "-oL", require_program("dpdk-testpmd", "dpdk-dev"),
                     "--lcores", "0@%d,1@%d" % (cpu, cpu), "--no-pci", "--no-huge", "-m", "512",
                     "--file-prefix", "ferry-xdpgen-%d" % os.getpid(), "--no-telemetry",
                     "--log-level", "*:warning", "--vdev", "net_af_packet0,iface=g0",
                     "--", "-i", "--nb-cores=1", "--forward-mode=txonly",
                     "--total-num-mbufs=16384", "--txd=1024", "--burst=32"])
    p = Proc("testpmd-gen", argv, stdin=True, logdir=tmp)
    p.wait_text(r"testpmd> ", 60)
    p.send("set txpkts %d" % (size - 4))
    p.send("start")
    return p


def _stop_sender(p):
    if p.alive():
        p.send("stop")
        p.send("quit")
    p.wait(30)


def _rx_packets(ns):
    st = json.loads(ns.sh("ip", "-s", "-j", "link", "show", "s0"))[0]["stats64"]
    return st["rx"]["packets"]


def _ferry_dropped(ferryctl, ctl):
    rc, out, err = run([ferryctl, "-s", ctl, "--json", "filter", "list"], quiet=True)
    if rc:
        raise RuntimeError("ferryctl filter list: " + (out + err)[-300:])
    return json.loads(out)["acls"][0]["stats"]["dropped"]


XDP_FILTER = """
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
xdp-filter load -m native s0 >/dev/null || exit 1
xdp-filter port %d -m dst >/dev/null || exit 1
sleep %s
xdp-filter status | grep XDP_DROP
sleep %s
xdp-filter status | grep XDP_DROP
xdp-filter unload s0 >/dev/null
"""


def _measure_xdp_filter(sink, tmp, a):
    script = XDP_FILTER % (PORT, a.warmup, a.seconds)
    t0 = time.monotonic()
    out = sink.sh("sh", "-c", script, timeout=int(a.warmup + a.seconds + 60))
    drops = [int(n) for n in re.findall(r"XDP_DROP\s+(\d+) pkts", out)]
    if len(drops) != 2:
        raise RuntimeError("xdp-filter status said: " + out[-500:])
    return (drops[1] - drops[0]) / a.seconds, time.monotonic() - t0


def measure(contender, size, a, tmp, progress):
    if size == "imix":
        return None
    gen, sink = Netns("xgen"), Netns("xsink")
    sender = ferry = None
    try:
        veth(gen, "g0", sink, "s0", "10.77.0.1/24", "10.77.0.2/24")
        if contender == "ferry":
            ctl = os.path.join(tmp, "ctl.sock")
            cfg = {"xdp_acls": [{"interface": "s0", "mode": "native", "rules": [
                       {"action": "drop", "proto": "udp", "dport": PORT}]}],
                   "switch": {"hugepages": "off", "mbufs": 2048}, "control": {"socket": ctl}}
            path = os.path.join(tmp, "xdp.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            ferry = sink.proc("ferry", [a.ferry, "run", path], logdir=tmp)
            wait_socket(ctl)
        sender = _sender(gen, tmp, size, a.guest_cpu)
        progress("xdp %s %s B: %gs" % (contender, size, a.seconds))
        if contender == "xdp-filter":
            pps, _ = _measure_xdp_filter(sink, tmp, a)
            return {"mpps": pps / 1e6}
        if contender == "ferry":
            ferryctl = os.path.join(os.path.dirname(a.ferry), "ferryctl")

            def read():
                return _ferry_dropped(ferryctl, ctl)
        else:
            def read():
                return _rx_packets(sink)
        time.sleep(a.warmup)
        c0, t0 = read(), time.monotonic()
        time.sleep(a.seconds)
        c1, t1 = read(), time.monotonic()
        return {"mpps": (c1 - c0) / (t1 - t0) / 1e6}
    finally:
        if sender:
            _stop_sender(sender)
        if ferry:
            ferry.stop()
        gen.delete()
        sink.delete()


def check_tools():
    for prog in ("dpdk-testpmd", "xdp-filter", "ethtool"):
        sh(["which", prog])
