#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_linux_boot: Debian's stock kernel under Ferry's own KVM, in the
nested test bed (ferrytest.nested): 2 vCPUs and 256 MiB.

Checked: Linux finds both CPUs (its /proc/cpuinfo, from Ferry's ACPI MADT)
and both come online; it found the ACPI tables, the i8042 answered its probe
(no "Can't read CTR"); `poweroff -f` in the guest reaches Ferry through the
ACPI PM1a control register as S5, and ferry exits 0 saying the guest
powered off.  Printed: how long the kernel took to reach its init, and
ferry's whole run, both inside L1."""
from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest import nested

t.require_program(nested.QEMU, "qemu-system-x86")
tmp = t.workdir()

L2 = """
echo "NESTED-L2-CPUS $(grep -c ^processor /proc/cpuinfo)"
echo "NESTED-L2-ONLINE $(cat /sys/devices/system/cpu/online)"
echo "NESTED-L2-ACPI $(ls /sys/firmware/acpi/tables | tr '\\n' ' ')"
dmesg | grep -i -e i8042 -e serio | sed 's/^/NESTED-L2-KBC /'
poweroff -f
"""
PAYLOAD = """
echo "NESTED-FERRY-START $(cut -d' ' -f1 /proc/uptime)"
ferry boot -v --no-stdin --kernel /l2/vmlinuz --initrd /l2/initrd --vcpus 2 --mem 256M \\
    --cmdline "console=ttyS0 panic=-1 loglevel=4 rdinit=/init"
echo "NESTED-FERRY-EXIT $? $(cut -d' ' -f1 /proc/uptime)"
"""

kpath, kver = nested.kernel()
files = {"/l2/vmlinuz": kpath, "/l2/initrd": nested.l2_initramfs(L2)}
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files)
console, m, took = bed.run(tmp, "linux_boot")
t.check(m.get("L2-CPUS") == ["2"] and m.get("L2-ONLINE") == ["0-1"],
        "Linux under Ferry sees 2 CPUs, both online (cpuinfo %s, online %s)"
        % (m.get("L2-CPUS"), m.get("L2-ONLINE")))
acpi = (m.get("L2-ACPI") or [""])[0].split()
t.check({"APIC", "FACP", "DSDT", "FACS"} <= set(acpi),
        "Linux read Ferry's ACPI tables: %s" % " ".join(acpi))
kbc = [line.split("] ", 1)[-1] for line in m.get("L2-KBC", [])]
t.check(any("i8042 KBD port at 0x60,0x64" in line for line in kbc) and
        not any(w in line for line in kbc for w in ("Can't", "fail", "Keylock", "timeout")),
        "the i8042 answered Linux's probe, which registered its keyboard port: %s"
        % "; ".join(kbc))
exit_rc, _, done = (m.get("FERRY-EXIT") or ["? ? 0"])[0].partition(" ")
t.check(exit_rc == "0" and "guest powered off (ACPI S5)" in console,
        "poweroff -f in the guest ends ferry with 0 (ACPI S5): exit %s" % exit_rc)
start = float(m["FERRY-START"][0])
l2_up = float(m["L2-UP"][0])
t.log("boot: Linux %s reached its init after %.2f s of guest uptime; ferry's whole run "
      "(create, boot, poweroff) took %.1f s in L1; the nested run %.0f s on the host"
      % (kver, l2_up, float(done.split()[0]) - start, took))
t.passed()
