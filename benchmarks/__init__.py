"""Benchmarks: figures printed by scripts, never asserted in tests."""
