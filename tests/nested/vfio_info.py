#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_vfio_info: `ferry info` on a host with an IOMMU, interrupt
remapping on and off, and an SR-IOV device (the nested bed's L1: QEMU's
intel-iommu and an NVMe controller with virtual functions, as
../shared/docs/nested.md describes).

Run 1 (intremap=on): the PF has no VFs; `ferry run` with `{"pf": PF, "vf":
0}` passed through to a test guest listing its PCI bus (mode=pci) must
enable one VF itself (sriov_numvfs), bind it to vfio-pci and show it to the
guest as an NVMe function.  Then `ferry info` must report VFIO with IOMMU
groups, interrupt remapping on, no posted interrupts (QEMU's VT-d has
none), and the PF with the VF Ferry enabled, bound to vfio-pci, in an IOMMU
group.  (The VF is not usable for I/O without NVMe virtualization
management, which nested_vfio_nvme_vf does; listing it needs none.)
Run 2 (intremap=off): interrupt remapping off; the same `ferry run` is
refused before anything changes (no VF enabled), so L1 enables one itself."""
import re

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
tmp = t.workdir()

# vfio-pci is loaded with L1's modules (Bed's l1_modules).
PAYLOAD = """
for d in /sys/bus/pci/devices/*; do
    [ -f $d/sriov_totalvfs ] && [ "$(cat $d/sriov_totalvfs)" -gt 0 ] && PF=$d && break
done
echo 0 > $PF/sriov_drivers_autoprobe
cat > /tmp/vm.json <<JSON
{"vms": [{"name": "pci", "kernel": "/guest", "memory": "64M", "debug_exit": true,
          "cmdline": "mode=pci", "passthrough": [{"pf": "$(basename $PF)", "vf": 0}]}]}
JSON
ferry run /tmp/vm.json 2>&1 | sed 's/^/NESTED-RUN /'
echo "NESTED-NUMVFS $(cat $PF/sriov_numvfs)"
if [ "$(cat $PF/sriov_numvfs)" = 0 ]; then
    echo 1 > $PF/sriov_numvfs || echo "NESTED-ERROR cannot enable a VF"
    VF=$(basename $(readlink $PF/virtfn0))
    echo vfio-pci > /sys/bus/pci/devices/$VF/driver_override
    echo $VF > /sys/bus/pci/drivers_probe
fi
ferry info | sed 's/^/NESTED-INFO /'
"""
DEVICES = ["-machine", "q35,kernel-irqchip=split",
           "-device", "nvme-subsys,id=subsys0",
           "-device", "nvme,serial=deadbeef,subsys=subsys0,sriov_max_vfs=2,"
           "sriov_vq_flexible=4,sriov_vi_flexible=2"]

bed = nested.Bed(f.ferry_bin(), PAYLOAD, files={"/guest": f.guest_bin()},
                 l1_modules=("kvm_amd", "vfio-pci"))
for ir in ("on", "off"):
    extra = ["-device", "intel-iommu,intremap=%s,caching-mode=on" % ir] + DEVICES
    console, m, took = bed.run(tmp, "vfio_info_ir_" + ir, extra=extra, append="intel_iommu=on")
    info = "\n".join(m.get("INFO", []))
    t.log("ferry info with intremap=%s:\n%s" % (ir, info))
    t.check(re.search(r"vfio: api \d+, type1 iommu yes, [1-9]\d* IOMMU group", info),
            "intremap=%s: VFIO with the type1 IOMMU and its groups" % ir)
    t.check(("interrupt remapping: %s" % ir) in info,
            "intremap=%s: ferry info says interrupt remapping is %s" % (ir, ir))
    t.check("posted interrupts: no" in info, "intremap=%s: no posted interrupts" % ir)
    run = "\n".join(m.get("RUN", []))
    t.log("ferry run with the PF's VF 0, intremap=%s:\n%s" % (ir, run))
    if ir == "on":
        t.check("0000:00:01.0: 1 VFs enabled" in run and "bound to vfio-pci" in run and
                re.search(r"FERRY-RESULT mode=pci bdf=\S+ id=1b36:0010 class=010802", run),
                "ferry enabled VF 0 on the PF, bound it to vfio-pci and its guest found an "
                "NVMe function on its bus")
    else:
        t.check("refused: this host has no interrupt remapping" in run and
                m.get("NUMVFS") == ["0"],
                "without interrupt remapping ferry refused before enabling any VF (%s)"
                % m.get("NUMVFS"))
    if ir == "on":
        t.check(re.search(r"sr-iov: PF \S+ \(device 0x[0-9a-f]+, driver nvme, iommu group \d+\): "
                          r"1 of 2 VFs enabled", info),
                "the NVMe PF with 1 of its 2 VFs enabled")
        t.check(re.search(r"sr-iov:   VF 0 \S+ \(driver vfio-pci, iommu group \d+\)", info),
                "its VF, bound to vfio-pci, in an IOMMU group of its own")
t.passed()
