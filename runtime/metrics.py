"""Error metrics between an exact and an approximate simulation, computed on packed bits.

```python
report = compare(exact_result, approx_result, signed=False)
report.overall.mae, report.ports["O"].wce, report.value("mae")   # normalised MAE (NMED)
report.to_dict()   # with how it was measured: exhaustive or N random vectors and the seed
```

Definitions (N vectors, an output word of m bits read as R exactly and R' approximately):

* `er`  error rate: share of vectors where any bit differs.
* `hd`  normalised Hamming distance: differing bits / (N·m). With per-bit `weights` w, also
  `whd` = Σ_i w_i·(differing vectors of bit i) / (N·Σ w_i).
* `mae` mean |R − R'|; `nmae` = mae / 2^m (the BLASYS/EvoApproxLib normalisation, i.e. NMED).
* `wce` max |R − R'|; `nwce` = wce / 2^m.
* `mre` mean |R − R'| / |R| over the vectors with R ≠ 0, `wcre` its maximum (EvoApproxLib's
  MRE and WCRE; BLASYS' code divides by max(1, |R|) over all vectors instead).
* `mse` mean (R − R')²; `nmse` = mse / 4^m.

Per port the word is the port; `overall` reads the single output port, or, when there are
several, all output bits concatenated in port order (first port in the least significant bits,
as BLASYS treats the primary outputs as one number). Numeric metrics are exact up to 62-bit
words and computed in float64 from exact multi-word differences above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from axc.ir import InputError
from numba import njit

from . import simkernels as K
from .logicsim import SimResult, VectorSet, tail_mask

__all__ = ["METRICS", "METRIC_ALIASES", "NUMERIC_METRICS", "ErrorMetrics", "ErrorReport", "compare",
           "compare_rows", "metric_name"]

METRICS = ("hd", "er", "mae", "mre", "wce", "mse")
"""The error metrics a threshold can be set on (the `metric` option of the circuit passes), in
the order the packed-row kernels number them (`axc.runtime.row_errors`)."""
NUMERIC_METRICS = ("mae", "mre", "wce", "mse")
"""Those that read output ports as numbers (they need a multi-bit port)."""
METRIC_ALIASES = {"med": "mae", "nmed": "mae"}
"""Other names of the same figures (the mean error distance is the mean absolute error)."""


def metric_name(metric: str | None, numeric_outputs: bool, who: str) -> str:
    """The canonical name of `metric` for a circuit with (or without) a multi-bit output port;
    by default mae when there is one, else hd. One `InputError` naming `who` otherwise."""
    if metric is None:
        return "mae" if numeric_outputs else "hd"
    name = METRIC_ALIASES.get(metric.lower(), metric.lower())
    if name not in METRICS:
        raise InputError(f"{who}: unknown metric '{metric}' (known: {', '.join(METRICS)}; "
                         f"{', '.join(f'{a} = {b}' for a, b in METRIC_ALIASES.items())})")
    if name in NUMERIC_METRICS and not numeric_outputs:
        raise InputError(f"{who}: metric '{metric}' needs numeric (multi-bit) output ports, "
                         "but every output of this circuit is a single bit; use hd or er")
    return name


@dataclass(frozen=True)
class ErrorMetrics:
    """Every metric for one output word (see the module docstring)."""

    width: int
    er: float
    hd: float
    mae: float
    nmae: float
    wce: float
    nwce: float
    mre: float
    mse: float
    nmse: float
    whd: float | None = None
    wcre: float = 0.0

    def value(self, metric: str) -> float:
        """The normalised figure a threshold is compared with: er, hd, nmae, mre, nwce, nmse."""
        name = METRIC_ALIASES.get(metric, metric)
        key = {"mae": "nmae", "wce": "nwce", "mse": "nmse"}.get(name, name)
        if key not in ("er", "hd", "nmae", "mre", "nwce", "nmse", "whd", "wcre"):
            raise InputError(f"unknown error metric '{metric}' (choose from {', '.join(METRICS)})")
        got = getattr(self, key)
        if got is None:
            raise InputError("'whd' needs per-bit weights")
        return float(got)


@dataclass(frozen=True)
class ErrorReport:
    """Metrics overall and per output port, and how they were obtained."""

    overall: ErrorMetrics
    ports: dict[str, ErrorMetrics]
    n_vectors: int
    source: str
    """'exhaustive', 'random' or 'user'."""
    seed: int | None
    signed: bool | dict[str, bool]
    notes: list[str] = field(default_factory=list)

    def value(self, metric: str) -> float:
        """`overall.value(metric)`: the normalised figure for thresholds."""
        return self.overall.value(metric)

    def describe(self) -> str:
        if self.source == "random":
            return f"{self.n_vectors} random vectors (seed {self.seed})"
        return f"{self.n_vectors} {self.source} vectors"

    def to_dict(self) -> dict:
        return {
            "vectors": {"count": self.n_vectors, "source": self.source, "seed": self.seed},
            "signed": self.signed,
            "overall": asdict(self.overall),
            "ports": {name: asdict(m) for name, m in self.ports.items()},
            "notes": list(self.notes),
        }


def _popcounts(rows: np.ndarray) -> np.ndarray:
    return np.bitwise_count(rows).sum(axis=1, dtype=np.int64)


@njit(cache=True)
def _abs_diff_wide(exact, approx, n_vectors, signed):
    """|R − R'| per vector as float64, by exact multi-limb two's-complement subtraction."""
    width = exact.shape[0]
    n_limbs = (width + 63) // 64 + 1
    out = np.empty(n_vectors, dtype=np.float64)
    a = np.zeros(n_limbs, dtype=np.uint64)
    b = np.zeros(n_limbs, dtype=np.uint64)
    one = np.uint64(1)
    for v in range(n_vectors):
        word = v >> 6
        bit = np.uint64(v & 63)
        a[:] = 0
        b[:] = 0
        for i in range(width):
            a[i >> 6] |= ((exact[i, word] >> bit) & one) << np.uint64(i & 63)
            b[i >> 6] |= ((approx[i, word] >> bit) & one) << np.uint64(i & 63)
        if signed:
            for x in (a, b):
                if (x[(width - 1) >> 6] >> np.uint64((width - 1) & 63)) & one:
                    for i in range(width, n_limbs * 64):
                        x[i >> 6] |= one << np.uint64(i & 63)
        borrow = np.uint64(0)
        diff = np.zeros(n_limbs, dtype=np.uint64)
        for k in range(n_limbs):
            d = a[k] - b[k] - borrow
            borrow = np.uint64(1) if a[k] < b[k] or (a[k] == b[k] and borrow == 1) else np.uint64(0)
            diff[k] = d
        if diff[n_limbs - 1] >> np.uint64(63):
            carry = np.uint64(1)
            for k in range(n_limbs):
                d = ~diff[k] + carry
                carry = np.uint64(1) if carry == 1 and d == 0 else np.uint64(0)
                diff[k] = d
        total = 0.0
        for k in range(n_limbs - 1, -1, -1):
            total = total * 18446744073709551616.0 + float(diff[k])
        out[v] = total
    return out


def _numeric(exact: np.ndarray, approx: np.ndarray, n_vectors: int, signed: bool
             ) -> tuple[np.ndarray, np.ndarray]:
    """(|R − R'|, |R|) per vector as float64 (exact integers below 2^53)."""
    width = exact.shape[0]
    if width <= 62:
        r = K.gather_ints(np.ascontiguousarray(exact), n_vectors)
        r2 = K.gather_ints(np.ascontiguousarray(approx), n_vectors)
        if signed:
            sign = np.uint64(1) << np.uint64(width - 1)
            r = ((r ^ sign) - sign).view(np.int64)
            r2 = ((r2 ^ sign) - sign).view(np.int64)
        else:
            r, r2 = r.view(np.int64), r2.view(np.int64)
        return np.abs(r - r2).astype(np.float64), np.abs(r).astype(np.float64)
    zero = np.zeros_like(exact)
    diff = _abs_diff_wide(np.ascontiguousarray(exact), np.ascontiguousarray(approx), n_vectors, signed)
    magnitude = _abs_diff_wide(np.ascontiguousarray(exact), zero, n_vectors, signed)
    return diff, magnitude


def _word_metrics(exact: np.ndarray, approx: np.ndarray, n_vectors: int, signed: bool,
                  weights: np.ndarray | None) -> ErrorMetrics:
    width = exact.shape[0]
    mask = tail_mask(n_vectors)
    xor = (exact ^ approx) & mask
    per_bit = _popcounts(xor)
    any_diff = np.bitwise_or.reduce(xor, axis=0) if width else np.zeros_like(mask)
    er = float(np.bitwise_count(any_diff).sum()) / n_vectors
    hd = float(per_bit.sum()) / (n_vectors * width) if width else 0.0
    whd = None
    if weights is not None:
        whd = float((weights * per_bit).sum() / (n_vectors * weights.sum())) if weights.sum() else 0.0
    if er == 0.0 or width == 0:
        return ErrorMetrics(width, er, hd, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, whd)
    diff, magnitude = _numeric(exact, approx, n_vectors, signed)
    scale = 2.0 ** width
    mae = float(diff.mean())
    wce = float(diff.max())
    mse = float(np.mean(diff * diff))
    nonzero = magnitude > 0
    relative = diff[nonzero] / magnitude[nonzero]
    mre = float(relative.mean()) if relative.size else 0.0
    wcre = float(relative.max()) if relative.size else 0.0
    return ErrorMetrics(width, er, hd, mae, mae / scale, wce, wce / scale, mre, mse,
                        mse / scale / scale, whd, wcre)


def compare_rows(exact: np.ndarray, approx: np.ndarray, vectors: VectorSet | int,
                 ports: Sequence[tuple[str, int]], signed: bool | Mapping[str, bool] = False,
                 weights: Sequence[float] | np.ndarray | None = None) -> ErrorReport:
    """Metrics between two packed output arrays (n_output_bits × n_words) laid out as `ports`."""
    if exact.shape != approx.shape:
        raise InputError(f"exact and approximate outputs differ in shape: {exact.shape} vs {approx.shape}")
    total = sum(w for _, w in ports)
    if total != exact.shape[0]:
        raise InputError(f"ports have {total} bits, the outputs {exact.shape[0]}")
    n_vectors = vectors if isinstance(vectors, int) else vectors.n_vectors
    if n_vectors <= 0:
        raise InputError("no vectors to measure an error on")
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (total,) or (w < 0).any():
            raise InputError(f"weights must be {total} non-negative numbers, one per output bit")
    sign_of = (lambda name: bool(signed.get(name, False))) if isinstance(signed, Mapping) \
        else (lambda name: bool(signed))
    per_port: dict[str, ErrorMetrics] = {}
    lo = 0
    for name, width in ports:
        per_port[name] = _word_metrics(exact[lo:lo + width], approx[lo:lo + width], n_vectors,
                                       sign_of(name), None if w is None else w[lo:lo + width])
        lo += width
    notes = []
    if len(ports) == 1:
        overall = per_port[ports[0][0]]
        if w is not None:
            overall = _word_metrics(exact, approx, n_vectors, sign_of(ports[0][0]), w)
    else:
        overall = _word_metrics(exact, approx, n_vectors, False, w)
        notes.append("overall numeric metrics read all output bits as one unsigned number "
                     "(first port in the least significant bits)")
    if isinstance(vectors, int):
        source, seed = "user", None
    else:
        source, seed = vectors.source, vectors.seed
    return ErrorReport(overall, per_port, n_vectors, source, seed,
                       dict(signed) if isinstance(signed, Mapping) else bool(signed), notes)


def compare(exact: SimResult, approx: SimResult, signed: bool | Mapping[str, bool] = False,
            weights: Sequence[float] | np.ndarray | None = None) -> ErrorReport:
    """Metrics between two simulations of circuits with the same output ports on the same vectors."""
    ports_a = list(exact.sim.view.output_ports)
    ports_b = list(approx.sim.view.output_ports)
    if ports_a != ports_b:
        raise InputError(f"output ports differ: {ports_a} vs {ports_b}")
    if exact.vectors is not approx.vectors and (
            exact.n_vectors != approx.n_vectors
            or not np.array_equal(exact.vectors.words, approx.vectors.words)):
        raise InputError("the two simulations did not use the same vectors")
    return compare_rows(exact.packed, approx.packed, exact.vectors, ports_a, signed, weights)
