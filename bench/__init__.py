"""Benchmarks for groove (not part of the test suite). See README's Development section."""
