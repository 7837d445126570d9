#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# fuzz.sh [SECONDS] [HARNESS...]: a long fuzzing campaign over the libFuzzer
# harnesses of tests/fuzz (docs/security.md), one after the other (two cores:
# one campaign at a time), each for SECONDS (default 3600), with a corpus kept
# across campaigns in build-fuzz/campaign/NAME.  Builds the fuzzing tree
# first (CC=clang, -Dfuzz=true).  Prints, per harness, the executions, the
# coverage (edges and features) and what it found; an input that crashed,
# leaked or hung stays in build-fuzz/campaign/NAME-found/ to become a unit
# test.  Exit status: the number of harnesses that found something.
set -u
cd "$(dirname "$0")/.."
secs=${1:-3600}
shift || true
tree=build-fuzz
[ -f "$tree/build.ninja" ] || CC=clang meson setup "$tree" -Dfuzz=true >/dev/null || exit 1
ninja -C "$tree" >/dev/null || exit 1
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || mapfile -t harnesses < <(ls tests/fuzz/corpus)
export FERRY_TEST_GUEST=$PWD/$tree/tests/guest/ferry-guest
found=0
printf '%-16s %12s %8s %8s %8s %s\n' harness executions cov ft corpus found
for h in "${harnesses[@]}"; do
	corpus=$tree/campaign/$h
	out=$tree/campaign/$h-found
	mkdir -p "$corpus" "$out"
	log=$tree/campaign/$h.log
	"$tree/tests/fuzz/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$out/" "$corpus" "tests/fuzz/corpus/$h" \
		>"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	what=$(ls "$out")
	[ "$status" -eq 0 ] || found=$((found + 1))
	printf '%-16s %12s %8s %8s %8s %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
		"$(ls "$corpus" | wc -l)" "${what:-none}"
done
exit $found
