# SPDX-License-Identifier: BSD-3-Clause
"""ferrytest: the one Python library of Ferry's end-to-end tests, interop
tests and benchmarks.

- check: log, check, fail (raises Failure; an uncaught one prints FAIL and
  exits 1), the only allowed skip (no /dev/kvm), scratch directories.
- proc: child processes whose output is read as it comes, one-shot runs.
- ferry: configs, `ferry run` as a daemon or to completion, the guests'
  FERRY-RESULT lines, the run summary's tables, ferryctl.
- testpmd: DPDK's testpmd driven through its prompt, as a peer in tests and
  as a guest or a switch in benchmarks.
- ovs: Open vSwitch-DPDK from a private run directory.

Tests import it with tests/ on PYTHONPATH (meson sets it); bench/ puts
tests/ on sys.path itself."""
