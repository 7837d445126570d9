#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mkinitramfs.sh - build the initramfs the QEMU interop test boots with
# Debian's stock cloud kernel: busybox-static, the virtio-net modules in
# dependency order, and vu-echo (vu_echo.c), which answers Ferry's test
# frames through Linux's virtio_net.
#
#   mkinitramfs.sh KVER VU_ECHO CACHE_DIR
#
# Prints the path of the initramfs.  It is cached outside the source tree,
# keyed by the kernel version and a hash of this script and vu-echo, so a
# change to either builds a new one.  Exit 77 (skip) with the reason when
# the kernel or busybox-static is not installed.
set -eu

kver=$1 echo_bin=$2 cache=$3
modules="kernel/drivers/virtio/virtio_ring kernel/drivers/virtio/virtio
kernel/drivers/virtio/virtio_pci_legacy_dev kernel/drivers/virtio/virtio_pci_modern_dev
kernel/drivers/virtio/virtio_pci kernel/net/core/failover kernel/drivers/net/net_failover
kernel/drivers/net/virtio_net"

moddir=/lib/modules/$kver
if [ ! -d "$moddir" ] || [ ! -f "/boot/vmlinuz-$kver" ]; then
	echo "SKIP: kernel $kver is not installed (apt-get install linux-image-cloud-amd64)" >&2
	exit 77
fi
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	echo "SKIP: no static busybox (apt-get install busybox-static)" >&2
	exit 77
fi

key=$(cat "$0" "$echo_bin" "$busybox" | sha256sum | cut -c1-16)
out=$cache/initramfs-$kver-$key.cpio.gz
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
root=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
for app in sh mount insmod ip sleep poweroff cat echo; do
	ln -s busybox "$root/bin/$app"
done
cp "$echo_bin" "$root/bin/vu-echo"

# insmod takes plain .ko files; Debian may ship them compressed.
n=0
for m in $modules; do
	n=$((n + 1))
	name=$(printf '%02d-%s.ko' "$n" "$(basename "$m")")
	if [ -f "$moddir/$m.ko" ]; then
		cp "$moddir/$m.ko" "$root/lib/modules/$name"
	elif [ -f "$moddir/$m.ko.xz" ]; then
		xz -dc "$moddir/$m.ko.xz" > "$root/lib/modules/$name"
	elif [ -f "$moddir/$m.ko.zst" ]; then
		zstd -qdc "$moddir/$m.ko.zst" > "$root/lib/modules/$name"
	else
		echo "SKIP: $moddir/$m.ko is missing" >&2
		exit 77
	fi
done

# The init: load the modules in order, bring eth0 up, serve frames, power off.
# vu.count= and vu.secs= come from the kernel command line.
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do
	insmod "$m" || echo "VU-INIT insmod $m failed"
done
count=100 secs=60
for w in $(cat /proc/cmdline); do
	case $w in
	vu.count=*) count=${w#vu.count=} ;;
	vu.secs=*) secs=${w#vu.secs=} ;;
	esac
done
# Without this Linux sends IPv6 multicast (MLD, router solicitation) when
# the link comes up, which the Ferry guest rightly counts as foreign.
for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6 \
	/proc/sys/net/ipv6/conf/eth0/disable_ipv6; do
	[ -e "$f" ] && echo 1 > "$f"
done
ip link set eth0 up || echo "VU-INIT no eth0"
echo "VU-INIT up: eth0 $(cat /sys/class/net/eth0/address 2>/dev/null)"
/bin/vu-echo eth0 "$count" "$secs"
echo "VU-INIT done: status $?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
rm -f "$cache"/initramfs-"$kver"-*.cpio.gz
mv "$out.tmp" "$out"
echo "$out"
