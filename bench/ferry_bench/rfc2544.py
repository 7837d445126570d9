# SPDX-License-Identifier: BSD-3-Clause
"""RFC 2544 (section 26.1) throughput: the highest offered rate at which the
device under test forwards frames with no more than an allowed loss, found
by binary search over trials of fixed duration.  Two thresholds are reported:
zero loss (the RFC's definition) and 0.5 % (what many vendor sheets quote)."""


# A trial counts only if the generator really offered the load: RFC 2544
# measures the device at a rate, not a sender that could not keep up.
OFFERED_MIN = 0.97


def search(trial, max_pps, loss_pct=0.0, resolution=0.01, max_trials=12, progress=None):
    """@trial(rate_pps) -> (sent, received, offered_pps).  Returns
    {"rate_pps": best rate meeting the loss bound (0 if none), "trials": [...]}.
    The search stops when the bracket is narrower than @resolution of
    @max_pps or after @max_trials."""
    lo, hi, best = 0.0, float(max_pps), 0.0
    trials = []
    rate = hi
    for _ in range(max_trials):
        sent, received, offered = trial(rate)
        loss = 100.0 * (sent - received) / sent if sent else 100.0
        reached = offered >= OFFERED_MIN * rate
        ok = sent > 0 and loss <= loss_pct and reached
        trials.append({"rate_pps": rate, "sent": sent, "received": received,
                       "offered_pps": round(offered), "loss_pct": round(loss, 4),
                       "offered_reached": reached, "pass": ok})
        if progress:
            progress(rate, loss, ok)
        if ok:
            best, lo = max(best, rate), rate
        else:
            hi = rate
        if hi - lo <= resolution * max_pps:
            break
        rate = (lo + hi) / 2
    return {"rate_pps": best, "loss_threshold_pct": loss_pct, "trials": trials}
