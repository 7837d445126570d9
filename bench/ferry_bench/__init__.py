# SPDX-License-Identifier: BSD-3-Clause
"""ferry-bench: Ferry's benchmark harness (scenarios, peers, RFC 2544, reports)."""
