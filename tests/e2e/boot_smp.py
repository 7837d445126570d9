#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_boot_smp: boot the test guest with 2 and 4 vCPUs; it counts the CPUs
in the firmware tables (Ferry's MP table), wakes every AP with INIT-SIPI-SIPI
through the in-kernel x2APIC, and each AP reports in on the UART."""
import re
import sys

import e2e

ferry, guest = sys.argv[1], sys.argv[2]
e2e.require_kvm()

for n in (2, 4):
    rc, out, err = e2e.run([ferry, "boot", "--kernel", guest, "--cmdline", "mode=smp",
                            "--vcpus", str(n), "--mem", "128M", "--no-stdin"], timeout=600)
    print(out)
    print(err, file=sys.stderr)
    e2e.check(rc == 0, "%d vCPUs: the guest exits 0 (got %d)" % (n, rc))
    r = e2e.result(out, mode="smp")
    e2e.check(r.get("cpus") == str(n), "%d vCPUs: firmware tables list %s CPUs" % (n, r.get("cpus")))
    e2e.check(r.get("online") == str(n), "%d vCPUs: %s CPUs online" % (n, r.get("online")))
    e2e.check(r.get("table") == "mp", "%d vCPUs: the count came from Ferry's MP table (%s)"
              % (n, r.get("table")))
    for cpu in range(1, n):
        e2e.check(re.search(r"\bcpu %d apic %d online\b" % (cpu, cpu), out) is not None,
                  "%d vCPUs: AP %d reported in on the UART" % (n, cpu))
print("PASS")
