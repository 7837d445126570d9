# SPDX-License-Identifier: BSD-3-Clause
"""A description of the machine a benchmark ran on, stored with every result
(numbers mean little without it)."""
import os
import platform
import subprocess


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _cmd(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def describe(ferry=None):
    cpu = [l.split(":", 1)[1].strip() for l in _read("/proc/cpuinfo").splitlines()
           if l.startswith("model name")]
    mem = [l for l in _read("/proc/meminfo").splitlines()
           if l.startswith(("MemTotal", "HugePages_Total", "Hugepagesize"))]
    nested = "kvm_pvm" in _read("/proc/modules") or "hypervisor" in _read("/proc/cpuinfo")
    return {
        "cpu": cpu[0] if cpu else platform.processor(),
        "cpus": os.cpu_count(),
        "memory": {l.split(":")[0]: l.split(":")[1].strip() for l in mem},
        "kernel": platform.release(),
        "os": _read("/etc/debian_version").strip() and "Debian " + _read("/etc/debian_version").strip(),
        "virtualised_host": nested,
        "dpdk": _cmd(["pkg-config", "--modversion", "libdpdk"]),
        "ferry": _cmd([ferry, "--version"]) if ferry else "",
        "ovs": _cmd(["ovs-vsctl", "--version"]).splitlines()[0] if _cmd(["ovs-vsctl", "--version"]) else "",
    }
