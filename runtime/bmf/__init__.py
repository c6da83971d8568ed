"""Boolean-matrix-factorization approximate logic synthesis (BLASYS-style) for `bmf`.

`factor`: ASSO + exhaustive OR/XOR decompressor search on a truth table; `partition`: KaHyPar
recursive bisection of a logic graph into convex subcircuits of at most k inputs and m outputs;
`partsim`: truth tables of the parts and part-level bit-parallel simulation; `rebuild`:
compressor synthesis through ABC and the IR rewrite; `explore`: the greedy design-space
exploration.
"""
