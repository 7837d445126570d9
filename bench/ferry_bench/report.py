# SPDX-License-Identifier: BSD-3-Clause
"""Results out: JSON (everything), CSV (one row per size and contender),
plots through gnuplot (Mpps and Gbps against frame size; latency CDF), and a
one-line progress display when stderr is a terminal."""
import csv
import json
import os
import shutil
import subprocess
import sys
import time

IMIX = [(64, 7), (576, 4), (1500, 1)]  # RFC 6985-style simple IMIX, 7:4:1


def frame_bytes(size):
    """Average frame size in bytes for a size label (an int or 'imix')."""
    if size == "imix":
        return sum(s * w for s, w in IMIX) / sum(w for _, w in IMIX)
    return float(size)


def gbps(mpps, size):
    """Layer-2 throughput (frame bits, no preamble or gap)."""
    return mpps * frame_bytes(size) * 8 / 1000.0


class Progress:
    def __init__(self, enabled=None):
        self.on = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()

    def __call__(self, msg):
        if self.on:
            sys.stderr.write("\r\033[K[%6.1fs] %s" % (time.monotonic() - self.t0, msg))
            sys.stderr.flush()

    def done(self):
        if self.on:
            sys.stderr.write("\r\033[K")


CSV_FIELDS = ["scenario", "contender", "size", "mpps", "gbps", "zero_loss_mpps",
              "loss_0_5_mpps", "lat_p50_us", "lat_p99_us", "lat_p999_us", "lat_max_us"]


def write_csv(path, doc):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in doc["results"]:
            w.writerow(dict(r, scenario=doc["scenario"]))


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def _gnuplot(script, cwd):
    if not shutil.which("gnuplot"):
        return "gnuplot is not installed (apt-get install gnuplot-nox)"
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=cwd)
    return p.stderr.strip() if p.returncode else None


def _series(doc, key):
    """{contender: [(x index, size label, value)]} for sizes in order."""
    sizes = doc["sizes"]
    out = {}
    for r in doc["results"]:
        if r.get(key) is None:
            continue
        out.setdefault(r["contender"], []).append((sizes.index(r["size"]), r["size"], r[key]))
    return out


def plot(doc, outdir, base):
    """Write base-throughput.{png,svg} (and base-latency-cdf.* when latency
    histograms exist); returns the files written and any gnuplot error."""
    files, errors = [], []
    for metric, label in (("mpps", "Mpps"), ("gbps", "Gbps (L2)")):
        series = _series(doc, metric)
        if not series:
            continue
        data = []
        for name, pts in series.items():
            dat = os.path.join(outdir, "%s-%s-%s.dat" % (base, metric, name))
            with open(dat, "w") as f:
                for i, size, v in sorted(pts):
                    f.write('%d "%s" %f\n' % (i, size, v))
            data.append((name, os.path.basename(dat)))
        plots = ", ".join("'%s' using 1:3:xtic(2) with linespoints lw 2 title '%s'" % (d, n)
                          for n, d in data)
        for term, ext in (("pngcairo size 900,560", "png"), ("svg size 900,560", "svg")):
            name = "%s-%s.%s" % (base, metric, ext)
            err = _gnuplot("set terminal %s\nset output '%s'\nset title '%s: %s by frame size'\n"
                           "set xlabel 'frame size (bytes)'\nset ylabel '%s'\nset grid\n"
                           "set key top right\nplot %s\n"
                           % (term, name, doc["scenario"], label, label, plots), outdir)
            (errors if err else files).append(err or os.path.join(outdir, name))
    files += _plot_cdf(doc, outdir, base, errors)
    return files, errors


def _plot_cdf(doc, outdir, base, errors):
    hists = [(r["contender"], r["size"], r["lat_hist"]) for r in doc["results"] if r.get("lat_hist")]
    if not hists:
        return []
    data = []
    for name, size, hist in hists:
        total = sum(c for _, c in hist) or 1
        dat = os.path.join(outdir, "%s-cdf-%s-%s.dat" % (base, name, size))
        acc = 0
        with open(dat, "w") as f:
            for upper_ns, count in hist:
                acc += count
                f.write("%f %f\n" % (upper_ns / 1000.0, acc / total))
        data.append(("%s %s" % (name, size), os.path.basename(dat)))
    plots = ", ".join("'%s' using 1:2 with steps lw 2 title '%s B'" % (d, n) for n, d in data)
    out = []
    for term, ext in (("pngcairo size 900,560", "png"), ("svg size 900,560", "svg")):
        name = "%s-latency-cdf.%s" % (base, ext)
        err = _gnuplot("set terminal %s\nset output '%s'\nset title '%s: one-way latency CDF'\n"
                       "set logscale x\nset xlabel 'latency (us)'\nset ylabel 'fraction'\n"
                       "set yrange [0:1]\nset grid\nset key bottom right\nplot %s\n"
                       % (term, name, doc["scenario"], plots), outdir)
        (errors if err else out).append(err or os.path.join(outdir, name))
    return out
