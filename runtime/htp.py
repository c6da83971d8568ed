"""HTP (high-throughput) multiplier models: h(x, w) = sum_j c_j g_xj(x) g_wj(w).

An HTP model replaces the per-product LUT lookup of an approximate multiplier f by a few exact
products of transformed operands, so a conv/gemm/matmul becomes a handful of ordinary ones
(terms sharing g_x merge into one conv whose weight sum_j c_j g_wj(w) is constant-folded).

Transforms (`Transform(kind, p)`) act elementwise on integer operands:
`one` (1), `id` (v), `mod` (v mod 2^p, floor-mod: non-negative), `floor` (v - v mod 2^p),
`sqmod` ((v mod 2^p)^2), `bit` (bit p of the two's-complement pattern), `lead` (sign-magnitude,
k = p leading bits kept), `drum` (DRUM operand,
k = p), `pow2` (sign(v) 2^floor(log2|v|), 0 for 0).

Sources:
- `analytic_htp(model)`: exact forms for `exact` (x w), `trunc{l,m}` (floor_l(x) floor_m(w)),
  `drum{k}` (drum_k(x) drum_k(w)) and `mitchell{k}`: with a = 2^t1 (1 + f1), b = 2^t2 (1 + f2)
  the k-leading-bit magnitudes, a b - Mitchell(a, b) = 2^(t1+t2) D[f1, f2] where D (f1 f2 below
  the carry, (1 - f1)(1 - f2) above) lives on the 2^(k-1) x 2^(k-1) grid of fractions, so
  f = lead(x) lead(w) - sum_i [sign 2^t1 (f1 == i)] [sign 2^t2 D[i, f2]]: exact with one
  `mclass` activation transform per fraction class (2^(k-1) - 1 of them, besides `lead`).
- `fit_htp(model)`: least squares on every operand pair over the products of
  G_x = {1, x, x mod 2^l[, (x mod 2^l)^2]} and G_w = {1, w, w mod 2^m[, (w mod 2^m)^2]}, grid
  over l, m, coefficient rounding (none, 0.1, 1/16, integer) and backward pruning of terms that
  do not pay; and the richer bit-plane basis {1, bit_i(x)} x {1, bit_j(w)} (every function
  bilinear in the operand bits, e.g. partial-product arrays with dropped or merged cells; one
  conv per bit plane of x that is used). The best by (exact first, mean |h - f|, number of convs,
  number of terms).

Every model carries `fidelity` against the multiplier's LUT over all operand pairs (mean and max
|h - f|, bias, fraction of pairs where round(h) == f) and is labelled `exact` (max |h - f| = 0)
or surrogate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .multipliers import MultiplierModel
from .multipliers.families import drum_operand, leading_bit, leading_bits_operand

__all__ = ["HtpModel", "HtpTerm", "Transform", "analytic_htp", "best_htp", "fit_htp"]

EXACT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Transform:
    """An elementwise operand transform g(v) (see the module docstring for the kinds)."""

    kind: str
    p: int = 0
    q: int = 0
    """Second parameter (the fraction class of `mclass`/`mcorr`)."""

    def __post_init__(self) -> None:
        if self.kind not in ("one", "id", "mod", "floor", "sqmod", "bit", "lead", "drum", "pow2",
                             "mclass", "mcorr"):
            raise ValueError(f"unknown transform kind {self.kind!r}")

    @property
    def label(self) -> str:
        return {"one": "1", "id": "v", "mod": f"v mod {1 << self.p}",
                "floor": f"v - v mod {1 << self.p}", "sqmod": f"(v mod {1 << self.p})^2",
                "bit": f"bit{self.p}(v)", "lead": f"lead{self.p}(v)", "drum": f"drum{self.p}(v)",
                "pow2": "pow2(v)", "mclass": f"mclass{self.p}_{self.q}(v)",
                "mcorr": f"mcorr{self.p}_{self.q}(v)"}[self.kind]

    @property
    def arithmetic(self) -> bool:
        """Expressible with +, *, Floor only (others go through a per-value table)."""
        return self.kind in ("one", "id", "mod", "floor", "sqmod", "bit")

    def spec(self) -> str:
        if self.kind in ("mclass", "mcorr"):
            return f"{self.kind}{self.p}_{self.q}"
        return self.kind if self.kind in ("one", "id", "pow2") else f"{self.kind}{self.p}"

    @staticmethod
    def parse(text: str) -> Transform:
        kind = text.rstrip("0123456789_")
        numbers = [int(n) for n in text[len(kind):].split("_") if n]
        return Transform(kind, *numbers)

    def __call__(self, v: np.ndarray) -> np.ndarray:
        """g(v) as float64 for integer-valued `v`."""
        v = np.asarray(v)
        if self.kind == "one":
            return np.ones(v.shape, dtype=np.float64)
        if self.kind == "id":
            return v.astype(np.float64)
        if self.kind in ("mod", "floor", "sqmod"):
            vi = v.astype(np.int64)
            residue = (vi & ((1 << self.p) - 1)).astype(np.float64)
            if self.kind == "mod":
                return residue
            if self.kind == "sqmod":
                return residue * residue
            return vi - residue
        vi = v.astype(np.int64)
        if self.kind == "bit":
            return ((vi >> self.p) & 1).astype(np.float64)
        if self.kind == "lead":
            return leading_bits_operand(vi, self.p).astype(np.float64)
        if self.kind == "drum":
            return drum_operand(vi, self.p).astype(np.float64)
        if self.kind in ("mclass", "mcorr"):
            return _mitchell_factor(vi, self.p, self.q, self.kind == "mcorr")
        t = leading_bit(np.abs(vi))
        return (np.sign(vi) * np.where(t >= 0, np.exp2(np.maximum(t, 0)), 0)).astype(np.float64)


def _mitchell_defect(k: int) -> np.ndarray:
    """D[i, j]: (a b - Mitchell(a, b)) / 2^(t1+t2) for fractions f1 = i/2^(k-1), f2 = j/2^(k-1)."""
    f = np.arange(1 << (k - 1)) / float(1 << (k - 1))
    f1, f2 = np.meshgrid(f, f, indexing="ij")
    return np.where(f1 + f2 < 1, f1 * f2, (1 - f1) * (1 - f2))


def _mitchell_factor(v: np.ndarray, k: int, i: int, weight_side: bool) -> np.ndarray:
    """sign(v) 2^t [class(v) == i] (x side) or sign(v) 2^t D[i, class(v)] (w side).

    class(v) is the k-1-bit fraction of the k-leading-bit truncation of |v| (as an integer).
    """
    a = np.abs(leading_bits_operand(v, k))
    t = leading_bit(a)
    scale = np.where(a > 0, np.exp2(np.maximum(t, 0)), 0.0)
    shift = np.maximum(t - (k - 1), 0)
    cls = np.where(a > 0, ((a - np.where(a > 0, np.int64(1) << np.maximum(t, 0), 0)) >> shift)
                   << np.maximum((k - 1) - t, 0), 0)
    factor = _mitchell_defect(k)[i, cls] if weight_side else (cls == i).astype(np.float64)
    return (np.sign(v) * scale * factor).astype(np.float64)


ONE = Transform("one")
IDENTITY = Transform("id")


@dataclass(frozen=True)
class HtpTerm:
    coef: float
    gx: Transform
    gw: Transform

    def label(self) -> str:
        gx = self.gx.label.replace("v", "x")
        gw = self.gw.label.replace("v", "w")
        return f"{self.coef:g}*({gx})*({gw})"


@dataclass(frozen=True, eq=False)
class HtpModel:
    """sum_j c_j g_xj(x) g_wj(w) for `multiplier`, with its fidelity against the LUT."""

    multiplier: str
    terms: tuple[HtpTerm, ...]
    source: str
    """`analytic` or `fitted`."""
    fidelity: dict[str, Any] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return bool(self.fidelity) and self.fidelity["max_abs"] <= EXACT_TOLERANCE

    @property
    def label(self) -> str:
        return "exact" if self.exact else "surrogate"

    def groups(self) -> list[tuple[Transform, list[tuple[float, Transform]]]]:
        """Terms merged by activation transform: [(g_x, [(c, g_w), ...]), ...]."""
        merged: dict[Transform, list[tuple[float, Transform]]] = {}
        for term in self.terms:
            merged.setdefault(term.gx, []).append((term.coef, term.gw))
        return list(merged.items())

    @property
    def n_convs(self) -> int:
        """Ordinary convs/matmuls per layer (constant g_x terms fold into a bias)."""
        return sum(1 for gx, _ in self.groups() if gx != ONE)

    def __call__(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(w)), dtype=np.float64)
        for term in self.terms:
            out += term.coef * term.gx(x) * term.gw(w)
        return out

    def formula(self) -> str:
        return " + ".join(t.label() for t in self.terms) or "0"

    def describe(self) -> dict[str, Any]:
        return {"multiplier": self.multiplier, "label": self.label, "source": self.source,
                "terms": [[t.coef, t.gx.spec(), t.gw.spec()] for t in self.terms],
                "formula": self.formula(), "n_convs": self.n_convs, "fidelity": self.fidelity}

    def plain_terms(self) -> tuple[tuple[float, str, str], ...]:
        """Terms as plain tuples (for IR attributes)."""
        return tuple((float(t.coef), t.gx.spec(), t.gw.spec()) for t in self.terms)

    @staticmethod
    def from_plain(multiplier: str, terms: Any, source: str = "ir") -> HtpModel:
        return HtpModel(multiplier, tuple(HtpTerm(float(c), Transform.parse(gx), Transform.parse(gw))
                                          for c, gx, gw in terms), source)


def fidelity(values: np.ndarray, lut: np.ndarray, exact_products: np.ndarray) -> dict[str, Any]:
    diff = values - lut
    abs_diff = np.abs(diff)
    return {
        "mean_abs": float(abs_diff.mean()),
        "max_abs": float(abs_diff.max()),
        "bias": float(diff.mean()),
        "bit_exact%": 100.0 * float((np.rint(values) == lut).mean()),
        "lut_mae": float(np.abs(lut - exact_products).mean()),
        "htp_mae": float(np.abs(values - exact_products).mean()),
        "pairs": int(lut.size),
    }


def _with_fidelity(model: MultiplierModel, terms: tuple[HtpTerm, ...], source: str) -> HtpModel:
    x, w = model.operand_grid()
    h = HtpModel(model.name, terms, source)
    lut = model.lut().astype(np.float64)
    return HtpModel(model.name, terms, source, fidelity(h(x, w), lut, (x * w).astype(np.float64)))


def _least_squares(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(features, target, rcond=None)
    return coef


def analytic_htp(model: MultiplierModel) -> HtpModel | None:
    """The analytic HTP model of a family multiplier (None for circuits)."""
    p = model.params
    if model.family == "exact":
        terms = (HtpTerm(1.0, IDENTITY, IDENTITY),)
    elif model.family == "trunc":
        terms = (HtpTerm(1.0, Transform("floor", p["l"]), Transform("floor", p["m"])),)
    elif model.family == "drum":
        terms = (HtpTerm(1.0, Transform("drum", p["k"]), Transform("drum", p["k"])),)
    elif model.family == "mitchell":
        k = p["k"]
        lead = Transform("lead", k)
        defect = _mitchell_defect(k)
        terms = (HtpTerm(1.0, lead, lead),) + tuple(
            HtpTerm(-1.0, Transform("mclass", k, i), Transform("mcorr", k, i))
            for i in range(1 << (k - 1)) if defect[i].any())
    else:
        return None
    return _with_fidelity(model, terms, "analytic")


def _score(h: HtpModel) -> tuple:
    f = h.fidelity
    return (not h.exact, round(f["mean_abs"], 9), h.n_convs, len(h.terms), f["max_abs"])


def _rounded(coef: np.ndarray) -> list[np.ndarray]:
    return [coef, np.round(coef, 1), np.round(coef * 16) / 16, np.round(coef)]


def fit_htp(model: MultiplierModel, max_gap: int = 2, rich: bool = True,
            top: int = 3, bit_planes: bool = True) -> HtpModel:
    """Least-squares HTP model of any tabulable multiplier (see the module docstring).

    The grid covers l in 1..x_bits and m in 1..w_bits with |l - m| <= `max_gap`; the `top` grid
    points by full-model squared error get the rounding/pruning search.
    """
    x, w = model.operand_grid()
    target = model.lut().ravel().astype(np.float64)
    xr, wr = x.ravel(), w.ravel()
    exact_products = (xr * wr).astype(np.float64)
    tt = float(target @ target)
    ranked = []
    for l in range(1, model.x_bits + 1):  # noqa: E741
        for m in range(1, model.w_bits + 1):
            if abs(l - m) > max_gap:
                continue
            # (v mod 2)^2 == v mod 2: squares only from l = 2 on
            gxs = [ONE, IDENTITY, Transform("mod", l)] + ([Transform("sqmod", l)] if rich and l > 1 else [])
            gws = [ONE, IDENTITY, Transform("mod", m)] + ([Transform("sqmod", m)] if rich and m > 1 else [])
            pairs = list(itertools.product(gxs, gws))
            xcols = {gx: gx(xr) for gx in gxs}
            wcols = {gw: gw(wr) for gw in gws}
            feats = np.stack([xcols[gx] * wcols[gw] for gx, gw in pairs], axis=1)
            gram, rhs = feats.T @ feats, feats.T @ target
            everything = list(range(len(pairs)))
            sse = _sse(gram, rhs, tt, everything, _solve(gram, rhs, everything))
            ranked.append((sse, l, m, pairs, feats))
    ranked.sort(key=lambda r: r[0])
    candidates = [(pairs, feats) for _, _, _, pairs, feats in ranked[:top]]
    if bit_planes:
        gxs = [ONE] + [Transform("bit", i) for i in range(model.x_bits)]
        gws = [ONE] + [Transform("bit", j) for j in range(model.w_bits)]
        pairs = list(itertools.product(gxs, gws))
        xcols = {gx: gx(xr) for gx in gxs}
        wcols = {gw: gw(wr) for gw in gws}
        candidates.append((pairs, np.stack([xcols[gx] * wcols[gw] for gx, gw in pairs], axis=1)))
    best: HtpModel | None = None
    for pairs, feats in candidates:
        seen: set[tuple] = set()
        for active, coef in _prune_and_round(feats, target):
            key = (tuple(active), tuple(np.round(coef, 12)))
            if key in seen:
                continue
            seen.add(key)
            values = feats[:, active] @ coef
            terms = _simplify(tuple(HtpTerm(float(c), *pairs[i]) for i, c in zip(active, coef)))
            h = HtpModel(model.name, terms, "fitted", fidelity(values, target, exact_products))
            if best is None or _score(h) < _score(best):
                best = h
    assert best is not None
    return best


def _solve(gram: np.ndarray, rhs: np.ndarray, active: list[int]) -> np.ndarray:
    sub = gram[np.ix_(active, active)]
    coef, *_ = np.linalg.lstsq(sub, rhs[active], rcond=None)
    return coef


def _sse(gram: np.ndarray, rhs: np.ndarray, tt: float, active: list[int], coef: np.ndarray) -> float:
    sub = gram[np.ix_(active, active)]
    return float(tt - 2 * coef @ rhs[active] + coef @ sub @ coef)


def _prune_and_round(feats: np.ndarray, target: np.ndarray) -> list[tuple[list[int], np.ndarray]]:
    """Candidate (active columns, coefficients): rounded LS fits along a backward elimination.

    Elimination works on the normal equations (Gram matrix), dropping the term whose removal
    raises the squared error least, while it rises by at most 2 % (or stays zero).
    """
    gram = feats.T @ feats
    rhs = feats.T @ target
    tt = float(target @ target)
    active = list(range(feats.shape[1]))
    coef = _solve(gram, rhs, active)
    base = max(_sse(gram, rhs, tt, active, coef), 0.0)
    candidates: list[tuple[list[int], np.ndarray]] = []
    while True:
        for rounded in _rounded(coef):
            nonzero = np.abs(rounded) > 1e-9
            candidates.append(([a for a, k in zip(active, nonzero) if k], rounded[nonzero]))
        if len(active) <= 1:
            break
        trials = []
        for drop in range(len(active)):
            rest = active[:drop] + active[drop + 1:]
            c = _solve(gram, rhs, rest)
            trials.append((_sse(gram, rhs, tt, rest, c), rest, c))
        err, rest, c = min(trials, key=lambda t: t[0])
        if err > base * 1.02 + 1e-6 * tt / max(1, len(target)):
            break
        active, coef = rest, c
    return candidates


def _simplify(terms: tuple[HtpTerm, ...]) -> tuple[HtpTerm, ...]:
    """Merge g_x = v and g_x = v mod 2^l groups with opposite weights into v - v mod 2^l."""
    by_gx: dict[Transform, dict[Transform, float]] = {}
    for t in terms:
        by_gx.setdefault(t.gx, {})[t.gw] = t.coef
    ident = by_gx.get(IDENTITY)
    for gx, weights in list(by_gx.items()):
        if gx.kind == "mod" and ident is not None and weights == {k: -v for k, v in ident.items()}:
            floor = Transform("floor", gx.p)
            del by_gx[gx]
            by_gx[floor] = by_gx.pop(IDENTITY)
            break
    return tuple(HtpTerm(c, gx, gw) for gx, ws in by_gx.items() for gw, c in ws.items())


def best_htp(model: MultiplierModel) -> HtpModel:
    """The analytic model when it is exact, else the better of analytic and fitted."""
    analytic = analytic_htp(model)
    if analytic is not None and analytic.exact:
        return analytic
    fitted = fit_htp(model)
    if analytic is None or _score(fitted) <= _score(analytic):
        return fitted
    return analytic
