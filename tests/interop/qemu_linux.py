#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""interop_qemu_linux_vhost_user: Linux's own virtio_net driver, in Debian's
stock cloud kernel under QEMU (TCG), on a Ferry vhost-user port.

QEMU's guest RAM is a shared memfd (memory-backend-memfd,share=on) and its
virtio-net-pci device is backed by -netdev vhost-user on Ferry's socket.  The
initramfs (mkinitramfs.sh, cached in /var/cache/ferry-tests) loads the virtio
modules in dependency order and runs vu-echo, which answers Ferry's test
frames through an AF_PACKET socket.  A Ferry test guest (mode=net client) on
the same tenant sends COUNT requests to Linux and checks every echoed byte;
vu-echo reports how many it echoed.

The device has vectors=0 (INTx): QEMU 7.2 under TCG crashes in
msix_set_vector_notifiers when a vhost-user virtio-net-pci uses MSI-X."""
import os
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import Proc, wait_socket

COUNT = 2000
FERRY_MAC, LINUX_MAC = "52:54:00:00:2a:01", "52:54:00:00:2b:01"
CACHE = os.environ.get("FERRY_TEST_CACHE", "/var/cache/ferry-tests")

t.require_kvm()
qemu = t.require_program("qemu-system-x86_64", "qemu-system-x86")
kver = os.environ.get("FERRY_TEST_KVER")
if not kver:
    kernels = sorted(k[len("vmlinuz-"):] for k in os.listdir("/boot")
                     if k.startswith("vmlinuz-") and k.endswith("-cloud-amd64"))
    if not kernels:
        t.fail("no Debian cloud kernel in /boot (apt-get install linux-image-cloud-amd64)")
    kver = kernels[-1]
p = subprocess.run([os.environ["FERRY_MKINITRAMFS"], kver, os.environ["FERRY_VU_ECHO"], CACHE],
                   capture_output=True, text=True)
if p.returncode == t.SKIP:
    t.fail(p.stderr.strip())  # mkinitramfs.sh found something missing: not a kernel skip
t.check(p.returncode == 0, "initramfs for %s built or cached (%s)"
        % (kver, (p.stdout.strip() or p.stderr.strip())))
initrd = p.stdout.strip()

tmp = t.workdir()
sock = os.path.join(tmp, "qemu0.sock")
cfg = os.path.join(tmp, "qemu.json")
f.write_config(cfg, {"lan": 21}, [
    f.guest_vm("fg", FERRY_MAC, "mode=net role=client tag=linux peer=%s count=%d size=1024 "
               "timeout_ms=120000" % (LINUX_MAC, COUNT), tenant="lan"),
], [("qemu0", sock, "server", "lan")])
ferry = f.start_ferry(cfg, tmp)
wait_socket(sock)
vm = Proc("qemu", [
    qemu, "-accel", "tcg", "-m", "256", "-smp", "1", "-nodefaults", "-display", "none",
    "-serial", "stdio", "-no-reboot",
    "-kernel", "/boot/vmlinuz-" + kver, "-initrd", initrd,
    "-append", "console=ttyS0 panic=-1 quiet vu.count=%d vu.secs=150" % COUNT,
    "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
    "-machine", "q35,memory-backend=mem",
    "-chardev", "socket,id=c0,path=" + sock,
    "-netdev", "vhost-user,id=n0,chardev=c0",
    "-device", "virtio-net-pci,netdev=n0,mac=%s,vectors=0" % LINUX_MAC,
], logdir=tmp)
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
