"""Benchmarks: each prints ratios against a ceiling measured in the same run (never absolute
timings judged against a fixed number: these machines are shared and noisy)."""
