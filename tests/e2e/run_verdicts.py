#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e_run_verdicts: `ferry run`'s summary says "every VM passed its checks"
only when each guest declared its checks held (debug-exit 0), and its exit
status agrees.  A test guest (debug-exit port given) that resets instead has
failed; a guest without the port (as Linux runs) that resets has ended with
no verdict, which is no failure; SIGTERM stops the rest with status 0."""
import os

from ferrytest import check as t
from ferrytest import ferry as f

t.require_kvm()
tmp = t.workdir()


def vm(name, cmdline, debug_exit=True):
    v = f.guest_vm(name, "52:54:00:00:0f:01", cmdline)
    v["debug_exit"] = debug_exit
    del v["nics"]
    return v


def run(name, vms):
    cfg = f.write_config(os.path.join(tmp, name + ".json"), vms=vms)
    rc, out, _ = f.run_ferry(["run", cfg], timeout=120)
    return rc, f.summary(out)


rc, s = run("pass", [vm("a", "mode=hello"), vm("b", "mode=hello")])
t.check(rc == 0 and s["verdict"] == "ferry: every VM passed its checks",
        "two passing guests: status 0, every VM passed (%d, %s)" % (rc, s["verdict"]))

rc, s = run("reset", [vm("ok", "mode=hello"), vm("rst", "mode=reset")])
t.check(s["vms"].get("rst", ("", ""))[1] == "FAILED",
        "a test guest that resets reads FAILED in the table (%s)" % (s["vms"],))
t.check(rc != 0 and s["verdict"] == "ferry: 1 of 2 VMs FAILED (see above)",
        "and the line and the status say so (%d, %s)" % (rc, s["verdict"]))

rc, s = run("fail", [vm("ok", "mode=hello"), vm("bad", "mode=hello exit=5")])
t.check(rc == 5 and s["vms"].get("bad", ("", ""))[1] == "FAILED"
        and "FAILED" in (s["verdict"] or ""),
        "a guest that reports failure: its status 5, FAILED (%d, %s)" % (rc, s["verdict"]))

rc, s = run("ended", [vm("ok", "mode=hello"), vm("linux", "mode=reset", debug_exit=False)])
t.check(s["vms"].get("linux", ("", ""))[1] == "ended",
        "a guest without the debug-exit port that resets has ended (%s)" % (s["vms"],))
t.check(rc == 0 and s["verdict"].startswith("ferry: no VM failed; 1 ended without a verdict"),
        "which is no failure, and not a pass either (%d, %s)" % (rc, s["verdict"]))

# A daemon (control socket) stopped by SIGTERM with a guest still running.
cfg = f.write_config(os.path.join(tmp, "stopped.json"), vms=[
    vm("ok", "mode=hello"), vm("idle", "mode=hello", debug_exit=False)],
    control=os.path.join(tmp, "ctl.sock"))
ferry = f.start_ferry(cfg, tmp)
ferry.wait_text(r"\[idle\] .*no debug-exit port, halting", 60)
f.stop_ferry(ferry)
s = f.summary(ferry.text())
t.check(s["vms"].get("idle", ("", ""))[1] == "stopped"
        and s["verdict"] == "ferry: no VM failed; 0 ended without a verdict, 1 stopped",
        "a guest stopped by SIGTERM reads stopped, not passed (%s, %s)" % (s["vms"], s["verdict"]))
t.passed()
