"""axc.frontend."""
