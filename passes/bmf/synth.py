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

from collections.abc import Sequence

import numpy as np
from axc.ir.attributes import full_mask, literal_mask
from axc.ir.dialects.logic import GATE_OPS, gate_table, gate_value
from axc.ir.views import GATE_CODES
from axc.runtime.yosys import run_yosys

from .factor import Factorization
from .partsim import Netlist

__all__ = [
    "ABC_GATES", "GATE_AREA", "gate_area", "gate_truth_table", "netlist_area", "netlist_depth", "netlist_model", "realise", "synthesize",
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


def _cover(name: str, inputs: Sequence[str], table: np.ndarray) -> list[str]:
    """BLIF `.names` lines of one truth table (ON-set, or OFF-set when shorter)."""
    n = len(inputs)
    ones = np.flatnonzero(table)
    head = ".names " + " ".join([*inputs, name])
    if ones.size == 0:
        return [head]
    if ones.size == table.size:
        return [head, "1" if n == 0 else "-" * n + " 1"]
    use_off = ones.size > table.size // 2
    rows = np.flatnonzero(table == 0) if use_off else ones
    bits = ((rows[:, None] >> np.arange(n)[None, :]) & 1).astype(np.uint8) + ord("0")
    value = " 0" if use_off else " 1"
    return [head, *(r.tobytes().decode() + value for r in bits)]


def _bdd_model(name: str, k: int, tables: np.ndarray) -> str:
    """A BLIF model of the shared reduced ordered BDD of the outputs (x_{k−1} on top): one mux
    per node, so that ABC starts from a compact structure instead of minterm covers."""
    ins = [f"x{i}" for i in range(k)]
    lines = [f".model {name}", ".inputs " + " ".join(ins) if k else ".inputs",
             ".outputs " + " ".join(f"y{j}" for j in range(tables.shape[0])), ".names c0", ".names c1", "1"]
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
        lines.extend([f".names x{var} {hi} {lo} {out}", "11- 1", "0-1 1"])
        nodes[key] = nodes[key2] = out
        return out

    for j in range(tables.shape[0]):
        lines += [f".names {node(np.ascontiguousarray(tables[j]), k - 1)} y{j}", "1 1"]
    lines.append(".end")
    return "\n".join(lines)


def _model(name: str, k: int, tables: np.ndarray) -> str:
    """A BLIF model with k inputs x0… and one output y_j per row of `tables` (2^k bits each)."""
    ins = [f"x{i}" for i in range(k)]
    lines = [f".model {name}", ".inputs " + " ".join(ins) if k else ".inputs",
             ".outputs " + " ".join(f"y{j}" for j in range(tables.shape[0]))]
    for j in range(tables.shape[0]):
        lines += _cover(f"y{j}", ins, tables[j])
    lines.append(".end")
    return "\n".join(lines)


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


def _read_blif(text: str, k: int, n_out: int) -> list[tuple[str, list[str], str, int]]:
    """(output net, input nets, op name, table) per `.names`, in file order."""
    nodes = []
    lines = [ln.strip() for ln in text.splitlines()]
    i = 0
    while i < len(lines):
        ln = lines[i]
        i += 1
        if not ln.startswith(".names"):
            continue
        nets = ln.split()[1:]
        ins, out = nets[:-1], nets[-1]
        cubes = []
        while i < len(lines) and lines[i] and not lines[i].startswith("."):
            cubes.append(lines[i])
            i += 1
        n = len(ins)
        on = 0
        off_set = False
        for cube in cubes:
            parts = cube.split()
            pat, val = (parts[0], parts[1]) if n else ("", parts[0])
            off_set = val == "0"
            for p in range(1 << n):
                if all(c == "-" or int(c) == (p >> j) & 1 for j, c in enumerate(pat)):
                    on |= 1 << p
        if off_set:
            on = ~on & ((1 << (1 << n)) - 1)
        nodes.append((out, ins, "", on))
    return nodes


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


def _merged(models: Sequence[str]) -> str:
    """One BLIF model holding every model, nets renamed `f<i>_<net>` (one ABC run for all)."""
    inputs: list[str] = []
    outputs: list[str] = []
    body: list[str] = []
    for i, text in enumerate(models):
        pre = f"f{i}_"
        for line in text.splitlines():
            tokens = line.split()
            if not tokens or tokens[0] in (".model", ".end"):
                continue
            if tokens[0] == ".inputs":
                inputs += [pre + t for t in tokens[1:]]
            elif tokens[0] == ".outputs":
                outputs += [pre + t for t in tokens[1:]]
            elif tokens[0] == ".names":
                body.append(".names " + " ".join(pre + t for t in tokens[1:]))
            else:
                body.append(line)
    return "\n".join([".model all", ".inputs " + " ".join(inputs), ".outputs " + " ".join(outputs),
                      *body, ".end", ""])


def _run_merged(models: Sequence[str], shapes: Sequence[tuple[int, int]]) -> list[Netlist]:
    out = run_yosys(_SCRIPT, {"in.blif": _merged(models)}, ("out.blif",)).outputs["out.blif"]
    pending = {o: (ins, table) for o, ins, _, table in _read_blif(out, 0, 0)
               if o not in ("$false", "$true", "$undef")}
    return [_to_netlist(pending, f"f{i}_", k, n_out) for i, (k, n_out) in enumerate(shapes)]


def synthesize(functions: Sequence[tuple[int, np.ndarray]]) -> list[Netlist]:
    """Synthesize each (k, tables) — tables: n_out × 2^k 0/1, started from their shared BDD —
    with ABC, all in one Yosys run and one ABC call."""
    if not functions:
        return []
    models = [_bdd_model(f"f{i}", k, t) for i, (k, t) in enumerate(functions)]
    return _run_merged(models, [(k, t.shape[0]) for k, t in functions])


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


def netlist_model(name: str, net: Netlist) -> str:
    """A BLIF model of a netlist (one `.names` per gate), inputs x…, outputs y…"""
    def sig(s: int) -> str:
        return ("c0", "c1")[s] if s < 2 else (f"x{s - 2}" if s < 2 + net.k else f"n{s}")

    lines = [f".model {name}", ".inputs " + " ".join(f"x{i}" for i in range(net.k)),
             ".outputs " + " ".join(f"y{j}" for j in range(net.outputs.size)),
             ".names c0", ".names c1", "1"]
    for g in range(net.n_gates):
        srcs = [sig(int(s)) for s in net.fanin[net.fanin_ptr[g]:net.fanin_ptr[g + 1]]]
        lut = net.lut_bits[net.lut_ptr[g]:net.lut_ptr[g + 1]]
        lines += _cover(sig(2 + net.k + g), srcs, gate_truth_table(int(net.codes[g]), len(srcs), lut))
    for j, s in enumerate(net.outputs.tolist()):
        lines += [f".names {sig(s)} y{j}", "1 1"]
    lines.append(".end")
    return "\n".join(lines)


def synthesize_netlists(nets: Sequence[Netlist]) -> list[Netlist]:
    """Re-synthesize netlists structurally with ABC (one Yosys run); areas by `GATE_AREA`."""
    if not nets:
        return []
    models = [netlist_model(f"f{i}", n) for i, n in enumerate(nets)]
    return _run_merged(models, [(n.k, n.outputs.size) for n in nets])


def netlist_depth(net: Netlist) -> int:
    """Gate levels on the longest input-to-output path."""
    level = np.zeros(2 + net.k + net.n_gates, dtype=np.int64)
    for g in range(net.n_gates):
        srcs = net.fanin[net.fanin_ptr[g]:net.fanin_ptr[g + 1]]
        level[2 + net.k + g] = 1 + (level[srcs].max() if srcs.size else 0)
    return int(level[net.outputs].max()) if net.outputs.size else 0
