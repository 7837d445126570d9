#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench_smoke_SCENARIO: run `ferry-bench SCENARIO --smoke --json` and check
the harness, not the speed: it exits 0, the JSON has a positive rate for
every contender and Ferry's ratio to each peer, and the plot files exist and
are real images.  usage: smoke_check.py SCENARIO FERRY GUEST OUTDIR"""
import json
import os
import subprocess
import sys

scenario, ferry, guest, out = sys.argv[1:5]
here = os.path.dirname(os.path.abspath(__file__))
cmd = [sys.executable, os.path.join(here, "ferry-bench"), scenario, "--smoke", "--json",
       "--out", out, "--ferry", os.path.abspath(ferry), "--guest", os.path.abspath(guest)]
print("$ " + " ".join(cmd), flush=True)
p = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
print(p.stdout[-4000:])
print(p.stderr[-4000:], file=sys.stderr)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


if p.returncode != 0:
    fail("ferry-bench exited %d" % p.returncode)
try:
    doc = json.loads(p.stdout)
except ValueError as e:
    fail("stdout is not JSON: %s" % e)
contenders = {r["contender"] for r in doc["results"]}
for r in doc["results"]:
    if not r.get("mpps", 0) > 0:
        fail("%s at %s B reported no rate" % (r["contender"], r["size"]))
if not doc.get("ferry_mpps", 0) > 0:
    fail("no ferry_mpps in the summary")
for peer in contenders - {"ferry"}:
    if not doc.get("%s_mpps" % peer) or not doc.get("ferry_vs_%s" % peer):
        fail("no %s_mpps / ferry_vs_%s in the summary" % (peer, peer))
pngs = [f for f in doc.get("plots", []) if f.endswith(".png")]
if not pngs:
    fail("no PNG plot was written")
for f in doc["plots"]:
    with open(f, "rb") as fh:
        head = fh.read(8)
    if f.endswith(".png") and head != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % f)
    if f.endswith(".svg") and b"<" not in head:
        fail("%s is not an SVG" % f)
print("ok: %s smoke: %s; plots %s" % (scenario, {k: v for k, v in doc.items()
                                                  if k.endswith("_mpps") or "_vs_" in k}, pngs))
