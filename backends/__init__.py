"""axc.backends."""
