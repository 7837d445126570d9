#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_vfio_no_ir: passthrough on a host without interrupt remapping.

The nested bed's L1 with QEMU's VT-d but intremap=off: DMA is still
confined, interrupts are not (a device could write any MSI message).  L1
makes the NVMe VF usable and leaves it without a driver, then runs Ferry
three times with the VF passed through (`{"pci": VF}`):

1. as configured by default: Ferry refuses with one clear error line and
   leaves the VF alone (still without a driver: nothing was bound);
2. with "allow_unsafe_interrupts": true while vfio_iommu_type1 still says
   no: refused again, naming the module parameter;
3. with both (L1 sets allow_unsafe_interrupts=Y): the test guest's NVMe
   driver works, Ferry warns that the device runs without remapping, and
   L1's interrupt line for the VF is a plain PCI-MSI one, not IR-PCI-MSI."""
import os
import re

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
t.require_program("nvme", "nvme-cli")
tmp = t.workdir()

PAYLOAD = nested.NVME_VF_SETUP + r"""
vm() {
    cat > /tmp/vm.json <<JSON
{"vms": [{"name": "nvme", "kernel": "/guest", "memory": "64M", "debug_exit": true,
          "cmdline": "mode=nvme lba=1 hold_ms=2000 timeout_ms=60000",
          "passthrough": [{"pci": "$VF"$1}]}]}
JSON
}
drv() {
    l=$(readlink /sys/bus/pci/devices/$VF/driver)
    [ -n "$l" ] && basename $l || echo none
}
vm ""
ferry run /tmp/vm.json > /tmp/1.log 2>&1
echo "NESTED-RUN1 $? $(drv)"
sed 's/^/NESTED-LOG1 /' /tmp/1.log
vm ', "allow_unsafe_interrupts": true'
ferry run /tmp/vm.json > /tmp/2.log 2>&1
echo "NESTED-RUN2 $? $(drv)"
sed 's/^/NESTED-LOG2 /' /tmp/2.log
echo Y > /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
ferry run /tmp/vm.json > /tmp/3.log 2>&1 &
FP=$!
while kill -0 $FP 2>/dev/null; do grep vfio-msix /proc/interrupts >> /tmp/irqs; sleep 0.2; done
wait $FP
echo "NESTED-RUN3 $? $(drv)"
sed 's/^/NESTED-LOG3 /' /tmp/3.log
[ -f /tmp/irqs ] && tail -1 /tmp/irqs | sed 's/^/NESTED-IRQ /'
"""

image = os.path.join(tmp, "nvme.img")
with open(image, "wb") as fp:
    fp.truncate(1 << 20)
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files={"/guest": f.guest_bin()},
                 l1_modules=("kvm_amd", "vfio-pci"), binaries={"/usr/bin/nvme": "/usr/sbin/nvme"})
console, m, took = bed.run(tmp, "vfio_no_ir", extra=nested.nvme_sriov_argv(image, intremap=False),
                           append="intel_iommu=on")
t.check("DMAR-IR: Enabled IRQ remapping" not in console, "L1 runs without interrupt remapping")


def errors(n):
    return [x for x in m.get("LOG%d" % n, []) if " error: " in x or x.startswith("ferry: ")]


for n in (1, 2, 3):
    t.log("run %d: %s\n%s" % (n, m.get("RUN%d" % n), "\n".join(m.get("LOG%d" % n, []))))
run1 = (m.get("RUN1") or ["? ?"])[0].split()
t.check(run1[0] != "0" and run1[1] == "none",
        "run 1: ferry failed (exit %s) and left the VF without a driver (%s)" % tuple(run1))
e = errors(1)
t.check(len(e) == 1 and re.search(r"passthrough\[0\] \(\S+\): refused: this host has no "
                                  r"interrupt remapping.*allow_unsafe_interrupts", e[0]),
        "run 1: exactly one error line, naming the device, the missing remapping and the way "
        "out (%s)" % e)
run2 = (m.get("RUN2") or ["? ?"])[0].split()
e = errors(2)
t.check(run2[0] != "0" and run2[1] == "none" and len(e) == 1 and
        "vfio_iommu_type1 needs allow_unsafe_interrupts=1" in e[0],
        "run 2: allowed by the config but not by vfio_iommu_type1: refused in one line (%s)" % e)
run3 = (m.get("RUN3") or ["? ?"])[0].split()
log3 = "\n".join(m.get("LOG3", []))
r = f.result(log3, mode="nvme")
t.check(run3 == ["0", "vfio-pci"] and r.get("block") == "ok",
        "run 3: allowed on both sides, the guest's NVMe driver works through the VF (%s, %s)"
        % (run3, r))
t.check("WITHOUT interrupt remapping" in log3 and "interrupt remapping OFF" in log3,
        "run 3: ferry warns that the device runs without interrupt remapping")
irq = (m.get("IRQ") or [""])[0]
t.check(re.search(r"\s(?<!IR-)PCI-MSI\S*\s.*vfio-msix\[0\]", irq) and "IR-PCI-MSI" not in irq,
        "run 3: L1's interrupt for the VF is plain PCI-MSI, not remapped (%s)" % irq.strip())
t.passed()
