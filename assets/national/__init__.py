"""The national picture of a shared deployment, from the tenants' publication sets (combine.py)."""
