#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TCP stream between two Linux guests through each switch, in one run:
Ferry's vhost-user ports and Open vSwitch-DPDK's (dpdkvhostuserclient, with
other_config:userspace-tso-enable=true so OVS passes TSO frames too).

Per contender: two QEMU guests (TCG, Debian's stock kernel, the nested test
bed's initramfs with iperf3) listen on vhost-user sockets; the switch, its
one PMD pinned to --switch-cpu, connects to both; A runs `iperf3 -c B -t
SECONDS` and prints the rate.  The guests run on --guest-cpu.  Under TCG the
guests' own CPU bounds the rate, so the ratio says more than the numbers;
they are printed, never asserted.

usage: tcp_stream.py [--ferry BIN] [--seconds S] [--contenders ferry,ovs] [--json]"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import nested  # noqa: E402  (the one test library)
from ferrytest.ovs import OvsDpdk  # noqa: E402
from ferrytest.proc import Proc, wait_socket  # noqa: E402

MACS = ("52:54:00:00:7a:01", "52:54:00:00:7a:02")
GUEST = """
mkdir -p /tmp
ip link set lo up
ip link set eth0 up
ip addr add 10.79.0.%d/24 dev eth0
%s
poweroff -f
"""
SENDER = """
n=0
until ping -c 1 -W 1 10.79.0.2 > /dev/null 2>&1 || [ $n -ge 120 ]; do n=$((n + 1)); done
n=0
until iperf3 -c 10.79.0.2 -t %d -J > /tmp/out.json 2> /dev/null || [ $n -ge 30 ]; do
    n=$((n + 1)); sleep 1
done
echo "STREAM-BPS $(sed -n 's/.*"bits_per_second":[[:space:]]*\\([0-9.e+]*\\).*/\\1/p' \\
    /tmp/out.json | tail -n 1)"
"""
RECEIVER = "iperf3 -s -1 > /dev/null 2>&1"


def ferry_switch(a, tmp, socks):
    cfg = os.path.join(tmp, "ferry.json")
    doc = {"switch": {"pmd_threads": 1, "pmd_cpus": [a.switch_cpu], "idle_sleep_us": 0,
                      "hugepages": "auto", "mbufs": 32768},
           "tenants": [{"name": "t", "vni": 1}],
           "vhost_user_ports": [{"name": "vu%d" % i, "path": s, "mode": "client",
                                 "tenant": "t"} for i, s in enumerate(socks)]}
    with open(cfg, "w") as f:
        json.dump(doc, f)
    return Proc("ferry", [a.ferry, "run", cfg], cpus=[a.guest_cpu], logdir=tmp)


def ovs_switch(a, tmp, socks):
    sw = OvsDpdk(os.path.join(tmp, "ovs"), pmd_cpu=a.switch_cpu, main_cpu=a.guest_cpu,
                 other_config=("userspace-tso-enable=true",))
    for i, s in enumerate(socks):
        sw.add_vhost_client_port("vhu%d" % i, s)
    return sw


SWITCHES = {"ferry": ferry_switch, "ovs": ovs_switch}


def run_one(a, name, initrds):
    tmp = tempfile.mkdtemp(prefix="tcp-stream-%s-" % name)
    socks = [os.path.join(tmp, "g%d.sock" % i) for i in range(2)]
    vms = [Proc("qemu-%s-%d" % (name, i), nested.qemu_vhost_user_argv(
        initrds[i], socks[i], MACS[i], "console=ttyS0 panic=-1 quiet rdinit=/init",
        server=True), cpus=[a.guest_cpu], logdir=tmp) for i in range(2)]
    sw = None
    try:
        for s in socks:
            wait_socket(s, 60)
        sw = SWITCHES[name](a, tmp, socks)
        vms[0].wait(a.seconds + 600)
        m = re.search(r"STREAM-BPS ([0-9.e+]+)", vms[0].text())
        if not m:
            print("tcp_stream %s: no rate from the sender; its console ends:\n%s"
                  % (name, vms[0].text()[-2000:]), file=sys.stderr)
        return float(m.group(1)) / 1e9 if m else None
    finally:
        for v in vms:
            if v.alive():
                v.stop()
        if sw:
            sw.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ferry", default=os.path.join(HERE, "..", "build", "cli", "ferry"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--contenders", default="ferry,ovs")
    ap.add_argument("--guest-cpu", type=int, default=0)
    ap.add_argument("--switch-cpu", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    iperf3 = shutil.which("iperf3")
    if not iperf3:
        sys.exit("tcp_stream: iperf3 is missing (apt install iperf3)")
    mods = ("virtio_net", "virtio_pci")
    bins = {"/bin/iperf3": iperf3}
    initrds = [nested.l2_initramfs(GUEST % (1, SENDER % a.seconds), mods, bins),
               nested.l2_initramfs(GUEST % (2, RECEIVER), mods, bins)]
    res = {}
    for name in a.contenders.split(","):
        res[name] = run_one(a, name, initrds)
        print("tcp_stream %s: %s Gbit/s" % (name, res[name]), file=sys.stderr, flush=True)
    if res.get("ferry") and res.get("ovs"):
        res["ferry_vs_ovs"] = res["ferry"] / res["ovs"]
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        for k, v in res.items():
            print("%-14s %s" % (k, "%.3f" % v if isinstance(v, float) else v))


if __name__ == "__main__":
    main()
