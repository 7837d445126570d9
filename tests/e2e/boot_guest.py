#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_boot_guest: boot Ferry's test guest under real KVM through the PVH
path; check its console output, the console log, and that its debug-exit
status becomes ferry's exit status."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import e2e

ferry, guest = sys.argv[1], sys.argv[2]
e2e.require_kvm()

with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "console.log")
    rc, out, err = e2e.run([ferry, "boot", "--kernel", guest, "--cmdline",
                            "mode=hello exit=7", "--mem", "128M", "--no-stdin",
                            "--console-log", log])
    print(out)
    print(err, file=sys.stderr)
    e2e.check(rc == 7, "the guest's exit status 7 is ferry's exit status (got %d)" % rc)
    r = e2e.result(out, mode="hello")
    e2e.check(r.get("cpus") == "1", "the guest sees 1 CPU (%s)" % r.get("cpus"))
    e2e.check("mode=hello exit=7" in out, "the guest echoes its command line")
    mem = int(r.get("mem_kb", "0")) // 1024
    e2e.check(120 <= mem <= 128, "the guest sees about 128 MiB of RAM (%d MiB)" % mem)
    e2e.check(r.get("tsc") == "cpuid", "the guest reads the TSC frequency from Ferry's CPUID "
              "leaf 0x40000010 (source: %s)" % r.get("tsc"))
    with open(log) as f:
        logged = f.read()
    e2e.check(logged == out, "the console log holds exactly the console output")

rc, out, err = e2e.run([ferry, "boot", "--kernel", guest, "--cmdline", "mode=hello",
                        "--no-stdin"])
e2e.check(rc == 0, "exit=0 by default gives status 0 (got %d)" % rc)
e2e.check(err.strip() == "", "a clean run prints nothing on stderr (%r)" % err[:200])

# Without the debug-exit port the guest halts after its report; SIGTERM must
# then stop ferry cleanly with status 0.
p = subprocess.Popen([ferry, "boot", "--kernel", guest, "--cmdline", "mode=hello exit=9",
                      "--no-debug-exit", "--no-stdin"], stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
line = ""
deadline = time.time() + 60
while "FERRY-RESULT" not in line and time.time() < deadline:
    line = p.stdout.readline()
    if not line and p.poll() is not None:
        break
e2e.check("FERRY-RESULT" in line, "without the debug-exit port the guest still reports")
time.sleep(0.2)
e2e.check(p.poll() is None, "and ferry keeps running (the guest cannot end the VM)")
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    e2e.fail("ferry did not stop within 20 s of SIGTERM")
e2e.check(rc == 0, "SIGTERM stops ferry cleanly with status 0 (got %d)" % rc)
print("PASS")
