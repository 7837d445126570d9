#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_vfio_linux: a Linux guest (Debian's stock kernel, its own nvme
driver) under Ferry with an NVMe VF passed through, in the nested bed.

The test writes a token into block 8 of the image behind namespace 1; L1
makes VF 0 usable and Ferry passes it through (`{"pf": PF, "vf": 0}`).  In
the guest, Linux's nvme driver must bring the controller up through Ferry's
view of the function (config space, BAR, MSI-X): /dev/nvme0n1 appears with
the namespace's size, the guest reads the token from block 8 and writes
another to block 16.  Checked: the size, the token read, the token found in
the image on this host afterwards, the guest's nvme interrupts on PCI-MSI
(MSI-X through Ferry's table), the VF's vector in L1 on IR-PCI-MSI, and
that Ferry ends with 0 after the guest powered off."""
import os
import re

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
t.require_program("nvme", "nvme-cli")
tmp = t.workdir()
TOKEN = "ferry-vfio-linux-read-%d" % os.getpid()
TOKEN2 = "ferry-vfio-linux-wrote-%d" % os.getpid()
SIZE = 4 << 20

L2 = r"""
for i in $(seq 150); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done
echo "NESTED-L2-NVME $(cat /sys/block/nvme0n1/size 2>/dev/null) \
$(sed 's/ *$//; s/ /_/g' /sys/class/nvme/nvme0/model 2>/dev/null)"
echo "NESTED-L2-READ $(dd if=/dev/nvme0n1 bs=512 skip=8 count=1 2>/dev/null | tr -d '\000')"
echo @TOKEN2@ | dd of=/dev/nvme0n1 bs=512 seek=16 count=1 conv=sync,fsync 2>/dev/null
echo "NESTED-L2-WROTE $?"
grep nvme /proc/interrupts | sed 's/^/NESTED-L2-IRQ /'
poweroff -f
""".replace("@TOKEN2@", TOKEN2)

PAYLOAD = nested.NVME_VF_SETUP + r"""
cat > /tmp/vm.json <<JSON
{"vms": [{"name": "linux", "kernel": "/l2/vmlinuz", "initrd": "/l2/initrd", "memory": "256M",
          "cmdline": "console=ttyS0 panic=-1 loglevel=4 rdinit=/init",
          "passthrough": [{"pf": "$PF", "vf": 0}]}]}
JSON
ferry run /tmp/vm.json &
FP=$!
while kill -0 $FP 2>/dev/null; do grep vfio-msix /proc/interrupts >> /tmp/irqs; sleep 1; done
wait $FP
echo "NESTED-FERRY-EXIT $?"
[ -f /tmp/irqs ] && tail -1 /tmp/irqs | sed 's/^/NESTED-IRQ /'
"""

image = os.path.join(tmp, "nvme.img")
with open(image, "wb") as fp:
    fp.truncate(SIZE)
    fp.seek(8 * 512)
    fp.write(TOKEN.encode())

kpath, kver = nested.kernel()
files = {"/l2/vmlinuz": kpath, "/l2/initrd": nested.l2_initramfs(L2)}
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files, l1_modules=("kvm_amd", "vfio-pci"),
                 binaries={"/usr/bin/nvme": "/usr/sbin/nvme"})
console, m, took = bed.run(tmp, "vfio_linux", extra=nested.nvme_sriov_argv(image),
                           append="intel_iommu=on")
nvme = ((m.get("L2-NVME") or [""])[0].split() + ["?", "?"])[:2]
t.check(nvme[0] == str(SIZE // 512) and nvme[1].startswith("QEMU"),
        "Linux's nvme driver brought the VF up: /dev/nvme0n1 has the namespace's %d sectors "
        "(%s, model %s)" % (SIZE // 512, nvme[0], nvme[1]))
t.check(m.get("L2-READ") == [TOKEN], "the guest read the token from block 8 (%s)"
        % m.get("L2-READ"))
with open(image, "rb") as fp:
    fp.seek(16 * 512)
    wrote = fp.read(512).rstrip(b"\0").decode(errors="replace").strip()
t.check(m.get("L2-WROTE") == ["0"] and wrote == TOKEN2,
        "the guest's write reached block 16 of the image (%r)" % wrote)
irqs = m.get("L2-IRQ", [])
t.log("the guest's nvme interrupts:\n%s" % "\n".join(irqs))
t.check(any(re.search(r"^\d+:\s+[1-9]\d*\s+PCI-MSI.*nvme0q\d", x) for x in irqs),
        "the guest took nvme interrupts on MSI-X vectors")
irq = (m.get("IRQ") or [""])[0]
t.check(re.search(r"IR-PCI-MSI\S*\s.*vfio-msix\[0\]", irq),
        "L1 delivered the VF's vector through interrupt remapping (%s)" % irq.strip())
t.check(m.get("FERRY-EXIT") == ["0"] and "powered off" in console,
        "the guest powered off and ferry exited %s (%.0f s)" % (m.get("FERRY-EXIT"), took))
t.passed()
