"""Nets, parameters and scopes of the elaborator, and how net bits get driven and read.

A net is a list of bit slots. Reading a slot that nothing has driven yet hands out a
placeholder (a `logic.const` op marked in `Design.placeholders`); driving the slot later
replaces every use of the placeholder and forwards it, so statements may appear in any order.
Two drivers of one bit are an error unless the two statements are verbatim copies (EvoApproxLib
files repeat some statements); the copy is then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axc.frontend import limits
from axc.ir import FileLoc, Graph, InputError, Value, i1
from axc.ir.dialects import logic

from .builder import Builder

__all__ = ["Design", "Net", "Param", "Scope"]


@dataclass(eq=False)
class Net:
    """A declared (or implicit) wire/reg/port: `width` bits, Verilog index `lsb` at bit 0."""

    name: str
    path: str
    """Hierarchical name used for value names (`u1.sum`)."""
    kind: str
    width: int
    msb: int
    lsb: int
    signed: bool
    loc: FileLoc
    depth: int
    bits: list[Value | None] = field(default_factory=list)
    drivers: list[FileLoc | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        widest = limits.current().max_bus_width
        if self.width > widest:
            raise InputError(f"'{self.name}' is {self.width} bits wide: above the limit of "
                             f"{widest} bits (--max-bus-width)", self.loc)
        self.bits = [None] * self.width
        self.drivers = [None] * self.width

    def position(self, index: int) -> int | None:
        """Bit position (0 = LSB) of Verilog index `index`, None when out of range."""
        pos = index - self.lsb if self.msb >= self.lsb else self.lsb - index
        return pos if 0 <= pos < self.width else None

    def bit_name(self, pos: int) -> str:
        if self.width == 1 and self.msb == self.lsb == 0:
            return self.path
        index = self.lsb + pos if self.msb >= self.lsb else self.lsb - pos
        return f"{self.path}[{index}]"


@dataclass(frozen=True)
class Param:
    """A constant: parameter, localparam, genvar or loop variable (LSB-first bit values)."""

    value: int
    width: int
    signed: bool


class Scope:
    """Names visible in one module instance or generate block (lookups go to the parent)."""

    def __init__(self, design: Design, module: str, path: str, depth: int,
                 parent: Scope | None = None) -> None:
        self.design = design
        self.module = module
        self.path = path
        self.depth = depth
        self.parent = parent
        self.nets: dict[str, Net] = {}
        self.params: dict[str, Param] = {}

    def lookup(self, name: str) -> Net | Param | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.params.get(name) or scope.nets.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None

    def prefixed(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


class Design:
    """Shared state of one elaboration: the graph, its builder, placeholders, forwarding."""

    def __init__(self, graph: Graph, file: str, source: str) -> None:
        self.graph = graph
        self.file = file
        self.source = source
        self.builder = Builder(graph)
        self.placeholders: dict[Value, tuple[Net, int, FileLoc]] = {}
        self.forward: dict[Value, Value] = {}
        self.name_depth: dict[Value, int] = {}
        self.mark = 0
        self.declared_bits = 0
        """Bits of all nets declared so far (at most `limits.current().max_total_bits`)."""
        """Index into `builder.created` where the statement being elaborated began."""
        self._line_starts: list[int] | None = None
        self.initial: dict[Net, tuple[int, FileLoc]] = {}
        """Initial values of variables (`reg r = 3;`, `initial r = 3;`) not yet used as a register's init."""
        self.clocked_temps: dict[Net, FileLoc] = {}
        """Variables assigned with `=` in a clocked block (block-local: never driven), where."""

    def begin_statement(self) -> int:
        """Mark the start of a statement; returns the previous mark (to restore)."""
        previous = self.mark
        self.mark = len(self.builder.created)
        return previous

    def loc(self, line: int, col: int) -> FileLoc:
        return FileLoc(self.file, line, col)

    def count_bits(self, net: Net) -> None:
        """Add a declared net to `declared_bits`; an error at it past `max_total_bits`."""
        self.declared_bits += net.width
        most = limits.current().max_total_bits
        if self.declared_bits > most:
            raise InputError(f"the design declares more than {most} bits of nets (--max-total-bits) "
                             f"(at '{net.path}')", net.loc, source=self.source)

    def error(self, message: str, line: int, col: int, span: int = 1) -> InputError:
        return InputError(message, self.loc(line, col), source=self.source, span=span)

    def resolve(self, v: Value) -> Value:
        while v in self.forward:
            v = self.forward[v]
        return v

    def read(self, net: Net, pos: int, loc: FileLoc) -> Value:
        v = net.bits[pos]
        if v is None:
            v = self.builder.create(logic.ConstOp, (), [i1], {"value": 0}).result
            self.placeholders[v] = (net, pos, loc)
            net.bits[pos] = v
            return v
        return self.resolve(v)

    def drive(self, net: Net, pos: int, value: Value, loc: FileLoc) -> None:
        value = self.resolve(value)
        current = net.bits[pos]
        if current is not None:
            current = self.resolve(current)
        if current is not None and current in self.placeholders:
            if current is value:
                raise InputError(f"net '{net.path}' is assigned to itself (a combinational loop)",
                                 loc, source=self.source)
            del self.placeholders[current]
            current.replace_all_uses_with(value)
            self.graph.erase(current.owner)
            self.forward[current] = value
        elif current is not None:
            first = net.drivers[pos]
            if current is value:
                return
            if first is not None and first != loc \
                    and self.statement_text(first) == self.statement_text(loc):
                self.discard_statement()
                return
            where = f" (first driven at line {first.line})" if first else ""
            raise InputError(f"bit {pos} of net '{net.path}' has more than one driver{where}",
                             loc, source=self.source)
        net.bits[pos] = value
        net.drivers[pos] = loc
        self.name_value(value, net.bit_name(pos), net.depth)

    def statement_text(self, loc: FileLoc) -> str:
        """The source from `loc` to the next ';', whitespace-normalised."""
        if self._line_starts is None:
            starts = [0]
            at = self.source.find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = self.source.find("\n", at + 1)
            self._line_starts = starts
        start = self._line_starts[loc.line - 1] + loc.col - 1
        end = self.source.find(";", start)
        return " ".join(self.source[start: end if end >= 0 else len(self.source)].split())

    def discard_statement(self) -> None:
        """Erase what the current statement created that nothing reads (a verbatim repeat)."""
        created = self.builder.created
        fresh = created[self.mark:]
        del created[self.mark:]
        for op in reversed(fresh):
            if op.graph is self.graph and not any(r.has_uses for r in op.results) \
                    and op.results[0] not in self.placeholders:
                self.graph.erase(op)

    def name_value(self, value: Value, name: str, depth: int) -> None:
        """Give `value` the net name unless it has one from a shallower scope or is a port/constant."""
        if value.owner is None or self.builder.is_const(value):
            return
        if value.name is None or self.name_depth.get(value, 1 << 30) > depth:
            value.name = name
            self.name_depth[value] = depth
