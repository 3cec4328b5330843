"""Monitoring: the dcctl Prometheus exporter and its collectors."""
