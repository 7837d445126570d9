# SPDX-License-Identifier: BSD-3-Clause
"""ferry-bench's command line: pick a scenario, run it for each frame size
and contender, print a table (or JSON), write JSON, CSV and plots."""
import argparse
import datetime
import json
import os
import sys
import tempfile
import time

from ferrytest.check import log_to
from ferrytest.ovs import reserve_hugepages

from . import machine, report
from .scenarios import SCENARIOS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SIZES = ["64", "128", "256", "512", "1024", "1518", "imix"]


def _size(s):
    return "imix" if s == "imix" else int(s)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="ferry-bench", description=(
        "Ferry's benchmarks, with peers run in the same invocation. Scenarios: " +
        "; ".join("%s: %s" % (k, v["describe"]) for k, v in SCENARIOS.items())))
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--sizes",
                    help="comma-separated frame sizes in bytes counting the FCS, as RFC 2544 "
                         "does (the frames in the rings are 4 bytes shorter), or imix "
                         "(default: the scenario's, else %s)" % ",".join(DEFAULT_SIZES))
    ap.add_argument("--contenders", help="comma-separated subset of the scenario's contenders")
    ap.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    ap.add_argument("--out", default="bench-results", help="directory for JSON, CSV and plots")
    ap.add_argument("--smoke", action="store_true",
                    help="a seconds-long run that checks the harness, not the speed")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every contender N times, interleaved, and report the median "
                         "run; N must be odd, so the median is a run that happened")
    ap.add_argument("--seconds", type=float, default=10, help="measurement window (vhost)")
    ap.add_argument("--warmup", type=float, default=3, help="seconds before measuring (vhost)")
    ap.add_argument("--trial-ms", type=int, default=2000, help="RFC 2544 trial length (vm2vm)")
    ap.add_argument("--trials", type=int, default=8, help="RFC 2544 trials per search (vm2vm)")
    ap.add_argument("--flows", type=int, default=64, help="UDP flows of the pktgen guest")
    ap.add_argument("--guest-cpu", type=int, default=0)
    ap.add_argument("--switch-cpu", type=int, default=1)
    ap.add_argument("--ferry", default=os.path.join(ROOT, "build", "cli", "ferry"))
    ap.add_argument("--ferry-baseline", default=None,
                    help="another ferry build, the vhost contender ferry_baseline (name it in "
                         "--contenders): a change measured against the build before it")
    ap.add_argument("--guest", default=os.path.join(ROOT, "build", "tests", "guest", "ferry-guest"))
    a = ap.parse_args(argv)
    if a.repeat < 1 or a.repeat % 2 == 0:
        ap.error("--repeat must be odd (1, 3, 5...): the median of an even count is no run")
    if a.smoke:
        for k, v in SCENARIOS[a.scenario]["smoke"].items():
            setattr(a, k.replace("-", "_"), v)
        a.sizes = ",".join(str(s) for s in SCENARIOS[a.scenario]["smoke"]["sizes"])
    if not a.sizes:
        a.sizes = ",".join(str(s) for s in SCENARIOS[a.scenario].get("sizes", DEFAULT_SIZES))
    a.sizes = [_size(s) for s in a.sizes.split(",") if s]
    # Where IMIX is derived from fixed sizes (scenario "post"), measure those too.
    if "imix" in a.sizes and SCENARIOS[a.scenario]["post"]:
        a.measured = [s for s in a.sizes if s != "imix"]
        a.measured += [s for s, _ in report.IMIX if s not in a.measured]
    else:
        a.measured = list(a.sizes)
    return a


def run(a):
    sc = SCENARIOS[a.scenario]
    contenders = a.contenders.split(",") if a.contenders else sc["contenders"]
    sizes = sorted(s for s in a.measured if s != "imix") + (["imix"] if "imix" in a.sizes else [])
    doc = {"scenario": a.scenario, "describe": sc["describe"], "sizes": sizes,
           "contenders": contenders, "smoke": a.smoke,
           "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": machine.describe(a.ferry), "pinning": {"guest_cpu": a.guest_cpu,
                                                             "switch_cpu": a.switch_cpu},
           "results": [], "errors": []}
    progress = report.Progress()
    t0 = time.monotonic()
    reserve_hugepages(1024)  # OVS-DPDK needs them; Ferry uses them when free
    for size in a.measured:
        samples = {c: [] for c in contenders}
        # Interleaved (A B C A B C ...) so a noisy moment hits every contender alike.
        for rep in range(a.repeat):
            for c in contenders:
                progress("%s %s B: %s (%d/%d)" % (a.scenario, size, c, rep + 1, a.repeat))
                with tempfile.TemporaryDirectory(prefix="ferry-bench-") as tmp:
                    try:
                        r = sc["measure"](c, size, a, tmp, progress)
                    except Exception as e:  # one contender failing must not hide the others
                        doc["errors"].append({"contender": c, "size": size,
                                              "error": str(e)[-2000:]})
                        continue
                if r is not None:
                    samples[c].append(r)
        for c, rs in samples.items():
            if not rs:
                continue
            rs.sort(key=lambda x: x["mpps"])
            r = dict(rs[len(rs) // 2])  # the median run (odd count), with its details
            r.update(contender=c, size=size, gbps=report.gbps(r["mpps"], size),
                     samples_mpps=[round(x["mpps"], 3) for x in rs])
            doc["results"].append(r)
    if sc["post"]:
        sc["post"](doc)
    progress.done()
    doc["duration_s"] = round(time.monotonic() - t0, 1)
    summarise(doc)
    return doc


def summarise(doc):
    """<contender>_mpps at the first size, and Ferry's ratio to each peer."""
    first = doc["sizes"][0]
    s = {}
    for r in doc["results"]:
        if r["size"] == first:
            s["%s_mpps" % r["contender"]] = round(r["mpps"], 3)
    for peer in doc["contenders"]:
        if peer != "ferry" and s.get("ferry_mpps") and s.get("%s_mpps" % peer):
            s["ferry_vs_%s" % peer] = round(s["ferry_mpps"] / s["%s_mpps" % peer], 3)
    s["size"] = first
    doc["summary"] = s


def print_table(doc):
    print("%s (%s)" % (doc["scenario"], doc["describe"]))
    w = max([8] + [len(c) for c in doc["contenders"]])  # the "who" column
    print("%-8s %-*s %9s %9s %10s %10s %9s %9s" % ("size", w, "who", "Mpps", "Gbps", "0-loss",
                                                   "0.5%loss", "p50 us", "p99 us"))
    order = {s: i for i, s in enumerate(doc["sizes"])}
    for r in sorted(doc["results"], key=lambda r: (order.get(r["size"], 99), r["contender"])):
        f = lambda k, fmt: (fmt % r[k]) if r.get(k) is not None else "-"  # noqa: E731
        print("%-8s %-*s %9s %9s %10s %10s %9s %9s" % (
            r["size"], w, r["contender"], f("mpps", "%.3f"), f("gbps", "%.2f"),
            f("zero_loss_mpps", "%.3f"), f("loss_0_5_mpps", "%.3f"), f("lat_p50_us", "%.1f"),
            f("lat_p99_us", "%.1f")))
    stages = [r for r in doc["results"] if r.get("encap_mpps") is not None]
    if stages:
        print("%-8s %-*s %12s %12s %12s %12s" % ("size", w, "who", "offered", "encap Mpps",
                                                 "decap Mpps", "delivered"))
        for r in sorted(stages, key=lambda r: (order.get(r["size"], 99), r["contender"])):
            print("%-8s %-*s %12.3f %12.3f %12.3f %12.3f" % (
                r["size"], w, r["contender"], r["offered_mpps"], r["encap_mpps"],
                r["decap_mpps"], r["mpps"]))
    for k, v in doc["summary"].items():
        if k.startswith("ferry_vs_"):
            print("Ferry / %s at %s B: %.2fx" % (k[9:], doc["summary"]["size"], v))
    for e in doc["errors"]:
        print("ERROR %s %s B: %s" % (e["contender"], e["size"], e["error"].splitlines()[-1]))


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    log_to(sys.stderr)  # stdout carries the table or the JSON
    for path in (a.ferry, a.guest):
        if not os.path.exists(path):
            sys.exit("ferry-bench: %s not found (build first, or pass --ferry/--guest)" % path)
    doc = run(a)
    os.makedirs(a.out, exist_ok=True)
    base = "%s-%s" % (a.scenario, "smoke" if a.smoke else doc["started"].replace(":", ""))
    report.write_json(os.path.join(a.out, base + ".json"), doc)
    report.write_csv(os.path.join(a.out, base + ".csv"), doc)
    doc["plots"], plot_errors = report.plot(doc, a.out, base)
    doc["errors"] += [{"contender": "-", "size": "-", "error": e} for e in plot_errors]
    report.write_json(os.path.join(a.out, base + ".json"), doc)
    if a.json:
        json.dump(dict(doc["summary"], results=doc["results"], errors=doc["errors"],
                       plots=doc["plots"], machine=doc["machine"]), sys.stdout, indent=2)
        print()
    else:
        print_table(doc)
        print("results: %s/%s.{json,csv}; plots: %s" % (a.out, base, ", ".join(doc["plots"])))
    return 1 if doc["errors"] or not doc["results"] else 0


if __name__ == "__main__":
    sys.exit(main())
