"""Realising parts: compressors synthesized by ABC (inside Yosys), decompressors as OR/XOR gates.

Many small functions go through one Yosys run and one ABC call (`synthesize`): each becomes a
BLIF model of the shared reduced ordered BDD of its outputs (one mux per node, as BLASYS builds
compressors with ABC's `bdd`), all models are merged into one network with renamed nets,
optimised by ABC onto simple gates (`abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX`), written back as
BLIF and split into one `Netlist` per function. Calling ABC once per small module costs about
0.1 s each inside the WebAssembly Yosys; the merged run is about 7x faster.
The area of a netlist is the sum of NanGate45 X1 cell areas of its gates (`GATE_AREA`, µm²):
a fast, consistent proxy used to rank candidates; reported areas come from the cost model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from axc.ir.attributes import full_mask, literal_mask
from axc.ir.dialects.logic import GATE_OPS, gate_table, gate_value
from axc.ir.views import GATE_CODES
from axc.runtime.blif_text import BlifWriter, minterm_rows, read_blif_models
from axc.runtime.cover import cover_table
from axc.runtime.yosys import run_yosys

from .factor import Factorization
from .partsim import Netlist

__all__ = [
    "ABC_GATES", "GATE_AREA", "gate_area", "gate_truth_table", "netlist_area", "netlist_depth", "realise", "synthesize",
    "synthesize_netlists",
]

GATE_AREA: dict[str, float] = {
    "logic.buf": 0.0, "logic.not": 0.532, "logic.and": 1.064, "logic.or": 1.064,
    "logic.nand": 0.798, "logic.nor": 0.798, "logic.xor": 1.596, "logic.xnor": 1.596,
    "logic.mux": 1.862, "logic.maj": 1.862, "logic.lut": 1.596,
}
"""Area of a 2-input (or 1-/3-input) gate; an n-input gate counts as n−1 two-input ones."""

_CODE_NAME = {code: name for name, code in GATE_CODES.items()}
ABC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"
"""The simple gates ABC maps onto (`abc -g`) when a netlist comes back into the IR."""
_SCRIPT = "read_blif in.blif\nhierarchy\nproc\nopt -fast\ntechmap\nopt -fast\n" \
          f"abc -g {ABC_GATES}\nopt_clean\nwrite_blif out.blif\n"


def gate_area(code: int, n_inputs: int) -> float:
    """Proxy area of one gate of `GATE_CODES` code `code` reading `n_inputs` signals."""
    name = _CODE_NAME[code]
    if name == "logic.const":
        return 0.0
    if name == "logic.lut":
        return GATE_AREA[name] * max(1, (1 << n_inputs) // 4)
    if name in ("logic.not", "logic.buf", "logic.mux", "logic.maj"):
        return GATE_AREA[name]
    return GATE_AREA[name] * max(1, n_inputs - 1)


def netlist_area(net: Netlist) -> float:
    """Sum of the gate areas of a netlist (see `GATE_AREA`)."""
    fan = np.diff(net.fanin_ptr)
    return float(sum(gate_area(code, n) for code, n in zip(net.codes.tolist(), fan.tolist())))


def _bdd_function(blif: BlifWriter, pre: str, k: int, tables: np.ndarray) -> None:
    """The shared reduced ordered BDD of the outputs (x_{k−1} on top) over nets `pre`x0… →
    `pre`y0…: one mux per node, so that ABC starts from a compact structure instead of minterm
    covers."""
    blif.names([f"{pre}c0"], [])
    blif.names([f"{pre}c1"], [""])
    nodes: dict[bytes, str] = {}

    def node(table: np.ndarray, var: int) -> str:
        if not table.any():
            return "c0"
        if table.all():
            return "c1"
        key = table.tobytes()
        hit = nodes.get(key)
        if hit is not None:
            return hit
        half = table.size // 2
        while var >= 0 and np.array_equal(table[:half], table[half:]):
            table = table[:half]
            half //= 2
            var -= 1
        key2 = table.tobytes()
        if key2 in nodes:
            nodes[key] = nodes[key2]
            return nodes[key2]
        lo = node(table[:half], var - 1)
        hi = node(table[half:], var - 1)
        out = f"n{len(nodes)}_{var}"
        blif.gate("logic.mux", [f"{pre}x{var}", pre + hi, pre + lo], pre + out)
        nodes[key] = nodes[key2] = out
        return out

    for j in range(tables.shape[0]):
        blif.names([pre + node(np.ascontiguousarray(tables[j]), k - 1), f"{pre}y{j}"], ["1"])


_SIMPLE_GATES = tuple(g for g in GATE_OPS if g.core not in ("const", "lut", "mux", "maj"))


def _gate_of(n: int, table: int) -> tuple[str, tuple[int, ...]] | None:
    """Recognise a small function (one- and two-input gates, and muxes with their operands in
    any order): (op name, operand order), or None for a LUT."""
    if n in (1, 2):
        for gate in _SIMPLE_GATES:
            low, high = gate.num_operands if isinstance(gate.num_operands, tuple) else (gate.num_operands,) * 2
            if low <= n <= (high or n) and gate_table(gate.name, n) == table:
                return gate.name, tuple(range(n))
        return None
    if n == 3:
        inputs = [literal_mask(3, i) for i in range(3)]
        for s in range(3):
            a, b = [i for i in range(3) if i != s]
            for t, f in ((a, b), (b, a)):
                if gate_value("logic.mux", [inputs[s], inputs[t], inputs[f]], full_mask(3)) == table:
                    return "logic.mux", (s, t, f)
    return None


def _read_covers(text: str) -> dict[str, tuple[list[str], int]]:
    """Per net driven by a `.names` of ABC's result: its input nets and its truth table."""
    covers = {}
    for stmt in read_blif_models(text, "abc.blif")[0].statements:
        if stmt.keyword != ".names":
            continue
        ins, out = stmt.words[:-1], stmt.words[-1]
        n = len(ins)
        rows = [row for row, _ in stmt.rows]
        table = cover_table(n, [row[0] if n else "" for row in rows])
        if rows and rows[0][-1] == "0":
            table ^= full_mask(n)
        if out not in ("$false", "$true", "$undef"):
            covers[out] = (ins, table)
    return covers


def _to_netlist(pending: dict[str, tuple[list[str], int]], prefix: str, k: int, n_out: int) -> Netlist:
    """Read one function (nets `prefix`x0… → `prefix`y0…) of a Yosys-written BLIF back."""
    local: dict[str, int] = {f"{prefix}x{i}": 2 + i for i in range(k)}
    local.update({"$false": 0, "$true": 1, "$undef": 0})
    codes: list[int] = []
    fanin: list[int] = []
    ptr = [0]
    lut_ptr = [0]
    lut_bits: list[np.ndarray] = []

    def emit(name: str) -> int:
        stack = [name]
        while stack:
            net = stack[-1]
            if net in local:
                stack.pop()
                continue
            ins, table = pending[net]
            missing = [x for x in ins if x not in local]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            n = len(ins)
            if n == 0 or table in (0, (1 << (1 << n)) - 1):
                local[net] = 1 if table else 0
                continue
            known = _gate_of(n, table)
            if known and known[0] == "logic.buf":
                local[net] = local[ins[0]]
                continue
            if known:
                op, order = known
                srcs = [local[ins[o]] for o in order]
            else:
                op, srcs = "logic.lut", [local[x] for x in ins]
                lut_bits.append(np.array([(table >> p) & 1 for p in range(1 << n)], dtype=np.uint8))
            codes.append(GATE_CODES[op])
            fanin.extend(srcs)
            ptr.append(len(fanin))
            lut_ptr.append(lut_ptr[-1] + (lut_bits[-1].size if op == "logic.lut" else 0))
            local[net] = 2 + k + len(codes) - 1
        return local[name]

    outs = [emit(f"{prefix}y{j}") for j in range(n_out)]
    net = Netlist(k, np.asarray(codes, dtype=np.int8), np.asarray(ptr, dtype=np.int64),
                  np.asarray(fanin, dtype=np.int64), np.asarray(lut_ptr, dtype=np.int64),
                  np.concatenate(lut_bits) if lut_bits else np.zeros(0, np.uint8),
                  np.asarray(outs, dtype=np.int64))
    return Netlist(**{**net.__dict__, "area": netlist_area(net)})


def _run_merged(functions: Sequence[tuple[int, int, Callable[[BlifWriter, str], None]]]) -> list[Netlist]:
    """Synthesize every (k inputs, outputs, writer of its `.names`) in one BLIF model, nets of
    function i renamed `f<i>_<net>` (one Yosys run and one ABC call for all)."""
    body = BlifWriter(width=None)
    inputs: list[str] = []
    outputs: list[str] = []
    for i, (k, n_out, write) in enumerate(functions):
        pre = f"f{i}_"
        inputs += [f"{pre}x{j}" for j in range(k)]
        outputs += [f"{pre}y{j}" for j in range(n_out)]
        write(body, pre)
    blif = BlifWriter(width=None)
    blif.model("all", inputs, outputs)
    blif.lines += body.lines
    blif.end()
    out = run_yosys(_SCRIPT, {"in.blif": blif.text()}, ("out.blif",)).outputs["out.blif"]
    pending = _read_covers(out)
    return [_to_netlist(pending, f"f{i}_", k, n_out) for i, (k, n_out, _) in enumerate(functions)]


def synthesize(functions: Sequence[tuple[int, np.ndarray]]) -> list[Netlist]:
    """Synthesize each (k, tables) — tables: n_out × 2^k 0/1, started from their shared BDD —
    with ABC, all in one Yosys run and one ABC call."""
    if not functions:
        return []
    return _run_merged([(k, tables.shape[0], partial(_bdd_function, k=k, tables=tables))
                        for k, tables in functions])


def _append_decompressor(comp: Netlist, fac: Factorization) -> Netlist:
    """Compressor netlist + OR/XOR decompressor gates → the part's k → m realisation."""
    codes = comp.codes.tolist()
    fanin = comp.fanin.tolist()
    ptr = comp.fanin_ptr.tolist()
    lut_ptr = comp.lut_ptr.tolist()
    base = 2 + comp.k
    outs = []
    inv_mask = fac.inverted
    for j in range(fac.mixing.shape[1]):
        srcs = [int(comp.outputs[i]) for i in np.flatnonzero(fac.mixing[:, j])]
        inverted = bool((inv_mask >> j) & 1)
        if not srcs:
            outs.append(1 if inverted else 0)
            continue
        if len(srcs) == 1 and not inverted:
            outs.append(srcs[0])
            continue
        if len(srcs) == 1:
            op = "logic.not"
        elif fac.xor_columns[j]:
            op = "logic.xnor" if inverted else "logic.xor"
        else:
            op = "logic.nor" if inverted else "logic.or"
        codes.append(GATE_CODES[op])
        fanin.extend(srcs)
        ptr.append(len(fanin))
        lut_ptr.append(lut_ptr[-1])
        outs.append(base + len(codes) - 1)
    net = Netlist(comp.k, np.asarray(codes, dtype=np.int8), np.asarray(ptr, dtype=np.int64),
                  np.asarray(fanin, dtype=np.int64), np.asarray(lut_ptr, dtype=np.int64),
                  comp.lut_bits, np.asarray(outs, dtype=np.int64))
    return Netlist(**{**net.__dict__, "area": netlist_area(net)})


def compressor_tables(k: int, fac: Factorization) -> np.ndarray:
    """The f × 2^k truth tables of the compressor outputs."""
    return ((fac.basis[None, :] >> np.arange(fac.degree)[:, None]) & 1).astype(np.uint8).reshape(fac.degree, 1 << k)


def realise(items: Sequence[tuple[int, Factorization]]) -> list[tuple[Netlist, Netlist]]:
    """(compressor, full realisation) of each (k, factorization), compressors in one Yosys run."""
    comps = synthesize([(k, compressor_tables(k, fac)) for k, fac in items])
    return [(c, _append_decompressor(c, fac)) for c, (_, fac) in zip(comps, items)]


def gate_truth_table(code: int, n: int, lut: np.ndarray | None = None) -> np.ndarray:
    """The 2^n-entry truth table of a gate of code `code` (operand i = bit i of the pattern)."""
    name = _CODE_NAME[code]
    if name == "logic.lut":
        return np.asarray(lut, dtype=np.uint8)
    table = gate_table(name, n)
    return np.array([(table >> p) & 1 for p in range(1 << n)], dtype=np.uint8)


def _netlist_function(blif: BlifWriter, pre: str, net: Netlist) -> None:
    """A netlist's gates as `.names` minterm covers over nets `pre`x0… → `pre`y0…"""
    def sig(s: int) -> str:
        return pre + (("c0", "c1")[s] if s < 2 else (f"x{s - 2}" if s < 2 + net.k else f"n{s}"))

    blif.names([f"{pre}c0"], [])
    blif.names([f"{pre}c1"], [""])
    for g in range(net.n_gates):
        srcs = [sig(int(s)) for s in net.fanin[net.fanin_ptr[g]:net.fanin_ptr[g + 1]]]
        lut = net.lut_bits[net.lut_ptr[g]:net.lut_ptr[g + 1]]
        table = gate_truth_table(int(net.codes[g]), len(srcs), lut)
        blif.names([*srcs, sig(2 + net.k + g)], *minterm_rows(table, len(srcs), off_set_when_shorter=True))
    for j, s in enumerate(net.outputs.tolist()):
        blif.names([sig(s), f"{pre}y{j}"], ["1"])


def synthesize_netlists(nets: Sequence[Netlist]) -> list[Netlist]:
    """Re-synthesize netlists structurally with ABC (one Yosys run); areas by `GATE_AREA`."""
    if not nets:
        return []
    return _run_merged([(n.k, n.outputs.size, partial(_netlist_function, net=n)) for n in nets])


def netlist_depth(net: Netlist) -> int:
    """Gate levels on the longest input-to-output path."""
    level = np.zeros(2 + net.k + net.n_gates, dtype=np.int64)
    for g in range(net.n_gates):
        srcs = net.fanin[net.fanin_ptr[g]:net.fanin_ptr[g + 1]]
        level[2 + net.k + g] = 1 + (level[srcs].max() if srcs.size else 0)
    return int(level[net.outputs].max()) if net.outputs.size else 0
