"""A minimal binary AIGER (`aig M I L O A`) reader for benchmarks and tests.

Builds a `hw` graph with one 1-bit port per AIGER input/output (named by the symbol table,
e.g. `a[0]`), one `logic.and` per AND node and one shared `logic.not` per complemented literal.
It exists so that the simulator benchmark can count AIG nodes exactly; the project's circuit
frontends are Verilog/BLIF/.bench.
"""

from __future__ import annotations

from pathlib import Path

from axc.ir import Graph, InputError, IntType, Module, Value, i1
from axc.ir.dialects import logic

__all__ = ["read_aiger"]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def read_aiger(path: str | Path) -> tuple[Module, int]:
    """The circuit of a binary AIGER file and its number of AND nodes."""
    data = Path(path).read_bytes()
    header_end = data.index(b"\n")
    fields = data[:header_end].split()
    if fields[0] != b"aig" or len(fields) < 6:
        raise InputError(f"{path}: not a binary AIGER file")
    _, n_in, n_latch, n_out, n_and = (int(x) for x in fields[1:6])
    if n_latch:
        raise InputError(f"{path}: latches are not supported")
    pos = header_end + 1
    out_lits = []
    for _ in range(n_out):
        end = data.index(b"\n", pos)
        out_lits.append(int(data[pos:end]))
        pos = end + 1
    ands = []
    for i in range(n_and):
        lhs = 2 * (n_in + i + 1)
        d0, pos = _varint(data, pos)
        d1, pos = _varint(data, pos)
        ands.append((lhs - d0, lhs - d0 - d1))
    names = {}
    for line in data[pos:].split(b"\n"):
        if line[:1] in (b"i", b"o") and line[1:2].isdigit():
            idx, name = line.split(b" ", 1)
            names[line[:1].decode() + idx[1:].decode()] = name.decode()
        elif line.startswith(b"c"):
            break

    graph = Graph(Path(path).stem, kind="hw")
    var: dict[int, Value] = {}
    zero = graph.create(logic.ConstOp, [], [i1], {"value": 0}).result
    var[0] = zero
    for i in range(n_in):
        var[i + 1] = graph.add_input(names.get(f"i{i}", f"i{i}"), IntType(1))
    negated: dict[int, Value] = {}

    def lit(x: int) -> Value:
        v = var[x >> 1]
        if not x & 1:
            return v
        if x >> 1 not in negated:
            negated[x >> 1] = graph.create(logic.NotOp, [v], [i1]).result
        return negated[x >> 1]

    for i, (a, b) in enumerate(ands):
        var[n_in + i + 1] = graph.create(logic.AndOp, [lit(a), lit(b)], [i1]).result
    for j, x in enumerate(out_lits):
        graph.add_output(names.get(f"o{j}", f"o{j}"), lit(x))
    module = Module()
    module.add_graph(graph, top=True)
    return module, n_and
