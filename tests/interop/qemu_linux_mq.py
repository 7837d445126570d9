#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_qemu_linux_mq: Linux's virtio_net with 4 queue pairs on a Ferry
vhost-user port (QEMU TCG, Debian's stock cloud kernel, -netdev vhost-user
queues=4, virtio-net-pci mq=on).

Inside, `ethtool -L eth0 combined 4` must succeed (QEMU answers the guest's
control queue and enables the rings on Ferry's port through
SET_VRING_ENABLE); then eight ping processes, each a flow of its own, talk
(one source address each) to a Ferry test guest on the same tenant.  Checked: every ping answered;
Linux's own per-queue counters (ethtool -S) and Ferry's (`ferryctl --json
stats`: the port's "queues") both show traffic on more than one queue;
what Ferry's queues received adds up to the port's total; and the replies
Ferry sends spread over Linux's receive queues by flow.  The guest's
initramfs is built by the nested test bed's helper (ferrytest.nested).

vectors=0 (INTx): see nested.qemu_vhost_user_argv."""
import json
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested
from ferrytest.proc import Proc, wait_socket

QUEUES = 4
LINUX_MAC, SRV_MAC = "52:54:00:00:4a:01", "52:54:00:00:4b:01"

t.require_kvm()
t.require_program("qemu-system-x86_64", "qemu-system-x86")
ethtool = t.require_program("ethtool", "ethtool")
tmp = t.workdir()

GUEST = """
ip link set lo up
ip link set eth0 up
ip addr add 10.77.0.1/24 dev eth0
echo "MQ-CHANNELS-BEFORE $(ethtool -l eth0 | awk '/Combined/ {print $2}' | tr '\\n' ' ')"
ethtool -L eth0 combined %d && echo "MQ-SET ok" || echo "MQ-SET failed"
echo "MQ-CHANNELS-AFTER $(ethtool -l eth0 | awk '/Combined/ {print $2}' | tr '\\n' ' ')"
ping -c 3 -W 5 10.77.0.2 > /dev/null 2>&1
# Eight flows: one source address each, so Linux's flow hash spreads them over its queues.
flow() {
    ping -c 25 -i 0.2 -W 2 -I 10.77.0.$1 10.77.0.2 |
        sed -n 's/.* \\([0-9]*\\) packets received.*/MQ-PING \\1/p'
}
for i in 11 12 13 14 15 16 17 18; do ip addr add 10.77.0.$i/24 dev eth0; done
for i in 11 12 13 14 15 16 17 18; do flow $i & done
wait
ethtool -S eth0 | sed -n 's/^ *tx_queue_\\([0-9]*\\)_packets: \\([0-9]*\\)/MQ-TXQ \\1 \\2/p'
poweroff -f
""" % QUEUES

initrd = nested.l2_initramfs(GUEST, ("virtio_net", "virtio_pci"),
                             binaries={"/bin/ethtool": ethtool})
sock, ctl = os.path.join(tmp, "qemu0.sock"), os.path.join(tmp, "ctl.sock")
cfg = os.path.join(tmp, "mq.json")
f.write_config(cfg, {"lan": 77}, [
    f.guest_vm("srv", SRV_MAC, "mode=ip ip=10.77.0.2 irq=msix serve_ms=400000", tenant="lan"),
], [("qemu0", sock, "server", "lan", QUEUES)], control=ctl)
ferry = f.start_ferry(cfg, tmp)
wait_socket(sock)
vm = Proc("qemu", nested.qemu_vhost_user_argv(
    initrd, sock, LINUX_MAC, "console=ttyS0 panic=-1 quiet rdinit=/init", queues=QUEUES),
    logdir=tmp)
t.check(vm.wait(400) == 0, "QEMU ran the guest to its power-off")
out = vm.text()
m = nested.parse_markers(out.replace("MQ-", nested.MARK))
t.check(m.get("SET") == ["ok"], "ethtool -L eth0 combined %d succeeded (%s; channels %s -> %s)"
        % (QUEUES, m.get("SET"), m.get("CHANNELS-BEFORE"), m.get("CHANNELS-AFTER")))
pings = [int(x) for x in m.get("PING", [])]
t.check(len(pings) == 8 and all(p == 25 for p in pings),
        "eight ping flows to a Ferry guest, every echo answered (%s)" % pings)
txq = {int(w.split()[0]): int(w.split()[1]) for w in m.get("TXQ", [])}
t.check(sum(1 for v in txq.values() if v > 0) > 1,
        "Linux sent on more than one of its queues (ethtool -S: %s)" % txq)
stats = json.loads(f.ferryctl(ctl, "stats"))
port = [p for p in stats["ports"] if p["name"] == "qemu0"][0]
queues = {q["queue"]: q for q in port.get("queues", [])}
busy = [q for q, v in queues.items() if v["rx_packets"] > 0]
t.check(len(queues) == QUEUES and len(busy) > 1,
        "Ferry's per-queue counters show the flows on %d of its %d queues: %s"
        % (len(busy), len(queues), {q: v["rx_packets"] for q, v in queues.items()}))
t.check(sum(v["rx_packets"] for v in queues.values()) == port["rx_packets"],
        "the queues' counts add up to the port's %d frames" % port["rx_packets"])
to_linux = {q: v["tx_packets"] for q, v in queues.items()}
t.check(sum(1 for v in to_linux.values() if v > 0) > 1,
        "Ferry picked Linux's receive queues by flow: the replies went to %s" % to_linux)
f.stop_ferry(ferry)
t.passed()
