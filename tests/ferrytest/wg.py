# SPDX-License-Identifier: BSD-3-Clause
"""WireGuard for the tests: keys made by wireguard-tools or by Ferry (each
side's public key derived by the other's tool, so the test also shows the
two agree on the key format), and wireguard-go, the Go implementation from
Debian, running on a TUN device inside a namespace (the test kernels have no
wireguard module)."""
import os
import time

from .check import fail, log
from .ferry import ferry_bin
from .netns import sh


def keypair(tmp, name, maker="wg", ferry=None):
    """A private key file (mode 0600) made by @maker ("wg" or "ferry"); returns
    (path, public key).  The public key comes from the other tool.  @ferry:
    the binary, if not the one the environment names."""
    path = os.path.join(tmp, name + ".key")
    ferry = ferry or ferry_bin()
    gen = ["wg", "genkey"] if maker == "wg" else [ferry, "wg", "genkey"]
    key = sh(gen).strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fp:
        fp.write(key + "\n")
    derive = [ferry, "wg", "pubkey"] if maker == "wg" else ["wg", "pubkey"]
    pub = sh(["sh", "-c", "%s < %s" % (" ".join(derive), path)]).strip()
    if len(pub) != 44:
        fail("%s made no public key for %s: %r" % (derive[0], name, pub))
    return path, pub


def wireguard_go(ns, ifname, logdir):
    """wireguard-go in the foreground on TUN device @ifname in @ns; waits for the device."""
    p = ns.proc("wireguard-go-" + ifname,
                ["env", "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", "wireguard-go", "-f",
                 ifname], logdir=logdir)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        rc = os.system("ip -n %s link show %s >/dev/null 2>&1" % (ns.name, ifname))
        if rc == 0 and os.path.exists("/var/run/wireguard/%s.sock" % ifname):
            log("wireguard-go is up on %s in %s" % (ifname, ns.name))
            return p
        time.sleep(0.1)
    fail("wireguard-go did not bring %s up: %s" % (ifname, p.text()[-400:]))


def show(ns, ifname):
    """`wg show IFNAME dump` as (interface row, peer rows) of tab-separated fields."""
    rows = [line.split("\t") for line in ns.sh("wg", "show", ifname, "dump").splitlines()]
    return rows[0], rows[1:]


def psk(tmp, name):
    """A preshared key file (mode 0600) made by `ferry wg genpsk`."""
    path = os.path.join(tmp, name + ".psk")
    key = sh([ferry_bin(), "wg", "genpsk"]).strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fp:
        fp.write(key + "\n")
    return path
