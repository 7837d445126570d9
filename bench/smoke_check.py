#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench_smoke_SCENARIO: run `ferry-bench SCENARIO --smoke --json` and check
the harness, not the speed: it exits 0, the JSON has a positive rate for
every contender and Ferry's ratio to each peer, and the plot files exist and
are real images.  usage: smoke_check.py SCENARIO OUTDIR (ferry and the test
guest come from the environment, as for every Python test: tests/ferrytest)."""
import json
import os
import sys

from ferrytest import check as t
from ferrytest import ferry as f
from ferrytest.proc import run

scenario, out = sys.argv[1:3]
here = os.path.dirname(os.path.abspath(__file__))
rc, stdout, stderr = run([sys.executable, os.path.join(here, "ferry-bench"), scenario, "--smoke",
                          "--json", "--out", out, "--ferry", f.ferry_bin(), "--guest",
                          f.guest_bin()], timeout=1500)
print(stdout[-4000:])
print(stderr[-4000:])
t.check(rc == 0, "ferry-bench exited %d" % rc)
try:
    doc = json.loads(stdout)
except ValueError as e:
    t.fail("stdout is not JSON: %s" % e)
contenders = {r["contender"] for r in doc["results"]}
for r in doc["results"]:
    t.check(r.get("mpps", 0) > 0, "%s at %s B reported a rate (%s Mpps)"
            % (r["contender"], r["size"], r.get("mpps")))
t.check(doc.get("ferry_mpps", 0) > 0, "ferry_mpps in the summary (%s)" % doc.get("ferry_mpps"))
for peer in contenders - {"ferry"}:
    t.check(doc.get("%s_mpps" % peer) and doc.get("ferry_vs_%s" % peer),
            "%s_mpps and ferry_vs_%s in the summary" % (peer, peer))
pngs = [p for p in doc.get("plots", []) if p.endswith(".png")]
t.check(pngs, "a PNG plot was written (%s)" % pngs)
for p in doc["plots"]:
    with open(p, "rb") as fh:
        head = fh.read(8)
    if p.endswith(".png"):
        t.check(head == b"\x89PNG\r\n\x1a\n", "%s is a PNG" % p)
    if p.endswith(".svg"):
        t.check(b"<" in head, "%s is an SVG" % p)
t.log("%s smoke: %s" % (scenario, {k: v for k, v in doc.items()
                                   if k.endswith("_mpps") or "_vs_" in k}))
t.passed()
