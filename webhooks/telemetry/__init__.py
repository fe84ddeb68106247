"""Telemetry: the JSON log and its stable event names, and the Prometheus metrics."""
