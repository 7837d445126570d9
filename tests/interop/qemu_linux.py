#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_qemu_linux_vhost_user: Linux's own virtio_net driver, in Debian's
stock cloud kernel under QEMU (TCG), on a Ferry vhost-user port.

QEMU's guest RAM is a shared memfd (memory-backend-memfd,share=on) and its
virtio-net-pci device is backed by -netdev vhost-user on Ferry's socket.  The
initramfs (the nested test bed's helper, ferrytest.nested, cached in the
build tree) loads the virtio modules in dependency order and runs vu-echo,
which answers Ferry's test frames through an AF_PACKET socket.  A Ferry
test guest (mode=net client) on the same tenant sends COUNT requests to
Linux and checks every echoed byte; vu-echo reports how many it echoed.

The device has vectors=0 (INTx): see nested.qemu_vhost_user_argv."""
import os

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested
from ferrytest.proc import Proc, wait_socket

COUNT = 2000
FERRY_MAC, LINUX_MAC = "52:54:00:00:2a:01", "52:54:00:00:2b:01"
# The guest's init after the bed's own (mounts, busybox, the virtio modules):
# vu.count= and vu.secs= from the kernel command line, eth0 up, vu-echo.
GUEST = """
count=100 secs=60
for w in $(cat /proc/cmdline); do
    case $w in
    vu.count=*) count=${w#vu.count=} ;;
    vu.secs=*) secs=${w#vu.secs=} ;;
    esac
done
# Without this Linux sends IPv6 multicast (MLD, router solicitation) when
# the link comes up, which the Ferry guest rightly counts as foreign.
for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6 \\
    /proc/sys/net/ipv6/conf/eth0/disable_ipv6; do
    [ -e "$f" ] && echo 1 > "$f"
done
ip link set eth0 up || echo "VU-INIT no eth0"
echo "VU-INIT up: eth0 $(cat /sys/class/net/eth0/address 2>/dev/null)"
/bin/vu-echo eth0 "$count" "$secs"
echo "VU-INIT done: status $?"
poweroff -f
"""

t.require_kvm()
t.require_program("qemu-system-x86_64", "qemu-system-x86")
initrd = nested.l2_initramfs(GUEST, ("virtio_net", "virtio_pci"),
                             binaries={"/bin/vu-echo": os.environ["FERRY_VU_ECHO"]})
tmp = t.workdir()
sock = os.path.join(tmp, "qemu0.sock")
cfg = os.path.join(tmp, "qemu.json")
f.write_config(cfg, {"lan": 21}, [
    f.guest_vm("fg", FERRY_MAC, "mode=net role=client tag=linux peer=%s count=%d size=1024 "
               "timeout_ms=120000" % (LINUX_MAC, COUNT), tenant="lan"),
], [("qemu0", sock, "server", "lan")])
ferry = f.start_ferry(cfg, tmp)
wait_socket(sock)
vm = Proc("qemu", nested.qemu_vhost_user_argv(
    initrd, sock, LINUX_MAC, "console=ttyS0 panic=-1 quiet vu.count=%d vu.secs=150" % COUNT),
    logdir=tmp)
vm.wait_text(r"VU-INIT up: eth0", 120)
t.log("Linux is up with virtio_net on Ferry's vhost-user port")
echo = vm.wait_text(r"VU-ECHO echoed=(\d+) probes=(\d+) foreign=(\d+)", 200)
res = f.wait_result(ferry, "fg", 60)
t.check(vm.wait(60) == 0, "QEMU powered off cleanly")
t.check(res.get("sent") == str(COUNT) and res.get("received") == str(COUNT),
        "Ferry guest sent %s requests to Linux and got %s echoes back"
        % (res.get("sent"), res.get("received")))
t.check(res.get("lost") == "0" and res.get("bad") == "0" and res.get("foreign") == "0",
        "every byte came back through Linux's virtio_net (lost=%s bad=%s foreign=%s)"
        % (res.get("lost"), res.get("bad"), res.get("foreign")))
t.check(int(echo.group(1)) == COUNT and echo.group(3) == "0",
        "Linux echoed %s requests (%s probes), nothing foreign" % (echo.group(1), echo.group(2)))
t.log("rtt p50 %s us, p99 %s us through QEMU TCG" % (res.get("rtt_p50_us"),
                                                     res.get("rtt_p99_us")))
t.check(ferry.find_text("qemu0: peer disconnected", 10) is not None, "ferry saw QEMU leave")
f.stop_ferry(ferry)
t.passed()
