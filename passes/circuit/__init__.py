"""axc.passes.circuit: Passes on circuits: bit-blasting, equivalence checks, statistics, truncation, exact resynthesis."""
