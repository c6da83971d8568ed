"""The `bmf` pass: Boolean-matrix-factorization approximate logic synthesis (BLASYS-style).

`bmf_pass` is the pass. The package imports none of its modules, so `prune` and `resynth` can use
`partsim`, `rebuild` and `synth` without loading the partitioner.


`factor`: ASSO + exhaustive OR/XOR decompressor search on a truth table; `partition`: KaHyPar
recursive bisection of a logic graph into convex subcircuits of at most k inputs and m outputs;
`partsim`: truth tables of the parts and part-level bit-parallel simulation; `rebuild`:
compressor synthesis through ABC and the IR rewrite; `explore`: the greedy design-space
exploration.
"""
