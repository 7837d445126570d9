#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# smoke.sh - boots the test guest (tests/guest/ferry-guest) in every mode and
# checks its FERRY-RESULT lines and exit statuses (README.md, "Tests").
#
#   smoke.sh qemu GUEST          QEMU TCG, then QEMU KVM when /dev/kvm is usable
#   smoke.sh ferry GUEST FERRY   `ferry boot` (real KVM)
#
# Under KVM on the build machine the nested-KVM quirks (interpreted ring 0,
# no xAPIC page, IOPL ignored in ring 3) are exercised as Ferry meets them.
# QEMU=... overrides qemu-system-x86_64.  Exit status: 0 if every run passed.
set -u

kind=${1:?usage: smoke.sh qemu|ferry GUEST [FERRY]}
guest=${2:?usage: smoke.sh qemu|ferry GUEST [FERRY]}
ferry=${3:-}
qemu=${QEMU:-qemu-system-x86_64}
fails=0
runs=0
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# True if one FERRY-RESULT line of $1 holds every key=value given after it.
result_has() {
	local out=$1 line kv ok
	shift
	while IFS= read -r line; do
		ok=1
		for kv in "$@"; do
			case " ${line#FERRY-RESULT } " in
			*" $kv "*) ;;
			*) ok=0; break ;;
			esac
		done
		[ "$ok" = 1 ] && return 0
	done < <(printf '%s\n' "$out" | grep '^FERRY-RESULT ')
	return 1
}

# The value of key $2 in the first FERRY-RESULT line of $1 that has it.
result_get() {
	printf '%s\n' "$1" | grep '^FERRY-RESULT ' | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# boot VMM SMP CMDLINE [VMM ARGS...]: sets OUT (console) and GUEST_EXIT (the
# status the guest wrote to the debug port, or -1 when the VMM stopped
# otherwise: QEMU exits with (V << 1) | 1 for a debug-port exit V).
boot() {
	local vmm=$1 smp=$2 cmdline=$3 st
	shift 3
	case "$vmm" in
	tcg | kvm)
		OUT=$(timeout 90 "$qemu" -accel "$vmm" -m 128 -smp "$smp" -nodefaults \
			-display none -serial stdio -no-reboot \
			-device isa-debug-exit,iobase=0x501,iosize=1 \
			-kernel "$guest" -append "$cmdline" "$@" 2>"$errlog")
		st=$?
		GUEST_EXIT=-1
		[ $((st & 1)) = 1 ] && [ "$st" != 1 -o -n "$OUT" ] && GUEST_EXIT=$((st >> 1))
		;;
	ferry)
		OUT=$(timeout 90 "$ferry" boot --no-stdin --kernel "$guest" --cmdline "$cmdline" \
			--vcpus "$smp" "$@" 2>"$errlog")
		GUEST_EXIT=$?
		;;
	esac
}

# run VMM SMP EXPECTED_EXIT "CMDLINE" [key=value...] [-- VMM ARGS...]
# Boots once and checks the guest's exit status, that the guest booted, that
# every line is whole (no interleaving between CPUs) and that one
# FERRY-RESULT line holds all the key=value pairs.  Sets LAST_OUT on success.
run() {
	local vmm=$1 smp=$2 want=$3 cmdline=$4 start ms line what
	local -a pairs=() extra=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		pairs+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift && extra=("$@")
	runs=$((runs + 1))
	LAST_OUT=
	what="[$vmm -smp $smp '$cmdline'${extra[*]:+ ${extra[*]}}]"
	start=$(date +%s%N)
	boot "$vmm" "$smp" "$cmdline" "${extra[@]}"
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$GUEST_EXIT" != "$want" ] || ! grep -q '^ferry-guest: .*booted through PVH' <<<"$OUT"; then
		fail "$what: guest exit $GUEST_EXIT, expected $want"
		printf '%s\n' "$OUT" | sed 's/^/    | /'
		sed 's/^/    ! /' "$errlog" | tail -n 5
		return
	fi
	while IFS= read -r line; do
		case "$line" in
		"ferry-guest: "* | "FERRY-RESULT "*) ;;
		*) fail "$what: malformed or interleaved line: '$line'" ;;
		esac
	done <<<"$OUT"
	if ! result_has "$OUT" "${pairs[@]}"; then
		fail "$what: no FERRY-RESULT line with: ${pairs[*]}"
		printf '%s\n' "$OUT" | sed 's/^/    | /'
		return
	fi
	echo "ok   $what exit $want, ${ms} ms"
	LAST_OUT=$OUT
}

# mode=smp with N CPUs from TABLE: all online, one "online" line per AP.
run_smp() {
	local vmm=$1 n=$2 table=$3 aps
	run "$vmm" "$n" 0 "mode=smp timeout_ms=20000" mode=smp "cpus=$n" "online=$n" "table=$table"
	[ -z "$LAST_OUT" ] && return
	aps=$(grep -cE '^ferry-guest: cpu [0-9]+ apic [0-9]+ online$' <<<"$LAST_OUT")
	[ "$aps" -eq $((n - 1)) ] || fail "[$vmm -smp $n]: $aps AP lines, expected $((n - 1))"
	echo "     $(result_get "$LAST_OUT" apic), APs up in $(result_get "$LAST_OUT" ms) ms"
}

# What every VMM must get right, whatever its firmware tables.
suite_common() {
	local vmm=$1 n
	run "$vmm" 2 7 "mode=hello exit=7" mode=hello cpus=2 exit=7
	run "$vmm" 1 2 "mode=hello bogus=1" error=cmdline
	run "$vmm" 1 2 "mode=nope" error=cmdline
	run "$vmm" 1 2 "exit=256" error=cmdline
	run "$vmm" 2 120 "mode=fault fault=pf" fault=14 cr2=0x100001000 ring=3 cpu=0 mode=fault
	run "$vmm" 1 120 "mode=fault fault=ud" fault=6 ring=3
	run "$vmm" 1 120 "mode=fault fault=de" fault=0 ring=3
	run "$vmm" 1 120 "mode=fault fault=gp" fault=13 ring=3
	run "$vmm" 1 120 "mode=fault fault=ring0" fault=6 ring=0
}

# QEMU: ACPI tables (SeaBIOS's MP table lists only the BSP), i440FX host bridge.
suite_qemu() {
	local vmm=$1 n
	echo "== qemu $vmm"
	run "$vmm" 1 0 "" mode=hello cpus=1 table=acpi exit=0
	run "$vmm" 2 0 "mode=hello table=mp" mode=hello table=mp
	run "$vmm" 1 0 "mode=hello" mode=hello table=mp -- -machine pc,acpi=off
	for n in 1 2 4; do
		run_smp "$vmm" "$n" acpi
	done
	run "$vmm" 1 0 "mode=pci" mode=pci bdf=00:00.0 id=8086:1237
	suite_common "$vmm"
}

# Ferry: an MP table and no ACPI; its own host bridge (class 0600).
suite_ferry() {
	local n
	echo "== ferry"
	run ferry 1 0 "" mode=hello cpus=1 table=mp exit=0
	for n in 1 2 4; do
		run_smp ferry "$n" mp
	done
	run ferry 1 0 "mode=pci" mode=pci bdf=00:00.0 class=060000
	suite_common ferry
}

if [ ! -r "$guest" ]; then
	echo "FAIL: guest image '$guest' not readable"
	exit 1
fi
case "$kind" in
qemu)
	if ! command -v "$qemu" >/dev/null 2>&1; then
		echo "FAIL: $qemu not found; install it: apt-get install -y qemu-system-x86"
		exit 1
	fi
	suite_qemu tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		suite_qemu kvm
	else
		echo "note: /dev/kvm is not usable here: no QEMU KVM runs (the TCG runs above count)"
	fi
	;;
ferry)
	if [ ! -x "$ferry" ]; then
		echo "FAIL: ferry executable '$ferry' not found"
		exit 1
	fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "FAIL: /dev/kvm is not usable: ferry cannot run guests here"
		exit 1
	fi
	suite_ferry
	;;
*)
	echo "usage: smoke.sh qemu|ferry GUEST [FERRY]"
	exit 1
	;;
esac

echo "$runs runs, $fails failures"
[ "$fails" -eq 0 ]
