#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_linux_disk: a Linux guest (Debian's stock kernel) under Ferry in
the nested test bed (ferrytest.nested) boots from an ext4 root on Ferry's
virtio-blk.

The test builds the root file system as a raw image with `mkfs.ext4 -d`
(busybox and an init script) and hands it to L1 as a disk; inside L1,
`ferry boot --disk /dev/vda` gives it to the guest, whose initramfs loads
virtio_blk, mounts /dev/vda and switch_roots into it.  The root's init
writes a file with a token, trims the file system (discard), syncs and
powers off.  Checked: the guest saw a disk of the image's size with Ferry's
serial, mounted it read-write as its root, the power-off ended ferry with 0,
and afterwards, on the host, debugfs reads the token from the image and
e2fsck finds the file system clean."""
import os
import subprocess

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
t.require_program("mkfs.ext4", "e2fsprogs")
tmp = t.workdir()
TOKEN = "ferry-disk-%d" % os.getpid()
SIZE_MB = 64

ROOT_INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "NESTED-L2-ROOT $(awk '$2 == "/" {print $1, $3, $4}' /proc/mounts | tail -1)"
echo "NESTED-L2-DISK $(cat /sys/block/vda/size) $(cat /sys/block/vda/serial 2>/dev/null)"
echo %s > /hello.txt
dd if=/dev/zero of=/scratch bs=1M count=8 2>/dev/null && sync && rm /scratch
echo "NESTED-L2-TRIM $(fstrim -v / 2>&1)"
sync
echo "NESTED-L2-WROTE $(cat /hello.txt)"
poweroff -f
""" % TOKEN
# L2's initramfs: the disk's driver, then the root on it.
SWITCH = """
mkdir -p /newroot
mount -t ext4 /dev/vda /newroot || echo "NESTED-ERROR cannot mount /dev/vda"
exec switch_root /newroot /init
"""
PAYLOAD = """
ferry boot -v --no-stdin --kernel /l2/vmlinuz --initrd /l2/initrd --disk /dev/vda \\
    --mem 256M --cmdline "console=ttyS0 panic=-1 loglevel=4 rdinit=/init"
echo "NESTED-FERRY-EXIT $?"
"""

root = os.path.join(tmp, "root")
for d in ("bin", "proc", "sys", "dev"):
    os.makedirs(os.path.join(root, d))
subprocess.run(["cp", nested.BUSYBOX, os.path.join(root, "bin", "busybox")], check=True)
with open(os.path.join(root, "init"), "w") as fp:
    fp.write(ROOT_INIT)
os.chmod(os.path.join(root, "init"), 0o755)
image = os.path.join(tmp, "root.img")
p = subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", root, image,
                    "%dM" % SIZE_MB], capture_output=True, text=True, timeout=60)
t.check(p.returncode == 0, "mkfs.ext4 -d built a %d MiB root image (%s)"
        % (SIZE_MB, p.stderr.strip()[-200:]))

kpath, kver = nested.kernel()
files = {"/l2/vmlinuz": kpath,
         "/l2/initrd": nested.l2_initramfs(SWITCH, ("virtio_blk", "virtio_pci"))}
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files,
                 l1_modules=("kvm_amd", "virtio_blk", "virtio_pci"))
console, m, took = bed.run(tmp, "linux_disk", extra=[
    "-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % image])
dev, fstype, opts = ((m.get("L2-ROOT") or ["? ? ?"])[0].split() + ["?"] * 3)[:3]
t.check(dev == "/dev/vda" and fstype == "ext4" and opts.startswith("rw"),
        "the guest's root is /dev/vda, ext4, read-write (%s %s %s)" % (dev, fstype, opts))
disk = (m.get("L2-DISK") or ["0"])[0].split()
t.check(disk[0] == str(SIZE_MB * 2048) and disk[1:] == ["disk0"],
        "the guest's vda has the image's %d sectors and Ferry's serial (%s)"
        % (SIZE_MB * 2048, " ".join(disk)))
t.check(m.get("L2-WROTE") == [TOKEN], "the guest wrote its token (%s)" % m.get("L2-WROTE"))
trim = (m.get("L2-TRIM") or [""])[0]
t.check("trimmed" in trim, "fstrim in the guest went through Ferry's discard: %s" % trim)
t.check(m.get("FERRY-EXIT") == ["0"] and "guest powered off (ACPI S5)" in console,
        "poweroff in the guest ended ferry with 0 (%s)" % m.get("FERRY-EXIT"))
p = subprocess.run(["debugfs", "-R", "cat /hello.txt", image], capture_output=True,
                   text=True, timeout=60)
t.check(p.stdout.strip() == TOKEN,
        "debugfs on the host reads the token from the image (%r)" % p.stdout.strip())
p = subprocess.run(["e2fsck", "-fn", image], capture_output=True, text=True, timeout=60)
t.check(p.returncode == 0, "e2fsck -fn finds the file system clean (%d: %s)"
        % (p.returncode, (p.stdout + p.stderr).strip().splitlines()[-1:]))
t.log("nested run: %.0f s on the host" % took)
t.passed()
