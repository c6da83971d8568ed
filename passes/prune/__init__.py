"""The `prune` pass: gate-level approximate logic synthesis by signal substitution.

`prune_pass` is the pass; the search also refines `bmf`'s designs.

`kernels`: liveness, reference counts, freed area, similar signals and batched trial errors
(numba); `simplify`: constant propagation after a substitution; `search`: the greedy search and
its trajectory of designs; `refine`: searches started from other passes' designs.
"""
