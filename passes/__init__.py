"""axc.passes."""
