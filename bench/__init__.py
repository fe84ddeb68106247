"""Benchmarks: figures printed beside their floors, never asserted in tests."""
