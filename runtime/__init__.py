"""axc.runtime."""
