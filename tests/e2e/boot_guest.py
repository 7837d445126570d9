#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_boot_guest: boot Ferry's test guest under real KVM through the PVH
path; check its console output, the console log, and that its debug-exit
status becomes ferry's exit status; without the debug-exit port, SIGTERM
stops ferry with status 0; a guest that triple-faults (an empty IDT, then a
fault in ring 0) ends ferry with status 3 and leaves its registers in the
log: rip, the control registers, the empty IDT and the exception."""
import os
import re
import time

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import Proc

t.require_kvm()
tmp = t.workdir()
log = os.path.join(tmp, "console.log")
rc, out, err = f.run_ferry(["boot", "--kernel", f.guest_bin(), "--cmdline", "mode=hello exit=7",
                            "--mem", "128M", "--no-stdin", "--console-log", log])
t.check(rc == 7, "the guest's exit status 7 is ferry's exit status (got %d)" % rc)
r = f.result(out, mode="hello")
t.check(r.get("cpus") == "1", "the guest sees 1 CPU (%s)" % r.get("cpus"))
t.check("mode=hello exit=7" in out, "the guest echoes its command line")
mem = int(r.get("mem_kb", "0")) // 1024
t.check(120 <= mem <= 128, "the guest sees about 128 MiB of RAM (%d MiB)" % mem)
t.check(r.get("tsc") == "cpuid", "the guest reads the TSC frequency from Ferry's CPUID "
        "leaf 0x40000010 (source: %s)" % r.get("tsc"))
# A host fact, not a check: whether this host's ring-3 cpuid reaches KVM
# (tests/guest/cpuid.h).  The guest is correct either way.
t.log("host: a guest's ring-3 cpuid is %s here" % r.get("cpuid3"))
with open(log) as fh:
    logged = fh.read()
t.check(logged == out, "the console log holds exactly the console output")

rc, out, err = f.run_ferry(["boot", "--kernel", f.guest_bin(), "--cmdline", "mode=hello",
                            "--no-stdin"])
t.check(rc == 0, "exit=0 by default gives status 0 (got %d)" % rc)
t.check(err.strip() == "", "a clean run prints nothing on stderr (%r)" % err[:200])

# Without the debug-exit port the guest halts after its report; SIGTERM must
# then stop ferry cleanly with status 0.
p = Proc("ferry-no-debug-exit", [f.ferry_bin(), "boot", "--kernel", f.guest_bin(), "--cmdline",
                                 "mode=hello exit=9", "--no-debug-exit", "--no-stdin"])
p.wait_text(r"FERRY-RESULT .*no debug-exit port, halting", 60)
time.sleep(0.2)
t.check(p.alive(), "without the debug-exit port the guest reports and ferry keeps running")
f.stop_ferry(p)

rc, out, err = f.run_ferry(["boot", "--kernel", f.guest_bin(), "--cmdline",
                            "mode=fault fault=triple", "--no-stdin"])
state = [line for line in err.splitlines() if "(triple fault)" in line]
t.check(rc == 3 and "guest triple-faulted" in err,
        "a triple fault ends ferry with status 3 (got %d)" % rc)
t.check(len(state) == 3 and re.search(r"rip=0x[0-9a-f]+ rsp=0x", state[0]) and
        "idt=0/0" in state[1] and "cr3=0x" in state[1] and "exception" in state[2],
        "the log holds the vCPU's registers, its empty IDT and the exception: %s"
        % " | ".join(state)[:400])
t.passed()
