#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_qemu_linux_tso: TCP segmentation offload between Linux guests on
Ferry vhost-user ports (QEMU TCG, Debian's stock cloud kernel).

Three guests on one tenant: A sends, B receives with TSO negotiated on its
port (GUEST_TSO4/6) over packed virtqueues (QEMU packed=on, the port's
"packed": true), C receives on a port configured "tso": false.  A sends
16 MiB of random bytes to each with busybox nc and runs an iperf3 (Debian's)
TCP stream to each; the receivers print the SHA-256 of what arrived.

Checked: both copies arrive intact (same hash as A's); both iperf3 streams
complete; Ferry's port counters (`ferryctl --json stats`) show A sending
frames larger than the MTU (gso_rx), the switch passing them whole to B
(gso_tx) and cutting them into segments for C (gso_split), with no frame
dropped for want of an offload; and Linux in A and B had TSO/LRO-style
offloads on (ethtool -k).  Speed is printed, not asserted (bench/ measures)."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested
from ferrytest.proc import Proc, wait_socket

SIZE = 16 << 20
MACS = {"a": "52:54:00:00:5a:01", "b": "52:54:00:00:5a:02", "c": "52:54:00:00:5a:03"}
ADDR = {"a": 1, "b": 2, "c": 3}

t.require_kvm()
t.require_program("qemu-system-x86_64", "qemu-system-x86")
ethtool = t.require_program("ethtool", "ethtool")
iperf3 = t.require_program("iperf3", "iperf3")
tmp = t.workdir()

COMMON = """
mkdir -p /tmp
ip link set lo up
ip link set eth0 up
ip addr add 10.78.0.%d/24 dev eth0
echo "TSO-RING $(cut -c35 /sys/class/net/eth0/device/features)"
k='^(tcp-segmentation-offload|generic-receive-offload|rx-gro-hw):'
echo "TSO-OFFLOADS $(ethtool -k eth0 | grep -E "$k" | tr -d ' ' | tr '\\n' ' ')"
"""

# A: wait for each receiver, send it the file, then an iperf3 stream; every step retried.
SENDER = COMMON % ADDR["a"] + """
head -c %d /dev/urandom > /tmp/data
echo "TSO-SENT $(sha256sum /tmp/data | cut -d' ' -f1)"
retry() { n=0; until "$@"; do n=$((n + 1)); [ $n -ge 120 ] && return 1; sleep 1; done; }
for peer in 2 3; do
    retry ping -c 1 -W 2 10.78.0.$peer > /dev/null 2>&1 || echo "TSO-ERROR no ping to $peer"
    retry nc 10.78.0.$peer 5001 < /tmp/data || echo "TSO-ERROR nc to $peer"
    retry iperf3 -c 10.78.0.$peer -t 4 -J > /tmp/iperf.json 2> /dev/null || \
        echo "TSO-ERROR iperf3 to $peer"
    bps=$(sed -n 's/.*"bits_per_second":[[:space:]]*\\([0-9.e+]*\\).*/\\1/p' /tmp/iperf.json |
        tail -n 1)
    echo "TSO-IPERF $peer $bps"
done
poweroff -f
""" % SIZE

# B and C: take the file (nc's stdin kept open, else busybox nc quits early), then one iperf3 test.
RECEIVER = COMMON + """
(sleep 900 | nc -l -p 5001 > /tmp/got) &
iperf3 -s -1 > /dev/null 2>&1 &
srv=$!
n=0
while [ "$(stat -c %%s /tmp/got 2> /dev/null)" != "%d" ] && [ $n -lt 600 ]; do
    sleep 1
    n=$((n + 1))
done
echo "TSO-GOT $(sha256sum /tmp/got | cut -d' ' -f1)"
wait $srv && echo "TSO-IPERF-SERVED ok"
poweroff -f
"""


def initrd(script):
    return nested.l2_initramfs(script, ("virtio_net", "virtio_pci"),
                               binaries={"/bin/ethtool": ethtool, "/bin/iperf3": iperf3})


ctl, cfg = os.path.join(tmp, "ctl.sock"), os.path.join(tmp, "tso.json")
socks = {g: os.path.join(tmp, "%s.sock" % g) for g in MACS}
f.write_config(cfg, {"lan": 78}, [], [
    ("a", socks["a"], "server", "lan"),
    ("b", socks["b"], "server", "lan", 1, {"packed": True}),
    ("c", socks["c"], "server", "lan", 1, {"tso": False}),
], control=ctl)
ferry = f.start_ferry(cfg, tmp)
for s in socks.values():
    wait_socket(s)
scripts = {"a": SENDER, "b": RECEIVER % (ADDR["b"], SIZE), "c": RECEIVER % (ADDR["c"], SIZE)}
vms = {}
for g in ("b", "c", "a"):
    vms[g] = Proc("qemu-" + g, nested.qemu_vhost_user_argv(
        initrd(scripts[g]), socks[g], MACS[g], "console=ttyS0 panic=-1 quiet rdinit=/init",
        packed=g == "b"), logdir=tmp)
marks = {}
for g in ("a", "b", "c"):
    t.check(vms[g].wait(900) == 0, "QEMU ran guest %s to its power-off" % g)
    marks[g] = nested.parse_markers(vms[g].text().replace("TSO-", nested.MARK))
t.check([marks[g].get("RING") for g in "abc"] == [["0"], ["1"], ["0"]],
        "B's NIC runs packed virtqueues (QEMU packed=on, Ferry's port \"packed\": true), A's and "
        "C's split ones (VIRTIO_F_RING_PACKED bits: %s)" % [marks[g].get("RING") for g in "abc"])
t.check("ERROR" not in marks["a"], "the sender's steps all worked (%s)" % marks["a"].get("ERROR"))
sent = marks["a"].get("SENT", ["?"])[0]
for g in ("b", "c"):
    t.check(marks[g].get("GOT") == [sent],
            "the 16 MiB A sent arrived intact at %s (sha256 %s, sent %s)"
            % (g, marks[g].get("GOT"), sent))
    t.check(marks[g].get("IPERF-SERVED") == ["ok"], "%s's iperf3 server saw its test through" % g)
rates = dict(w.split() for w in marks["a"].get("IPERF", []) if len(w.split()) == 2)
print("iperf3 A->B (TSO whole) %s bit/s, A->C (segmented by Ferry) %s bit/s"
      % (rates.get("2"), rates.get("3")), flush=True)
t.check(len(rates) == 2, "both iperf3 streams reported a rate (%s)" % rates)
print("offloads: A %s; B %s; C %s" % tuple(marks[g].get("OFFLOADS") for g in "abc"), flush=True)

ports = {p["name"]: p for p in json.loads(f.ferryctl(ctl, "stats"))["ports"]}
a, b, c = ports["a"], ports["b"], ports["c"]
t.check(a["gso_rx"] > 0, "A sent TSO frames larger than the MTU (gso_rx %d of %d frames)"
        % (a["gso_rx"], a["rx_packets"]))
t.check(b["gso_tx"] > 0, "Ferry passed TSO frames whole to B (gso_tx %d)" % b["gso_tx"])
t.check(c["gso_tx"] == 0 and c["gso_split"] > 0,
        "Ferry segmented the TSO frames for C, whose port has no TSO (gso_split %d)"
        % c["gso_split"])
t.check(all(p["drops_offload"] == 0 for p in ports.values()),
        "no frame dropped for want of an offload")
table = f.ferryctl(ctl, "stats", human=True)
t.check("offloads:" in table and "GSO_SPLIT" in table,
        "ferryctl stats shows the offload counters in its table too")
f.stop_ferry(ferry)
t.passed()
