#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Ferry's two entry points, for a fresh Debian 12 machine, as root:
#   ./dev.sh demo   install dependencies, build, run the built-in demo job
#   ./dev.sh test   install dependencies, build, run the whole test suite
# .ci/run calls `./dev.sh test`.  Both print what they do; both are idempotent.
set -eu

cd "$(dirname "$0")"

# Debian packages: build tools, the libraries the code uses (DPDK, libbpf,
# libxdp, libnl-route-3, CUnit, jansson) and the real peers and tools the
# tests run against (Linux vxlan through iproute2, tshark to read the wire).
PACKAGES="gcc nvme-cli clang llvm lld libclang-rt-14-dev meson ninja-build pkg-config python3 clang-format
 libdpdk-dev dpdk-dev libbpf-dev libxdp-dev bpftool libnl-route-3-dev libcunit1-dev libssl-dev libmicrohttpd-dev libpcap-dev libcurl4-openssl-dev
 libjansson-dev iproute2 ethtool iputils-ping tshark xdp-tools qemu-system-x86 busybox-static
 linux-image-cloud-amd64 e2fsprogs openvswitch-switch-dpdk gnuplot-nox procps kmod
 wireguard-go wireguard-tools frr curl python3-prometheus-client python3-jsonschema iperf3"

install_deps() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

# build DIR [meson options...]: configure once, then build.
build() {
	dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"
	ninja -C "$dir"
}

# Hugepages make DPDK faster; without them the switch runs --no-huge.
reserve_hugepages() {
	if [ "$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)" -lt 512 ]; then
		echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
}

cmd_demo() {
	install_deps
	reserve_hugepages
	build build
	exec ./build/cli/ferry run
}

cmd_test() {
	install_deps
	reserve_hugepages
	status=0
	build build
	# clang: a second compiler and -Wthread-safety over every lock annotation.
	CC=clang build build-clang
	# AddressSanitizer + UndefinedBehaviorSanitizer over the unit suites.
	build build-asan -Dsanitize=true
	# libFuzzer harnesses (clang, everything instrumented), each run briefly.
	CC=clang build build-fuzz -Dfuzz=true
	meson test -C build --print-errorlogs || status=1
	ASAN_OPTIONS=detect_leaks=1 meson test -C build-asan --suite unit --print-errorlogs ||
		status=1
	meson test -C build-fuzz --suite fuzz --print-errorlogs || status=1
	# One "N passed, N failed" line; a skip counts as a failure where /dev/kvm works.
	python3 tests/summarise.py build/meson-logs/testlog.json \
		build-asan/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json || status=1
	exit $status
}

case "${1:-}" in
demo) cmd_demo ;;
test) cmd_test ;;
*)
	echo "usage: $0 demo|test" >&2
	exit 2
	;;
esac
