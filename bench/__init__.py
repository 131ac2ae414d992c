"""Benchmarks (not tests): `python -m bench [--quick] [--only NAME]`; see docs/PERFORMANCE.md."""
