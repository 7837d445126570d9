#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nested_linux_boot: Debian's stock kernel under Ferry's own KVM, in the
nested test bed (ferrytest.nested): 2 vCPUs and 256 MiB.

Checked: Linux finds both CPUs (its /proc/cpuinfo, from Ferry's ACPI MADT)
and both come online; it found the ACPI tables, the i8042 answered its probe
(no "Can't read CTR"); `poweroff -f` in the guest reaches Ferry through the
ACPI PM1a control register as S5, and ferry exits 0 saying the guest
powered off.  The control, in the same L1 run: QEMU with -accel kvm (its
microvm machine, its fastest) boots the same kernel and initramfs with 2
vCPUs and powers off.  Then `ferry run` with a control socket and the guest
waiting in busybox's acpid: `ferryctl vm-shutdown` presses the ACPI power
button and the guest powers off (not stopped after its grace).  Printed,
for both VMMs: how long the kernel took to reach its init, and the whole
run from start to exit, both inside L1."""
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
if [ -n "$ferry_acpid" ]; then
    # Wait for the power button, as a cloud image's acpid or logind would.
    mkdir -p /etc/acpi/PWRF
    printf '#!/bin/sh\\necho NESTED-L2-BUTTON\\npoweroff -f\\n' > /etc/acpi/PWRF/00000080
    chmod +x /etc/acpi/PWRF/00000080
    acpid -f -c /etc/acpi -l /dev/null &
    sleep 1
    echo "NESTED-L2-ACPID $(ls /dev/input | tr '\\n' ' ')"
    while :; do sleep 60; done
fi
poweroff -f
"""
CMDLINE = "console=ttyS0 panic=-1 loglevel=4 rdinit=/init"
PAYLOAD = """
echo "NESTED-FERRY-START $(cut -d' ' -f1 /proc/uptime)"
ferry boot -v --no-stdin --kernel /l2/vmlinuz --initrd /l2/initrd --vcpus 2 --mem 256M \\
    --cmdline "%s"
echo "NESTED-FERRY-EXIT $? $(cut -d' ' -f1 /proc/uptime)"
echo "NESTED-QEMU-START $(cut -d' ' -f1 /proc/uptime)"
qemu-system-x86_64 -accel kvm -cpu host -smp 2 -m 256M \\
    -M microvm,x-option-roms=off,rtc=off,pit=on,pic=on,isa-serial=on \\
    -kernel /l2/vmlinuz -initrd /l2/initrd -append "%s" \\
    -nodefaults -no-reboot -nographic -serial stdio -monitor none -display none
echo "NESTED-QEMU-EXIT $? $(cut -d' ' -f1 /proc/uptime)"
# ferry run with a control socket: shut the VM down through the API, as a cloud host does.
cat > /tmp/run.json <<END
{"control": {"socket": "/tmp/ctl.sock"},
 "vms": [{"name": "acpi", "kernel": "/l2/vmlinuz", "initrd": "/l2/initrd", "memory": "256M",
          "vcpus": 2, "cmdline": "%s ferry_acpid=1", "console": {"log": "/tmp/acpi.console"}}]}
END
ferry run /tmp/run.json > /tmp/run.log 2>&1 &
daemon=$!
n=0
until grep -q NESTED-L2-ACPID /tmp/acpi.console 2>/dev/null || [ $n -ge 900 ]; do
    sleep 0.2; n=$((n + 1))
done
n=0
echo "NESTED-SHUTDOWN-START $(cut -d' ' -f1 /proc/uptime)"
ferryctl -s /tmp/ctl.sock vm-shutdown acpi --timeout 120 ||
    { echo "NESTED-ERROR vm-shutdown"; n=600; }
until ferryctl -s /tmp/ctl.sock vms | grep -q '^acpi *ended' || [ $n -ge 600 ]; do
    sleep 0.2; n=$((n + 1))
done
echo "NESTED-SHUTDOWN-DONE $(cut -d' ' -f1 /proc/uptime)"
echo "NESTED-SHUTDOWN-END $(ferryctl -s /tmp/ctl.sock --json vm-info acpi | grep '"ended"')"
grep -e BUTTON -e ACPID /tmp/acpi.console | sed 's/^/NESTED-CONSOLE /'
kill $daemon
wait $daemon
""" % (CMDLINE, CMDLINE, CMDLINE)

kpath, kver = nested.kernel()
files = {"/l2/vmlinuz": kpath, "/l2/initrd": nested.l2_initramfs(L2, ("button", "evdev"))}
bed = nested.Bed(f.ferry_bin(), PAYLOAD, files=files, qemu=True,
                 binaries={"/usr/bin/ferryctl": f.ferryctl_bin()})
console, _, took = bed.run(tmp, "linux_boot", mem="2G")
# Ferry's run, then QEMU's (the control) on the same L1 KVM, the same kernel and initramfs.
ferry_part, _, qemu_part = console.partition("NESTED-QEMU-START")
qemu_part, _, api_part = qemu_part.partition("NESTED-SHUTDOWN-START")
m, q = nested.parse_markers(ferry_part), nested.parse_markers("NESTED-QEMU-START" + qemu_part)
a = nested.parse_markers("NESTED-SHUTDOWN-START" + api_part)
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
t.check(exit_rc == "0" and "guest powered off (ACPI S5)" in ferry_part,
        "poweroff -f in the guest ends ferry with 0 (ACPI S5): exit %s" % exit_rc)
start = float(m["FERRY-START"][0])
l2_up = float(m["L2-UP"][0])
q_rc, _, q_done = (q.get("QEMU-EXIT") or ["? 0"])[0].partition(" ")
t.check(q_rc == "0" and q.get("L2-CPUS") == ["2"],
        "the control: QEMU -accel kvm (microvm) in the same L1 boots the same kernel with 2 "
        "CPUs and powers off (exit %s, cpus %s)" % (q_rc, q.get("L2-CPUS")))
q_start, q_up = float(q["QEMU-START"][0]), float((q.get("L2-UP") or ["0"])[0])
t.log("boot: Linux %s reached its init after %.2f s of guest uptime under Ferry, %.2f s under "
      "QEMU -accel kvm (microvm); the whole run (create, boot, poweroff) took %.1f s with "
      "Ferry and %.1f s with QEMU, in L1 (%.2fx); the nested run %.0f s on the host"
      % (kver, l2_up, q_up, float(done.split()[0]) - start, float(q_done or 0) - q_start,
         (float(done.split()[0]) - start) / max(float(q_done or 0) - q_start, 0.01), took))
ended = (a.get("SHUTDOWN-END") or [""])[0]
t.check("guest powered off (ACPI S5)" in ended and a.get("CONSOLE"),
        "ferryctl vm-shutdown pressed the ACPI power button of a `ferry run` VM; the guest's "
        "acpid powered it off (%s)" % ended.strip())
t.log("shutdown: the guest powered off %.1f s after the API's request (in L1)"
      % (float(a["SHUTDOWN-DONE"][0]) - float(a["SHUTDOWN-START"][0])))
t.passed()
