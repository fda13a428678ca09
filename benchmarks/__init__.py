"""Benchmarks: routing quality and pipeline speed (see BENCHMARKS.md)."""
