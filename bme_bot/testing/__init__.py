"""Local test doubles shared by the tests and the benchmarks (never used by the bot itself)."""
