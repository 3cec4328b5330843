"""Collectors: each reads one source and returns complete metric families (no partial updates)."""
