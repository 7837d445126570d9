#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_linux_ping: three Linux guests (Debian's stock kernel) on one
`ferry run` in the nested test bed (ferrytest.nested): a and b on tenant
"red", c on tenant "blue" with the same subnet.

Checked: each guest's virtio_net binds Ferry's virtio-pci NIC with its MAC
and takes MSI-X vectors (its /proc/interrupts); b's NIC ("packed": true)
runs packed virtqueues, the others split ones (feature bit 34 in sysfs);
a and b ping each other 20
times each, all answered; c, pinging b's address meanwhile, gets no answer
and receives not one frame (its eth0 rx counter), since nothing of red
crosses into blue; every guest powers off and ferry exits 0, the run summary
counting the three as ended, none failed.  The triple faults seen in earlier
probes would show as a failed VM with its registers in the log (vcpu.c).
NESTED_RUNS=N repeats the whole run N times (the note's 10-run check)."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
tmp = t.workdir()

L2 = """
ip link set lo up
ip link set eth0 up || echo "NESTED-ERROR $ferry_name: no eth0"
ip addr add $ferry_ip/24 dev eth0
echo "NESTED-L2-NIC $ferry_name $(cat /sys/class/net/eth0/address) \\
$(grep virtio /proc/interrupts | grep -c MSI) $(cut -c35 /sys/class/net/eth0/device/features)"
if [ -n "$ferry_peer" ]; then
    n=0
    while [ -n "$ferry_await" ] && [ $n -lt 90 ] && ! ping -c 1 -W 1 $ferry_peer >/dev/null 2>&1
    do n=$((n + 1)); done
    got=$(ping -c $ferry_count -i 0.2 -W 2 $ferry_peer |
          sed -n 's/.* \\([0-9]*\\) packets received.*/\\1/p')
    echo "NESTED-L2-PING $ferry_name $ferry_peer ${got:-0}"
fi
[ -n "$ferry_linger" ] && sleep $ferry_linger
echo "NESTED-L2-RX $ferry_name $(cat /sys/class/net/eth0/statistics/rx_packets)"
poweroff -f
"""
VIRTIO = ("virtio_net", "virtio_pci")


def vm(name, mac, tenant, args, packed=False):
    return {"name": name, "kernel": "/l2/vmlinuz", "initrd": "/l2/initrd", "memory": "192M",
            "vcpus": 1, "cmdline": "console=ttyS0 panic=-1 loglevel=4 rdinit=/init "
            "ferry_name=%s %s" % (name, args),
            "nics": [{"mac": mac, "tenant": tenant, "packed": packed}]}


CONFIG = {
    "switch": {"hugepages": "auto", "mbufs": 4096, "idle_sleep_us": 1000},
    "tenants": [{"name": "red", "vni": 100}, {"name": "blue", "vni": 200}],
    "vms": [
        # a and b wait for each other (up to 90 s), then ping 20 times.
        vm("a", "52:54:00:12:00:01", "red", "ferry_ip=10.0.0.1 ferry_peer=10.0.0.2 "
           "ferry_await=1 ferry_count=20 ferry_linger=8"),
        # b's NIC offers packed rings, which Linux's virtio_ring takes.
        vm("b", "52:54:00:12:00:02", "red", "ferry_ip=10.0.0.2 ferry_peer=10.0.0.1 "
           "ferry_await=1 ferry_count=20 ferry_linger=8", packed=True),
        # c tries b's address for 20 s, while a and b talk.
        vm("c", "52:54:00:12:00:03", "blue", "ferry_ip=10.0.0.3 ferry_peer=10.0.0.2 "
           "ferry_count=20 ferry_linger=4"),
    ],
}
PAYLOAD = """
ferry run /l2/ferry.json
echo "NESTED-FERRY-EXIT $?"
"""

cfg = os.path.join(tmp, "ferry.json")
with open(cfg, "w") as fp:
    json.dump(CONFIG, fp, indent=1)
kpath, kver = nested.kernel()
files = {"/l2/vmlinuz": kpath, "/l2/initrd": nested.l2_initramfs(L2, VIRTIO),
         "/l2/ferry.json": cfg}
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files)
runs = int(os.environ.get("NESTED_RUNS", "1"))
for run in range(runs):
    console, m, took = bed.run(tmp, "linux_ping%d" % run, mem="2G")
    nics = {w[0]: w[1:] for w in (x.split() for x in m.get("L2-NIC", []))}
    for name, mac, ring in (("a", "52:54:00:12:00:01", "0"), ("b", "52:54:00:12:00:02", "1"),
                            ("c", "52:54:00:12:00:03", "0")):
        got = nics.get(name, ["-", "0", "-"])
        t.check(got[0] == mac and int(got[1]) >= 2,
                "run %d: %s's virtio_net is up with MAC %s and %s virtio MSI-X vectors"
                % (run, name, got[0], got[1]))
        t.check(got[2:] == [ring], "run %d: %s's rings are %s (VIRTIO_F_RING_PACKED bit: %s)"
                % (run, name, "packed" if ring == "1" else "split", got[2:]))
    pings = {w[0]: int(w[2]) for w in (x.split() for x in m.get("L2-PING", []))}
    rx = {w[0]: int(w[1]) for w in (x.split() for x in m.get("L2-RX", []))}
    t.check(pings.get("a") == 20 and pings.get("b") == 20,
            "run %d: a and b (red) ping each other, 20 of 20 answered each way (%s)"
            % (run, pings))
    t.check(pings.get("c") == 0 and rx.get("c") == 0,
            "run %d: c (blue, same subnet) gets no answer and receives %s frames, while a "
            "received %s and b %s" % (run, rx.get("c"), rx.get("a"), rx.get("b")))
    t.check(m.get("FERRY-EXIT") == ["0"] and "triple" not in console and
            "FAILED" not in console,
            "run %d: all three powered off, ferry exits %s, no triple fault (%.0f s)"
            % (run, m.get("FERRY-EXIT"), took))
t.passed()
