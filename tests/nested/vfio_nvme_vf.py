#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_vfio_nvme_vf: an SR-IOV VF passed through to Ferry's test guest.

In the nested bed's L1 (QEMU's VT-d with interrupt remapping, an NVMe PF
with VFs and a namespace on an image of this test's), L1 makes VF 0 usable
(NVMe virtualization management) and leaves it without a driver; Ferry is
given `{"pf": PF, "vf": 0}` and does the rest: binds the VF to vfio-pci,
attaches its IOMMU group, maps guest RAM for DMA, builds the guest's view of
the function and wires its MSI-X vector to a KVM irqfd.

The test guest's NVMe driver (mode=nvme) identifies the controller, creates
an I/O queue pair, writes a block and reads it back, taking every completion
after its MSI-X interrupt, then reads into an address outside guest RAM.
Checked: the guest's result (identity, block, interrupts, the bad read
failed); the block's checksum matches the image on this host (the data went
through the VF to the disk); L1's /proc/interrupts showed the VF's vector as
`IR-PCI-MSI ... vfio-msix[0]` with interrupts counted while the guest ran;
the IOMMU logged a DMAR fault for the bad address from the VF; Ferry said
what it passed through and reset the VF on the way out; the VF is still
vfio-pci's afterwards."""
import os
import re

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
t.require_program("nvme", "nvme-cli")
tmp = t.workdir()
LBA = 5
BAD = 0xb0000000

PAYLOAD = nested.NVME_VF_SETUP + r"""
cat > /tmp/vm.json <<JSON
{"vms": [{"name": "nvme", "kernel": "/guest", "memory": "64M", "debug_exit": true,
          "cmdline": "mode=nvme lba=@LBA@ bad_dma=1 hold_ms=3000 timeout_ms=60000",
          "passthrough": [{"pf": "$PF", "vf": 0}]}]}
JSON
ferry run /tmp/vm.json > /tmp/ferry.log 2>&1 &
FP=$!
while kill -0 $FP 2>/dev/null; do grep vfio-msix /proc/interrupts >> /tmp/irqs; sleep 0.3; done
wait $FP
echo "NESTED-FERRY-EXIT $?"
sed 's/^/NESTED-FERRY /' /tmp/ferry.log
[ -f /tmp/irqs ] && tail -1 /tmp/irqs | sed 's/^/NESTED-IRQ /'
dmesg | grep -i 'dmar' | grep -i 'fault' | sed 's/^/NESTED-DMAR /'
echo "NESTED-DRIVER $(basename "$(readlink /sys/bus/pci/devices/$VF/driver)")"
""".replace("@LBA@", str(LBA))

image = os.path.join(tmp, "nvme.img")
with open(image, "wb") as fp:
    fp.truncate(1 << 20)

bed = nested.Bed(f.ferry_bin(), PAYLOAD, files={"/guest": f.guest_bin()},
                 l1_modules=("kvm_amd", "vfio-pci"), binaries={"/usr/bin/nvme": "/usr/sbin/nvme"})
console, m, took = bed.run(tmp, "vfio_nvme_vf", extra=nested.nvme_sriov_argv(image),
                           append="intel_iommu=on")
pf, vf = ((m.get("VF") or ["? ?"])[0].split() + ["?"])[:2]
ferry_log = "\n".join(m.get("FERRY", []))
t.log("L1: PF %s VF %s; ferry said:\n%s" % (pf, vf, ferry_log))

res = f.results(ferry_log).get("", [])
r = res[-1] if res else {}
t.check(m.get("FERRY-EXIT") == ["0"], "ferry ran the guest to a passing exit (%s)"
        % m.get("FERRY-EXIT"))
t.check(r.get("mode") == "nvme" and r.get("block") == "ok" and r.get("lba") == str(LBA),
        "the guest wrote block %d through the VF and read the same back (%s)" % (LBA, r))
t.check(r.get("model", "").startswith("QEMU") and int(r.get("namespaces", "0")) >= 1
        and r.get("lba_size") == "512",
        "it identified QEMU's NVMe controller and namespace 1 with 512-byte blocks")
t.check(int(r.get("irq_completions", "0")) >= 8,
        "every completion came with its MSI-X interrupt (%s)" % r.get("irq_completions"))
t.check(r.get("bad_dma", "").startswith("status-"),
        "the read into an address outside guest RAM completed (%s; QEMU's NVMe does not "
        "report the IOMMU's refusal, L1's fault log below does)" % r.get("bad_dma"))

with open(image, "rb") as fp:
    fp.seek(LBA * 512)
    block = fp.read(512)
h = 2166136261
for b in block:
    h = ((h ^ b) * 16777619) & 0xffffffff
t.check(r.get("sum") == "0x%08x" % h and any(block),
        "the image holds the guest's block at LBA %d (FNV-1a %s, image 0x%08x)"
        % (LBA, r.get("sum"), h))

irq = (m.get("IRQ") or [""])[0]
t.log("L1's interrupt line for the VF: %s" % irq)
mo = re.match(r"\s*\d+:\s+(\d+)\s+IR-PCI-MSI\S*\s.*vfio-msix\[0\]\(%s\)" % re.escape(vf), irq)
t.check(mo and int(mo.group(1)) > 0,
        "L1 routed the VF's vector through interrupt remapping to vfio-msix[0] and counted "
        "its interrupts (%s)" % irq.strip())
dmar = "\n".join(m.get("DMAR", []))
t.log("L1's DMAR faults:\n%s" % dmar)
t.check(re.search(r"fault addr 0x%x" % BAD, dmar) and vf[5:] in dmar,
        "the IOMMU faulted the VF's DMA to 0x%x" % BAD)
t.check(re.search(r"passed through at guest slot \d+, \d+ MSI-X vector\(s\), interrupt "
                  r"remapping on", ferry_log),
        "ferry said what it passed through, with interrupt remapping on")
t.check("bound to vfio-pci" in ferry_log and "reset on the way out" in ferry_log,
        "ferry bound the VF to vfio-pci itself and reset it when the VM ended")
t.check(m.get("DRIVER") == ["vfio-pci"], "the VF stays with vfio-pci (%s)" % m.get("DRIVER"))
t.passed()
