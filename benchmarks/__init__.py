"""The benchmark harness (issue 7): `make bench` runs every scenario and writes
docs/benchmarks.md and docs/benchmarks.json. See benchmarks/run.py."""
