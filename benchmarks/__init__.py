"""Benchmarks: throughput and quality, as ratios against baselines run in the same process."""
