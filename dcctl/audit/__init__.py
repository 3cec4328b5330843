"""Governance: the hash-chained audit log and the apply lock."""
