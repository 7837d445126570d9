#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The .clang-format at the root is the law for layout: fail on any C file
# that clang-format would change, naming it.
set -u
root=${1:?source root}
command -v clang-format >/dev/null || { echo "FAIL: clang-format is not installed"; exit 1; }
cd "$root" || exit 1
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'); do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "all C files match .clang-format"
exit $bad
