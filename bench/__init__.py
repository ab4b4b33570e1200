"""Knooppunt's benchmarks (`make bench`, `make bench-quick`): the production topology on loopback,
each scenario measured beside a baseline in the same run. See docs/benchmarks.md."""
