#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_linux_announce: a Linux guest (Debian's stock kernel) under Ferry
in the nested test bed, its NIC served by an external vhost-user backend
that is a second Ferry (a switch port in server mode), announces itself
when that backend is killed and a new one takes over.

In L1: ferry B (the backend: one vhost-user port "vu", a TAP port for L1's
own stack with arp_accept on, a control socket) and ferry A (the VM; its NIC
{"vhost-user": B's socket}).  Once the guest
has its address, B is killed (SIGKILL) and started again.  Checked: A
reconnects and replays the session without a guest reset; Linux's
virtio_net, seeing VIRTIO_NET_S_ANNOUNCE with the link-up interrupt, sends
its gratuitous ARP and acks on the control queue ("the driver announced
itself" in A's log); L1's stack, behind the new B's TAP port, learns the
guest's address from that ARP (the guest itself sends nothing else that
would teach it); the new B's port "vu" receives the RARP that A asked B
for (SEND_RARP) and the guest's own frames, though the guest runs nothing
that sends (its counters through ferryctl)."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
tmp = t.workdir()

L2 = """
ip link set lo up
ip link set eth0 up || echo "NESTED-ERROR no eth0"
ip addr add 10.9.0.1/24 dev eth0
echo "NESTED-L2-READY $(cat /sys/class/net/eth0/address)"
sleep 150
poweroff -f
"""
BACKEND = {
    "switch": {"hugepages": "auto", "mbufs": 4096, "idle_sleep_us": 1000},
    "tenants": [{"name": "t", "vni": 9}],
    "vhost_user_ports": [{"name": "vu", "path": "/tmp/be.sock", "mode": "server", "tenant": "t"}],
    # L1's own stack on the tenant: it keeps what the guest's gratuitous ARP says.
    "tap_ports": [{"name": "host", "interface": "fb0", "tenant": "t"}],
    "control": {"socket": "/tmp/b.ctl"},
}
VM = {
    "vms": [{"name": "lx", "kernel": "/l2/vmlinuz", "initrd": "/l2/initrd", "memory": "192M",
             "vcpus": 1, "cmdline": "console=ttyS0 panic=-1 loglevel=4 rdinit=/init",
             "nics": [{"mac": "52:54:00:33:00:01",
                       "backend": {"vhost-user": "/tmp/be.sock"}}]}],
}
# wait_for FILE PATTERN SECONDS: poll a log for a line.
PAYLOAD = """
wait_for() {
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        n=$((n + 1)); [ $n -gt $(($3 * 2)) ] && return 1; sleep 0.5
    done
}
wait_sock() {
    n=0
    while [ ! -S "$1" ]; do n=$((n + 1)); [ $n -gt 120 ] && return 1; sleep 0.5; done
}
ferry run /l2/backend.json > /tmp/b1.log 2>&1 &
B=$!
wait_sock /tmp/be.sock || echo "NESTED-ERROR backend did not start"
ferry run /l2/vm.json > /tmp/a.log 2>&1 &
A=$!
wait_for /tmp/a.log "NESTED-L2-READY" 240 || echo "NESTED-ERROR the guest did not come up"
sleep 2
kill -9 $B
wait $B 2> /dev/null
rm -f /tmp/be.sock /tmp/b.ctl
ferry run /l2/backend.json > /tmp/b2.log 2>&1 &
B=$!
n=0
while [ ! -e /sys/class/net/fb0 ] && [ $n -lt 120 ]; do n=$((n + 1)); sleep 0.5; done
ip addr add 10.9.0.2/24 dev fb0
echo 1 > /proc/sys/net/ipv4/conf/fb0/arp_accept
wait_for /tmp/a.log "reconnected to backend" 60 || echo "NESTED-ERROR no reconnect"
wait_for /tmp/a.log "the driver announced itself" 60
sleep 3
echo "NESTED-ANNOUNCED $(grep -c 'the driver announced itself' /tmp/a.log)"
echo "NESTED-NEIGH $(ip neigh show 10.9.0.1 dev fb0)"
echo "NESTED-B2-STATS $(ferryctl -s /tmp/b.ctl --json stats | tr -d ' \\n')"
echo "NESTED-RESETS $(grep -ci 'needs reset' /tmp/a.log)"
kill $A $B
wait
grep -E 'NESTED-L2|vhost-user' /tmp/a.log | tail -20
"""

files = {"/l2/vmlinuz": nested.kernel()[0],
         "/l2/initrd": nested.l2_initramfs(L2, ("virtio_net", "virtio_pci"))}
for name, doc in (("backend.json", BACKEND), ("vm.json", VM)):
    path = os.path.join(tmp, name)
    with open(path, "w") as fp:
        json.dump(doc, fp, indent=1)
    files["/l2/" + name] = path
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files, l1_modules=("kvm_amd", "tun"),
                 binaries={"/usr/bin/ferryctl": f.ferryctl_bin()})
console, m, took = bed.run(tmp, "linux_announce", mem="2G")
t.check(m.get("L2-READY") == ["52:54:00:33:00:01"],
        "Linux's virtio_net is up on the frontend NIC (%s)" % m.get("L2-READY"))
t.check(m.get("ANNOUNCED") and int(m["ANNOUNCED"][0]) >= 1,
        "after the backend's restart Linux announced itself and acked on the control queue, "
        "%s times (one per round)" % m.get("ANNOUNCED"))
t.check(any("52:54:00:33:00:01" in n for n in m.get("NEIGH", [])),
        "its gratuitous ARP crossed the new backend's switch: L1's stack on the tenant learnt "
        "10.9.0.1 from it (%s)" % m.get("NEIGH"))
t.check(m.get("RESETS") == ["0"], "no reset of the guest's NIC (%s)" % m.get("RESETS"))
stats = json.loads((m.get("B2-STATS") or ["{}"])[0] or "{}")
vu = [p for p in stats.get("ports", []) if p.get("name") == "vu"]
# One frame is the RARP Ferry A asked B for (SEND_RARP); the rest are the guest's own.
t.check(vu and vu[0]["rx_packets"] >= 2,
        "the new backend's port received the RARP A asked for and the guest's own announcement "
        "(%s frames, run %.0f s)" % (vu[0]["rx_packets"] if vu else None, took))
t.passed()
