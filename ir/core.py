"""The IR core: `Value`, `Use`, `Op`, `Graph`, `Module`.

A `Module` holds named `Graph`s (its symbol table). A `Graph` is an SSA dataflow DAG: graph
inputs and op results are `Value`s; one `output` op names the graph's outputs. Every value keeps
the set of its uses; operand edits (`Op.set_operand`, `Value.replace_all_uses_with`,
`Graph.erase`) keep those sets consistent. The core knows no dialect: ops are classes declared in
`ir.dialects`, see `ir.dialect` for the declaration mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from .attributes import canonical_attr
from .diagnostics import Location, VerifyError
from .types import Type

__all__ = ["Graph", "Module", "Op", "Use", "Value"]


class Use(NamedTuple):
    """Operand slot `index` of `op` reads a value."""

    op: Op
    index: int


class Value:
    """An SSA value: a graph input (`owner` is None) or result `index` of op `owner`."""

    __slots__ = ("type", "name", "owner", "index", "graph", "_uses", "__weakref__")

    def __init__(
        self, type: Type, name: str | None = None, owner: Op | None = None, index: int = 0
    ) -> None:
        self.type = type
        self.name = name
        self.owner = owner
        self.index = index
        self.graph: Graph | None = None
        self._uses: dict[Use, None] = {}

    @property
    def uses(self) -> tuple[Use, ...]:
        return tuple(self._uses)

    @property
    def has_uses(self) -> bool:
        return bool(self._uses)

    def users(self) -> list[Op]:
        """The distinct ops that read this value, in first-use order."""
        return list(dict.fromkeys(u.op for u in self._uses))

    @property
    def is_input(self) -> bool:
        return self.owner is None

    def replace_all_uses_with(self, new: Value) -> None:
        """Make every reader of this value read `new` instead."""
        if new is self:
            return
        for use in list(self._uses):
            use.op.set_operand(use.index, new)

    def __repr__(self) -> str:
        origin = self.owner.name if self.owner is not None else "input"
        return f"<Value %{self.name or '?'}: {self.type} from {origin}>"


class Op:
    """An operation. Subclasses set `name` ("dialect.op") and the declarations of `ir.dialect`.

    `attributes` are semantic (printed, verified, hashed by `cse`); `meta` is scratch space that
    passes may use and that is neither printed nor verified.
    """

    name: ClassVar[str] = "builtin.unknown"
    __slots__ = ("_operands", "results", "attributes", "meta", "loc", "graph")

    def __init__(
        self,
        operands: Sequence[Value] = (),
        result_types: Sequence[Type] = (),
        attributes: Mapping[str, Any] | None = None,
        loc: Location | None = None,
        result_names: Sequence[str | None] | None = None,
    ) -> None:
        self._operands: list[Value] = []
        self.graph: Graph | None = None
        self.loc = loc
        self.meta: dict[str, Any] = {}
        self.attributes: dict[str, Any] = {
            k: canonical_attr(v) for k, v in (attributes or {}).items()
        }
        names = list(result_names or [])
        names += [None] * (len(result_types) - len(names))
        self.results: list[Value] = [
            Value(t, n, self, i) for i, (t, n) in enumerate(zip(result_types, names, strict=True))
        ]
        for v in operands:
            self._append_operand(v)

    # -- operands -------------------------------------------------------------------------
    @property
    def operands(self) -> tuple[Value, ...]:
        return tuple(self._operands)

    def operand(self, i: int) -> Value:
        return self._operands[i]

    def _append_operand(self, v: Value) -> None:
        if not isinstance(v, Value):
            raise TypeError(f"{self.name}: operand {len(self._operands)} is not a Value: {v!r}")
        self._operands.append(v)
        v._uses[Use(self, len(self._operands) - 1)] = None

    def set_operand(self, i: int, v: Value) -> None:
        old = self._operands[i]
        del old._uses[Use(self, i)]
        self._operands[i] = v
        v._uses[Use(self, i)] = None

    def set_operands(self, values: Sequence[Value]) -> None:
        self.drop_operands()
        for v in values:
            self._append_operand(v)

    def drop_operands(self) -> None:
        for i, v in enumerate(self._operands):
            del v._uses[Use(self, i)]
        self._operands = []

    # -- results and attributes ------------------------------------------------------------
    @property
    def result(self) -> Value:
        """The single result (an error for ops with zero or several results)."""
        if len(self.results) != 1:
            raise ValueError(f"{self.name} has {len(self.results)} results, not one")
        return self.results[0]

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)

    def set_attr(self, key: str, value: Any) -> None:
        self.attributes[key] = canonical_attr(value)

    @property
    def dialect(self) -> str:
        return self.name.split(".", 1)[0] if "." in self.name else "builtin"

    def verify_(self) -> None:
        """Op-specific checks (widths, shapes); raise `VerifyError` via `self.error()`."""

    def error(self, message: str) -> VerifyError:
        return VerifyError(f"'{self.name}' op {message}", self.loc)

    def __repr__(self) -> str:
        res = ", ".join(f"%{r.name or '?'}" for r in self.results)
        return f"<{self.name} -> {res}>"


class Graph:
    """An SSA dataflow DAG with named inputs and one `output` op naming its outputs.

    `kind` says what the graph describes: "hw" (a circuit), "nn" (a network) or another word.
    Ops are kept in insertion order in an ordered set, so erasing while iterating over
    `list(graph.ops)` is safe; `topo_order()` gives a dependency order.
    """

    terminator: ClassVar[type[Op]]
    """The op class of every graph's `output` op (`builtin.output`, set by the builtin dialect)."""

    def __init__(self, name: str, kind: str = "hw", attributes: Mapping[str, Any] | None = None):
        self.name = name
        self.kind = kind
        self.attributes: dict[str, Any] = {
            k: canonical_attr(v) for k, v in (attributes or {}).items()
        }
        self.inputs: list[Value] = []
        self._ops: dict[Op, None] = {}
        self.module: Module | None = None
        self.loc: Location | None = None
        self.output_op: Op = self.terminator(())
        self.output_op.graph = self

    # -- inputs and outputs ----------------------------------------------------------------
    def add_input(self, name: str, type: Type) -> Value:
        v = Value(type, name)
        v.graph = self
        v.index = len(self.inputs)
        self.inputs.append(v)
        return v

    def input(self, name: str) -> Value:
        for v in self.inputs:
            if v.name == name:
                return v
        raise KeyError(f"graph @{self.name} has no input '{name}'")

    @property
    def outputs(self) -> tuple[Value, ...]:
        return self.output_op.operands

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(self.output_op.attr("names", ()))

    def set_outputs(self, values: Sequence[Value], names: Sequence[str] | None = None) -> None:
        if names is None:
            names = [v.name or f"out{i}" for i, v in enumerate(values)]
        if len(names) != len(values):
            raise ValueError("one output name per output value")
        self.output_op.set_operands(values)
        self.output_op.set_attr("names", tuple(names))

    def add_output(self, name: str, value: Value) -> None:
        self.set_outputs([*self.outputs, value], [*self.output_names, name])

    def output(self, name: str) -> Value:
        for n, v in zip(self.output_names, self.outputs):
            if n == name:
                return v
        raise KeyError(f"graph @{self.name} has no output '{name}'")

    # -- ops -------------------------------------------------------------------------------
    @property
    def ops(self) -> Iterator[Op]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def add(self, op: Op) -> Op:
        if op.graph is not None:
            raise ValueError(f"{op.name} already belongs to graph @{op.graph.name}")
        op.graph = self
        for r in op.results:
            r.graph = self
        self._ops[op] = None
        return op

    def create(
        self,
        op_class: type[Op],
        operands: Sequence[Value] = (),
        result_types: Sequence[Type] = (),
        attributes: Mapping[str, Any] | None = None,
        loc: Location | None = None,
        names: Sequence[str | None] | None = None,
    ) -> Op:
        """Build an op of `op_class` and add it to this graph."""
        return self.add(op_class(operands, result_types, attributes, loc, names))

    def erase(self, op: Op, *, force: bool = False) -> None:
        """Remove `op`; its results must be unused unless `force` (then readers keep dangling values)."""
        if not force:
            for r in op.results:
                if r.has_uses:
                    raise ValueError(f"cannot erase {op.name}: result %{r.name} still in use")
        op.drop_operands()
        del self._ops[op]
        op.graph = None

    def contains(self, op: Op) -> bool:
        return op in self._ops

    def topo_order(self) -> list[Op]:
        """Ops in dependency order, stable with respect to insertion order.

        Raises `VerifyError` if the graph has a cycle.
        """
        pending: dict[Op, int] = {}
        ready: list[Op] = []
        for op in self._ops:
            n = sum(1 for v in op._operands if v.owner is not None and v.owner in self._ops)
            pending[op] = n
            if n == 0:
                ready.append(op)
        order: list[Op] = []
        ready.reverse()
        while ready:
            op = ready.pop()
            order.append(op)
            released = []
            for r in op.results:
                for use in r._uses:
                    user = use.op
                    if user in pending:
                        pending[user] -= 1
                        if pending[user] == 0:
                            released.append(user)
            ready.extend(reversed(released))
        if len(order) != len(self._ops):
            stuck = next(op for op, n in pending.items() if n > 0 and op not in set(order))
            raise VerifyError(f"graph @{self.name} has a combinational cycle through '{stuck.name}'", stuck.loc)
        return order

    def ops_of(self, *classes: type[Op]) -> list[Op]:
        return [op for op in self._ops if isinstance(op, classes)]

    def copy_ops(self, ops: Iterable[Op], vmap: dict[Value, Value]) -> None:
        """Add a copy of each of `ops` (in dependency order, from any graph) to this graph, its
        operands read through `vmap`, which learns every copied result."""
        for op in ops:
            new = type(op)([vmap[v] for v in op._operands], [r.type for r in op.results], op.attributes, op.loc,
                           [r.name for r in op.results])
            new.meta = dict(op.meta)
            self.add(new)
            vmap.update(zip(op.results, new.results))

    def clone(self, name: str | None = None) -> Graph:
        """A deep copy (ops, values, attributes, locations; `meta` is shallow-copied)."""
        g = Graph(name or self.name, self.kind, self.attributes)
        g.loc = self.loc
        vmap: dict[Value, Value] = {}
        for v in self.inputs:
            vmap[v] = g.add_input(v.name or f"in{len(g.inputs)}", v.type)
        g.copy_ops(self.topo_order(), vmap)
        g.set_outputs([vmap[v] for v in self.outputs], self.output_names)
        return g

    def __repr__(self) -> str:
        return f"<Graph @{self.name} kind={self.kind} ops={len(self._ops)}>"


class Module:
    """Named graphs (the symbol table), module attributes and the name of the top graph."""

    def __init__(self, attributes: Mapping[str, Any] | None = None) -> None:
        self.graphs: dict[str, Graph] = {}
        self.attributes: dict[str, Any] = {
            k: canonical_attr(v) for k, v in (attributes or {}).items()
        }
        self.top: str | None = None

    def add_graph(self, graph: Graph, *, top: bool = False) -> Graph:
        if graph.name in self.graphs:
            raise ValueError(f"module already has a graph @{graph.name}")
        graph.module = self
        self.graphs[graph.name] = graph
        if top or self.top is None:
            self.top = graph.name
        return graph

    def remove_graph(self, name: str) -> None:
        g = self.graphs.pop(name)
        g.module = None
        if self.top == name:
            self.top = next(iter(self.graphs), None)

    def lookup(self, symbol: str) -> Graph:
        try:
            return self.graphs[symbol]
        except KeyError:
            raise KeyError(f"no graph @{symbol} in module") from None

    @property
    def top_graph(self) -> Graph:
        if self.top is None:
            raise ValueError("module has no graphs")
        return self.graphs[self.top]

    def unique_name(self, base: str) -> str:
        if base not in self.graphs:
            return base
        i = 1
        while f"{base}_{i}" in self.graphs:
            i += 1
        return f"{base}_{i}"

    def clone(self) -> Module:
        m = Module(self.attributes)
        for g in self.graphs.values():
            m.add_graph(g.clone())
        m.top = self.top
        return m

    def all_ops(self) -> Iterable[Op]:
        for g in self.graphs.values():
            yield from g.ops

    def __repr__(self) -> str:
        return f"<Module top=@{self.top} graphs={list(self.graphs)}>"
