"""Constant propagation and local simplification of a gate array after substitutions.

One forward pass over the gates (topological order): fan-ins are read through the aliases
found so far; a gate that became constant, a wire or an inversion of one signal is aliased
(or turned into a NOT); constant and repeated fan-ins of AND/OR/XOR-like gates are dropped
(padded with the operator's identity, so the fan-in count of the array stays). Functions
never change: the simulated words before and after are the same.
"""

from __future__ import annotations

import numpy as np
from axc.ir.dialects.logic import CONTROLLING_VALUE, GATE_OP_BY_NAME
from axc.ir.views import GATE_CODES

__all__ = ["BUF", "NARY", "NOT", "effective_inputs", "simplify"]

BUF, NOT = GATE_CODES["logic.buf"], GATE_CODES["logic.not"]
AND, OR = GATE_CODES["logic.and"], GATE_CODES["logic.or"]
NAND = GATE_CODES["logic.nand"]
XOR, XNOR = GATE_CODES["logic.xor"], GATE_CODES["logic.xnor"]
MUX, MAJ = GATE_CODES["logic.mux"], GATE_CODES["logic.maj"]
_GATE_OF_CODE = {code: GATE_OP_BY_NAME[name] for name, code in GATE_CODES.items()}
NARY = tuple(code for code, gate in _GATE_OF_CODE.items() if gate.core in ("and", "or", "xor"))
_DOMINATED = {code: gate for code, gate in _GATE_OF_CODE.items() if gate.core in CONTROLLING_VALUE}
"""AND/OR-like gates: one operand at the controlling value decides them."""


def effective_inputs(fanin: np.ndarray) -> int:
    """Distinct non-constant fan-ins (what a mapped gate would read)."""
    return len({int(s) for s in fanin if s >= 2})


def simplify(codes: np.ndarray, fanin_ptr: np.ndarray, fanin: np.ndarray, outputs: np.ndarray,
             base: int, live: np.ndarray) -> int:
    """Simplify live gates in place (`codes`, `fanin`, `outputs`); returns how many changed."""
    alias = np.arange(live.size, dtype=np.int64)
    changed = 0
    for g in np.flatnonzero(live[base:]).tolist():
        p, q = int(fanin_ptr[g]), int(fanin_ptr[g + 1])
        ins = alias[fanin[p:q]]
        fanin[p:q] = ins
        result = _fold(int(codes[g]), ins.tolist(), codes, fanin_ptr, fanin, base)
        if result is None:
            continue
        kind, payload = result
        if kind == "alias":
            alias[base + g] = payload
            changed += 1
            continue
        code, srcs = payload
        padded = srcs + [srcs[-1] if code == NOT else _identity(code)] * (q - p - len(srcs))
        if code != codes[g] or padded != ins.tolist():
            codes[g] = code
            fanin[p:q] = padded
            changed += 1
    outputs[:] = alias[outputs]
    return changed


def _identity(code: int) -> int:
    """The operand value that leaves the gate's core unchanged (1 for AND, 0 for OR and XOR)."""
    gate = _GATE_OF_CODE[code]
    return 1 - CONTROLLING_VALUE[gate.core] if gate.core in CONTROLLING_VALUE else 0


def _not_input(s: int, codes: np.ndarray, fanin_ptr: np.ndarray, fanin: np.ndarray, base: int) -> int | None:
    if s >= base and codes[s - base] == NOT:
        return int(fanin[fanin_ptr[s - base]])
    return None


def _fold(code: int, ins: list[int], codes, fanin_ptr, fanin, base) -> tuple[str, object] | None:
    """('alias', signal), ('gate', (code, fan-ins)) or None when nothing simplifies."""
    if code == BUF:
        return "alias", ins[0]
    if code == NOT:
        if ins[0] < 2:
            return "alias", 1 - ins[0]
        inner = _not_input(ins[0], codes, fanin_ptr, fanin, base)
        return None if inner is None else ("alias", inner)
    if code in _DOMINATED:
        dominant = CONTROLLING_VALUE[_DOMINATED[code].core]
        inverted = _DOMINATED[code].inverted
        if dominant in ins:
            return "alias", dominant ^ int(inverted)
        rest = list(dict.fromkeys(s for s in ins if s >= 2))
        if not rest:
            return "alias", (1 - dominant) ^ int(inverted)
        if len(rest) == 1:
            return ("gate", (NOT, rest)) if inverted else ("alias", rest[0])
        if len(rest) == len(ins):
            return None
        return "gate", (code, rest)
    if code in (XOR, XNOR):
        flip = (code == XNOR) ^ (ins.count(1) % 2 == 1)
        rest = sorted(s for s in set(ins) if s >= 2 and ins.count(s) % 2 == 1)
        if not rest:
            return "alias", int(flip)
        if len(rest) == 1:
            return ("gate", (NOT, rest)) if flip else ("alias", rest[0])
        if len(rest) == len(ins) and ((code == XNOR) == flip):
            return None
        return "gate", (XNOR if flip else XOR, rest)
    if code == MUX:
        sel, t, f = ins
        if sel < 2:
            return "alias", t if sel == 1 else f
        if t == f:
            return "alias", t
        if (t, f) == (1, 0):
            return "alias", sel
        if (t, f) == (0, 1):
            return "gate", (NOT, [sel])
        return None
    if code == MAJ:
        a, b, c = ins
        for x, y, z in ((a, b, c), (a, c, b), (b, c, a)):
            if x == y:
                return "alias", x
            if z < 2:
                return "gate", (OR if z == 1 else AND, [x, y])
        return None
    return None
