#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_boot_smp: boot the test guest with 2 and 4 vCPUs; it counts the CPUs
in the firmware tables (Ferry's ACPI MADT, and with table=mp its MP table,
which stays for guests without ACPI), wakes every AP with INIT-SIPI-SIPI
through the in-kernel x2APIC, and each AP reports in on the UART."""
import re

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
for n, table in ((2, "acpi"), (4, "acpi"), (4, "mp")):
    cmdline = "mode=smp" + (" table=mp" if table == "mp" else "")
    rc, out, err = f.run_ferry(["boot", "--kernel", f.guest_bin(), "--cmdline", cmdline,
                                "--vcpus", str(n), "--mem", "128M", "--no-stdin"])
    t.check(rc == 0, "%d vCPUs: the guest exits 0 (got %d)" % (n, rc))
    r = f.result(out, mode="smp")
    t.check(r.get("cpus") == str(n), "%d vCPUs: firmware tables list %s CPUs" % (n, r.get("cpus")))
    t.check(r.get("online") == str(n), "%d vCPUs: %s CPUs online" % (n, r.get("online")))
    t.check(r.get("table") == table, "%d vCPUs: the count came from Ferry's %s table (%s)"
            % (n, table, r.get("table")))
    for cpu in range(1, n):
        t.check(re.search(r"\bcpu %d apic %d online\b" % (cpu, cpu), out) is not None,
                "%d vCPUs: AP %d reported in on the UART" % (n, cpu))
t.passed()
