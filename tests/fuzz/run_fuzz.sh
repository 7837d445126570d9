#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run_fuzz.sh HARNESS SEEDS WORKDIR SECONDS: one libFuzzer run of a harness
# from its checked-in seed corpus, writing new inputs to WORKDIR/corpus, for
# SECONDS.  Prints the harness's executions, coverage and corpus size, and
# exits non-zero on a crash, a sanitizer report or a leak, naming the input
# that caused it (WORKDIR/crash-*, leak-*, timeout-*): make it a unit test.
set -u
harness=${1:?harness} seeds=${2:?seeds} work=${3:?workdir} secs=${4:?seconds}
mkdir -p "$work/corpus"
log=$work/fuzz.log
"$harness" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" "$seeds" >"$log" 2>&1
status=$?
name=$(basename "$harness")
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1)
corp=$(ls "$work/corpus" | wc -l)
echo "$name: ${execs:-?} executions in ${secs} s, ${cov:-cov: ?}, ${ft:-ft: ?}, corpus $corp new + $(ls "$seeds" | wc -l) seeds"
if [ "$status" -ne 0 ]; then
	tail -n 60 "$log"
	echo "FAIL: $name found a bug (exit $status); inputs: $(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | tr '\n' ' ')"
	exit 1
fi
echo "PASS"
