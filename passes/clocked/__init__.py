"""Approximation of clocked designs: the circuit passes on every combinational cone between
registers, error measured at the primary outputs over cycles (`driver`); the cones (`cones`),
the measurement (`measure`) and the options (`options`)."""
