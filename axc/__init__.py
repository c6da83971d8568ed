"""axc-opt: a compiler for approximate computing."""
