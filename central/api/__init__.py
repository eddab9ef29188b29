"""Central's HTTP resources, one blueprint per module (no SQL here)."""
