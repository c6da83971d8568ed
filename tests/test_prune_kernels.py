"""`try_substitutions` (one flipped-cone simulation per target) against re-simulating the whole
circuit with each trial applied, for every metric kind: the error rate's one-word path, the
Hamming distance and a numeric metric."""

from __future__ import annotations

import numpy as np
import pytest
from axc.ir.views import LogicView
from axc.passes.prune.kernels import RESUB_FUNCTIONS, try_substitutions
from axc.runtime import simkernels as K
from axc.runtime.logicsim import VectorSet
from axc.runtime.row_errors import METRICS, metric_error, tail_mask
from bmf_circuits import random_logic

_NOT = 2


def _evaluate(view: LogicView, values: np.ndarray, gates: np.ndarray) -> None:
    K.eval_blocked(gates, np.ascontiguousarray(view.codes), view.fanin_ptr, view.fanin,
                   np.zeros(view.fanin.size, np.uint64), view.lut_ptr, view.lut_bits, view.first_gate_signal,
                   values, 64)


def _word(func: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    table = {0: a, _NOT: ~a, 3: a & b, 4: a | b, 5: a ^ b, 6: ~(a & b), 7: ~(a | b), 8: ~(a ^ b)}
    return table[func]


@pytest.mark.parametrize("metric", ["er", "hd", "mae"])
def test_every_trial_error_matches_a_full_resimulation(metric: str) -> None:
    view = LogicView.from_graph(random_logic(14, 160, 9, seed=5).top_graph)
    vectors = VectorSet.random(view, 1000, seed=3)  # a partial last word: the tail mask matters
    base = view.first_gate_signal
    values = np.zeros((view.n_signals, vectors.n_words), dtype=np.uint64)
    values[1] = ~np.uint64(0)
    values[2:base] = vectors.words
    every_gate = np.arange(view.n_gates, dtype=np.int64)
    _evaluate(view, values, every_gate)
    outputs = np.ascontiguousarray(view.outputs, dtype=np.int64)
    rng = np.random.default_rng(9)
    exact = values[outputs] ^ (rng.integers(0, 1 << 63, size=(outputs.size, vectors.n_words), dtype=np.uint64)
                               & rng.integers(0, 1 << 63, size=(outputs.size, vectors.n_words), dtype=np.uint64))
    exact = np.ascontiguousarray(exact)
    trials = []  # (target, replacement, output bit, second, function)
    for s in rng.choice(np.arange(base, view.n_signals), size=25, replace=False).tolist():
        trials += [(s, 0, -1, -1, 0), (s, 1, -1, -1, 0), (s, int(rng.integers(2, s)), -1, -1, 0),
                   (s, int(rng.integers(2, s)), -1, -1, _NOT)]
        trials += [(s, int(rng.integers(2, s)), -1, int(rng.integers(2, s)), f) for f in RESUB_FUNCTIONS]
    trials += [(0, int(rng.integers(0, view.n_signals)), bit, -1, 0) for bit in range(outputs.size)]
    columns = [np.array(c, dtype=np.int64) for c in zip(*trials)]
    which = METRICS.index(metric)
    tail = tail_mask(vectors.n_vectors)
    got = try_substitutions(columns[0], columns[1], columns[2], every_gate, np.ascontiguousarray(view.codes),
                            view.fanin_ptr, view.fanin, view.lut_ptr, view.lut_bits, base, values, outputs,
                            exact, tail, vectors.n_vectors, which, columns[3], columns[4])
    for i, (s, r, bit, second, func) in enumerate(trials):
        trial = values.copy()
        if bit >= 0:
            approx = trial[outputs].copy()
            approx[bit] = trial[r]
        else:
            trial[s] = _word(func, trial[r], trial[second if second >= 0 else r])
            _evaluate(view, trial, every_gate[every_gate > s - base])
            approx = trial[outputs]
        expected = metric_error(which, exact, np.ascontiguousarray(approx), tail, vectors.n_vectors)
        assert got[i] == pytest.approx(expected, abs=1e-12), trials[i]
    assert len(set(np.round(got, 9).tolist())) > 10  # the trials do differ
