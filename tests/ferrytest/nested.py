# SPDX-License-Identifier: BSD-3-Clause
"""nested: the nested test bed, where Linux guests run under Ferry's own KVM.

This machine's KVM (nested kvm_pvm) cannot run a stock kernel, so the bed
runs a Linux "L1" under QEMU's software emulation with `-cpu max`, which
gives it AMD-V with nested paging: L1 loads kvm_amd, and Ferry, copied into
L1's initramfs with its shared-library closure, boots Debian's stock kernel
("L2") on a real /dev/kvm.  All of L1 is emulated, so the bed behaves the
same on Intel and AMD hosts.  docs/testing.md tells the story; the facts
came from ../shared/docs/nested.md.

A test gives a shell snippet that L1 runs once KVM is up, and optionally an
L2 init script; results come back as marker lines on the serial console
("NESTED-<WORD> ..."), since a guest's exit status cannot reach the host.
Archives are cached by the content they are built from, so a suite of
nested tests builds each only once.
"""
import glob
import hashlib
import os
import re
import shlex
import stat
import subprocess
import time

from . import check as t

BUSYBOX = "/bin/busybox"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
MEMPOOL_PLUGINS = ("librte_mempool_ring.so", "librte_mempool_stack.so")
# What QEMU's microvm machine loads: qboot, and the option ROM that boots a -kernel.
QEMU_FIRMWARE = ("/usr/share/qemu/bios-microvm.bin", "/usr/share/qemu/linuxboot_dma.bin",
                 "/usr/share/qemu/pvh.bin")
MARK = "NESTED-"
# An L1 silent this long is stuck: every payload here prints within seconds.
STALL_S = 90
# How often a stalled L1 is booted in all (on an Intel host up to one run in two stalled).
STALL_TRIES = 5

# L1's init: the pseudo filesystems, busybox's applets, KVM, then the payload.
L1_INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin:/sbin
chmod 755 /  # the rootfs starts world-writable, and DPDK refuses plugins below it
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /var/run /tmp /run
mount -t tmpfs tmp /tmp
for m in $(cat /l1-modules); do insmod "$m" || echo "NESTED-ERROR insmod $m"; done
[ -c /dev/kvm ] || echo "NESTED-ERROR no /dev/kvm in L1"
echo "NESTED-L1-UP $(cut -d' ' -f1 /proc/uptime)"
cd /payload
sh ./run.sh 2>&1
echo "NESTED-L1-DONE $?"
poweroff -f
"""

# L2's init around the test's script: the pseudo filesystems and busybox.
L2_INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
echo "NESTED-L2-UP $(cut -d' ' -f1 /proc/uptime)"
"""


def _which(prog):
    for d in os.environ.get("PATH", "/usr/bin").split(":"):
        if os.access(os.path.join(d, prog), os.X_OK):
            return os.path.join(d, prog)
    return prog


def kernel():
    """(path, version) of the newest Debian kernel under /boot with its modules."""
    found = []
    for path in glob.glob("/boot/vmlinuz-*"):
        ver = os.path.basename(path)[len("vmlinuz-"):]
        if os.path.isdir("/lib/modules/" + ver):
            found.append((path, ver))
    if not found:
        t.fail("no kernel with modules under /boot: apt-get install linux-image-cloud-amd64")
    return sorted(found, key=lambda f: [int(x) if x.isdigit() else x
                                        for x in re.split(r"[.-]", f[1])])[-1]


def module_files(kver, mods):
    """The .ko files of @mods and their dependencies, in load order."""
    out = []
    for m in mods:
        p = subprocess.run(["modprobe", "-S", kver, "--show-depends", m],
                           capture_output=True, text=True, timeout=30)
        if p.returncode:
            t.fail("modprobe --show-depends %s: %s" % (m, p.stderr.strip()))
        for line in p.stdout.splitlines():
            w = line.split()
            if len(w) >= 2 and w[0] == "insmod" and w[1] not in out:
                out.append(w[1])
    return out


def library_closure(binary):
    """@binary's shared libraries (ldd), the loader included."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
    libs = []
    for line in p.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m and os.path.exists(m.group(1)):
            libs.append(m.group(1))
    return libs


class Initramfs:
    """A newc cpio archive built in memory: files, scripts, directories."""

    def __init__(self):
        self.entries = {}  # path in the archive -> (mode, bytes or a host path)

    def add_file(self, dest, src, mode=None):
        st = os.stat(src)
        self._dirs(dest)
        self.entries[dest] = (mode or stat.S_IMODE(st.st_mode), src)

    def add_text(self, dest, text, mode=0o755):
        self._dirs(dest)
        self.entries[dest] = (mode, text.encode())

    def add_binary(self, dest, src):
        """@src at @dest, and its libraries where the loader looks for them."""
        self.add_file(dest, src, 0o755)
        for lib in library_closure(src):
            self.add_file(lib, lib)
            real = os.path.realpath(lib)
            if real != lib:
                self.add_file(real, real)

    def _dirs(self, dest):
        d = os.path.dirname(dest)
        while d not in ("", "/") and d not in self.entries:
            self.entries[d] = (stat.S_IFDIR | 0o755, None)
            d = os.path.dirname(d)

    def key(self):
        """A digest of what the archive holds (host files by path, size and mtime)."""
        h = hashlib.sha256()
        for dest in sorted(self.entries):
            mode, data = self.entries[dest]
            h.update(("%s %o " % (dest, mode)).encode())
            if isinstance(data, str):
                st = os.stat(data)
                h.update(("%s %d %d" % (data, st.st_size, st.st_mtime_ns)).encode())
            elif data is not None:
                h.update(data)
        return h.hexdigest()[:20]

    def write(self, out):
        with open(out + ".tmp", "wb") as f:
            ino = 1
            for dest in sorted(self.entries):
                mode, data = self.entries[dest]
                if isinstance(data, str):
                    with open(data, "rb") as src:
                        data = src.read()
                if not stat.S_IFMT(mode):
                    mode |= stat.S_IFREG
                _cpio_entry(f, dest.lstrip("/"), mode, data or b"", ino)
                ino += 1
            _cpio_entry(f, "TRAILER!!!", 0, b"", 0)
        os.replace(out + ".tmp", out)


def _cpio_entry(f, name, mode, data, ino):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
    hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
    f.write(hdr + name.encode() + b"\0")
    f.write(b"\0" * (-(len(hdr) + len(name) + 1) % 4))
    f.write(data)
    f.write(b"\0" * (-len(data) % 4))


def parse_markers(console):
    """{WORD: [values, in order]} of the "NESTED-WORD value" lines in @console."""
    markers = {}
    for line in console.splitlines():
        i = line.find(MARK)
        if i >= 0:
            w = line[i + len(MARK):].strip().split(None, 1)
            if w:
                markers.setdefault(w[0], []).append(w[1] if len(w) > 1 else "")
    return markers


def cache_dir():
    d = os.environ.get("FERRY_NESTED_CACHE") or os.path.join(
        os.environ.get("MESON_BUILD_ROOT", "/var/tmp"), "nested-cache")
    os.makedirs(d, exist_ok=True)
    return d


def cached(ramfs, what):
    """The archive of @ramfs, built unless the cache has it."""
    path = os.path.join(cache_dir(), "%s-%s.cpio" % (what, ramfs.key()))
    if not os.path.exists(path):
        started = time.monotonic()
        ramfs.write(path)
        t.log("nested: built %s (%d MiB) in %.1f s" % (
            os.path.basename(path), os.path.getsize(path) >> 20, time.monotonic() - started))
    return path


def l2_initramfs(script, modules=(), binaries=None):
    """L2's archive: busybox, @modules (loaded first), @binaries ({path:
    host program}, with their libraries) and @script as its init.  Also the
    guest of tests that boot Debian's kernel under QEMU directly."""
    _, kver = kernel()
    r = Initramfs()
    r.add_file("/bin/busybox", BUSYBOX, 0o755)
    for dest, src in (binaries or {}).items():
        r.add_binary(dest, src)
    mods = module_files(kver, modules)
    for m in mods:
        r.add_file(m, m)
    loads = "".join("insmod %s || echo 'NESTED-ERROR insmod %s'\n" % (m, m) for m in mods)
    r.add_text("/init", L2_INIT + loads + script)
    return cached(r, "l2")


def qemu_vhost_user_argv(initrd, sock, mac, append, queues=1, server=False, packed=False):
    """QEMU (TCG) booting Debian's kernel with @initrd, its one virtio-net NIC
    on the vhost-user socket @sock (4 queue pairs and mq=on with @queues > 1;
    @server: QEMU listens and waits for the switch, as OVS's dpdkvhostuserclient
    ports want; @packed: packed=on, packed virtqueues if the backend offers
    them).  Guest RAM is a shared memfd, as vhost-user needs.  vectors=0 (INTx): QEMU
    7.2 under TCG crashes in msix_set_vector_notifiers with a vhost-user
    virtio-net-pci on MSI-X."""
    kpath, _ = kernel()
    netdev, device = "vhost-user,id=n0,chardev=c0", "virtio-net-pci,netdev=n0,mac=" + mac
    if queues > 1:
        netdev += ",queues=%d" % queues
        device += ",mq=on"
    if packed:
        device += ",packed=on"
    return [_which(QEMU), "-accel", "tcg", "-m", "256", "-smp", "1", "-nodefaults",
            "-display", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", kpath, "-initrd", initrd, "-append", append,
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
            "-machine", "q35,memory-backend=mem",
            "-chardev", "socket,id=c0,path=" + sock + (",server=on" if server else ""),
            "-netdev", netdev, "-device", device + ",vectors=0"]


# An SR-IOV NVMe controller behind QEMU's VT-d in L1 (../shared/docs/nested.md), with
# namespace 1 on @image shared with its VFs.
def nvme_sriov_argv(image, intremap=True):
    return ["-machine", "q35,kernel-irqchip=split",
            "-device", "intel-iommu,intremap=%s,caching-mode=on" % ("on" if intremap else "off"),
            "-device", "nvme-subsys,id=subsys0",
            "-device", "nvme,id=nvme0,serial=deadbeef,subsys=subsys0,sriov_max_vfs=2,"
            "sriov_vq_flexible=4,sriov_vi_flexible=2",
            "-drive", "file=%s,if=none,id=nvm0,format=raw,cache=unsafe" % image,
            "-device", "nvme-ns,drive=nvm0,bus=nvme0,nsid=1,shared=on"]


# L1 shell: VF 0 of the NVMe PF made usable (NVMe virtualization management: the primary
# gives up its flexible resources, the secondary gets one interrupt and two queues and
# goes online) and left without a driver; $PF and $VF name them.  Needs nvme-cli in L1.
NVME_VF_SETUP = r"""
PF=
for d in /sys/bus/pci/devices/*; do
    [ -f $d/sriov_totalvfs ] && [ "$(cat $d/sriov_totalvfs)" -gt 0 ] && PF=$(basename $d) && break
done
[ -n "$PF" ] || echo "NESTED-ERROR no SR-IOV PF in L1"
wait_nvme0() {
    for i in $(seq 100); do [ -c /dev/nvme0 ] && return 0; sleep 0.1; done
    echo "NESTED-ERROR no /dev/nvme0"
}
mgmt() { nvme virt-mgmt /dev/nvme0 "$@" > /dev/null || echo "NESTED-ERROR virt-mgmt $*"; }
wait_nvme0
mgmt -c 0 -r 1 -a 1 -n 0
mgmt -c 0 -r 0 -a 1 -n 0
echo 1 > /sys/bus/pci/devices/$PF/reset
wait_nvme0
echo 0 > /sys/bus/pci/devices/$PF/sriov_drivers_autoprobe
echo 1 > /sys/bus/pci/devices/$PF/sriov_numvfs || echo "NESTED-ERROR cannot enable a VF"
VF=$(basename $(readlink /sys/bus/pci/devices/$PF/virtfn0))
mgmt -c 1 -r 1 -a 8 -n 1
mgmt -c 1 -r 0 -a 8 -n 2
mgmt -c 1 -a 9
echo "NESTED-VF $PF $VF"
"""


class Bed:
    """One L1 archive: ferry and its libraries, KVM modules, the payload."""

    def __init__(self, ferry, payload, files=None, l1_modules=("kvm_amd",), qemu=False,
                 binaries=None):
        """@payload: the shell script L1 runs (in /payload, as run.sh);
        @files: {path in L1: host path} (an L2 kernel, archives, images);
        @qemu: QEMU too (as /usr/bin/qemu-system-x86_64, with the microvm
        firmware), the control a test runs beside Ferry on L1's KVM;
        @binaries: {path in L1: host program}, each with its libraries."""
        kpath, kver = kernel()
        self.kernel = kpath
        r = Initramfs()
        r.add_file("/bin/busybox", BUSYBOX, 0o755)
        r.add_binary("/usr/bin/ferry", ferry)
        for name in MEMPOOL_PLUGINS:
            for lib in glob.glob("/usr/lib/x86_64-linux-gnu/dpdk/pmds-*/" + name):
                r.add_binary(lib, os.path.realpath(lib))
        mods = module_files(kver, l1_modules)
        for m in mods:
            r.add_file(m, m)
        r.add_text("/l1-modules", "\n".join(mods) + "\n", 0o644)
        r.add_text("/init", L1_INIT)
        r.add_text("/payload/run.sh", payload)
        for dest, src in (files or {}).items():
            r.add_file(dest, src)
        for dest, src in (binaries or {}).items():
            r.add_binary(dest, src)
        if qemu:
            r.add_binary("/usr/bin/qemu-system-x86_64", _which(QEMU))
            for fw in QEMU_FIRMWARE:
                r.add_file(fw, fw)
        self.initrd = cached(r, "l1")

    def _boot(self, argv, log, timeout, stall):
        """Run QEMU until it exits: (exit status or None, what went wrong)."""
        errlog = log + ".stderr"
        started = last = time.monotonic()
        size = -1
        with open(errlog, "w") as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err)
            while p.poll() is None:
                time.sleep(1)
                now = time.monotonic()
                grown = os.path.getsize(log) if os.path.exists(log) else 0
                if grown != size:
                    size, last = grown, now
                why = ("timed out after %d s" % timeout if now - started > timeout else
                       "L1 printed nothing for %d s" % stall if now - last > stall else
                       None)
                if why:
                    p.kill()
                    p.wait()
                    return None, why
        with open(errlog, errors="replace") as err:
            return p.returncode, err.read()

    def run(self, logdir, name, timeout=600, mem="1G", extra=(), append="", stall=STALL_S):
        """Boot L1 under TCG until it powers off; its console (also in
        @logdir/@name.console) and the markers {WORD: [values...]}.  @extra:
        more QEMU arguments (devices); @append: more of L1's kernel command line.
        An L1 that prints nothing for @stall seconds is stopped and booted again, up to
        STALL_TRIES times in all (the whole run: every check applies to the one that
        finishes), saying so in the test's log."""
        log = os.path.join(logdir, name + ".console")
        argv = [QEMU, "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", mem,
                "-kernel", self.kernel, "-initrd", self.initrd,
                "-append", ("console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init " +
                            append).strip(),
                "-nodefaults", "-vga", "none", "-nographic", "-no-reboot",
                "-serial", "file:" + log, "-display", "none"] + list(extra)
        # FERRY_NESTED_MONITOR=PATH: QEMU's monitor on that socket, to look into a stuck L1.
        mon = os.environ.get("FERRY_NESTED_MONITOR")
        argv += ["-monitor", "unix:%s,server=on,wait=off" % mon if mon else "none"]
        t.log("nested: %s: %s" % (name, " ".join(shlex.quote(a) for a in argv)))
        for attempt in range(1, STALL_TRIES + 1):
            started = time.monotonic()
            rc, err = self._boot(argv, log, timeout, stall)
            took = time.monotonic() - started
            with open(log, errors="replace") as f:
                console = f.read()
            if rc is not None or not err.startswith("L1 printed nothing") or \
                    attempt == STALL_TRIES:
                break
            # QEMU's TCG sometimes leaves L1's CPU in a guest of its KVM with L1's timer
            # interrupt pending and never taken (docs/testing.md): nothing in L1 runs again.
            t.log("nested: %s: STALLED (attempt %d of %d): %s, its console ending:\n%s\n"
                  "booting L1 again" % (name, attempt, STALL_TRIES, err,
                                        "\n".join(console.splitlines()[-8:])))
            os.rename(log, "%s.stalled%d" % (log, attempt))
        markers = parse_markers(console)
        t.log("nested: %s: QEMU exit %s after %.1f s; markers %s" % (
            name, rc, took, sorted(markers)))
        if rc != 0 or "L1-DONE" not in markers:
            tail = "\n".join(console.splitlines()[-40:])
            t.fail("nested %s: L1 did not finish (QEMU %s: %s)\n%s" % (
                name, rc, err.strip()[-300:], tail))
        for e in markers.get("ERROR", []):
            t.fail("nested %s: %s" % (name, e))
        return console, markers, took
