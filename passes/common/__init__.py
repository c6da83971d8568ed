"""axc.passes.common: Passes on any graph: common subexpressions, dead code, printing."""
