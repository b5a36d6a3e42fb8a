"""The assets of the registry's small sources, made from their declarations (schemas/sources.py)."""
