"""The rewrite layer: a `Builder` that creates ops in a graph, and a driver of rewrite patterns.

Passes do their graph surgery through it instead of by hand:

```python
b = Builder(graph)
w = b.constant(array, "conv1_weight")                    # an nn.constant, fresh name
y = b.create(nn.AddOp, [x, w], [x.type], names=["sum"]).result
b.replace(op, [y])                                        # every use of op's result -> y; op erased
b.erase_dead([w_old])                                     # unused producers, back along operands
```

Names given to `create`/`constant` are bases: the builder returns `base`, or `base_N` when a
value of the graph already has that name (likewise `fresh_node` for node locations). A
`RewritePattern` rewrites one kind of op; `apply_patterns` tries the patterns once on every op of
a graph (a snapshot; ops erased meanwhile are skipped) and counts the rewrites of each;
`@pattern(name, OpClass)` makes one of a plain function.
The queries that rewrites of `nn` graphs share (`constant_array`, `only_reader`,
`per_channel_vector`) live here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from .attributes import DenseArray
from .core import Graph, Op, Value
from .diagnostics import Location, NameLoc
from .dialects import nn
from .dtypes import dtype_of_array
from .types import TensorType, Type

__all__ = [
    "Builder", "RewritePattern", "apply_patterns", "constant_array", "only_reader", "pattern",
    "per_channel_vector",
]


def _fresh(base: str, used: set[str | None]) -> str:
    name, i = base, 1
    while name in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name)
    return name


class Builder:
    """Creates ops in `graph` with fresh value names; replaces and erases ops."""

    def __init__(self, graph: Graph, loc: Location | None = None) -> None:
        self.graph = graph
        self.loc = loc
        """The location of created ops that are given none."""
        self._value_names: set[str | None] | None = None
        self._node_names: set[str | None] | None = None

    @property
    def _values(self) -> set[str | None]:
        if self._value_names is None:
            graph = self.graph
            self._value_names = {v.name for v in graph.inputs} | {r.name for op in graph.ops for r in op.results}
        return self._value_names

    def fresh_name(self, base: str) -> str:
        """`base`, or `base_N`, used by no value of the graph (and reserved from now on)."""
        return _fresh(base, self._values)

    def fresh_node(self, base: str) -> NameLoc:
        """A node location named `base` or `base_N`, used by no op of the graph."""
        if self._node_names is None:
            self._node_names = {op.loc.name for op in self.graph.ops if isinstance(op.loc, NameLoc)}
        return NameLoc(_fresh(base, self._node_names))

    def create(self, cls: type[Op], operands: Sequence[Value], result_types: Sequence[Type],
               attributes: dict[str, Any] | None = None, *, names: Sequence[str | None] | None = None,
               loc: Location | None = None) -> Op:
        """A new op of class `cls`; its results are named after `names` (bases made fresh)."""
        fresh = [None if n is None else self.fresh_name(n) for n in names] if names else None
        return self.graph.create(cls, list(operands), list(result_types), attributes,
                                 loc=loc if loc is not None else self.loc, names=fresh)

    def constant(self, array: Any, name: str | None, dtype: str | None = None, loc: Location | None = None,
                 *, takes_over: bool = False) -> Value:
        """A new `nn.constant` holding `array` (IR element type `dtype`, else from the array).
        With `takes_over`, it is named `name` exactly: it takes the place of the value of that
        name, which the caller erases."""
        array = np.asarray(array, order="C")
        t = TensorType(tuple(int(d) for d in array.shape), dtype or dtype_of_array(array))
        attrs = {"value": DenseArray(array)}
        if takes_over or name is None:
            self._values.add(name)
            return self.graph.create(nn.ConstantOp, [], [t], attrs, loc=loc or self.loc, names=[name]).result
        return self.create(nn.ConstantOp, [], [t], attrs, names=[name], loc=loc).result

    def erase(self, op: Op) -> None:
        """Remove `op` (nothing may read its results)."""
        self.graph.erase(op)

    def replace(self, op: Op, values: Sequence[Value]) -> None:
        """Make every reader of `op`'s results read `values` instead, then erase `op`."""
        for old, new in zip(op.results, values, strict=True):
            old.replace_all_uses_with(new)
        self.erase(op)

    def erase_dead(self, values: Iterable[Value], erasable: Callable[[Op], bool] = lambda op: True) -> None:
        """Erase the producers of `values` that nothing reads any more, and theirs in turn, as far
        as `erasable` allows."""
        pending = list(values)
        while pending:
            op = pending.pop().owner
            if (op is None or op.graph is not self.graph or any(r.has_uses for r in op.results)
                    or not erasable(op)):
                continue
            pending.extend(op.operands)
            self.erase(op)


class RewritePattern:
    """Rewrites ops of the classes in `root`; `rewrite` returns whether it changed the graph."""

    name: ClassVar[str] = "pattern"
    root: ClassVar[tuple[type[Op], ...]] = ()

    def rewrite(self, op: Op, builder: Builder) -> bool:
        raise NotImplementedError


class _FunctionPattern(RewritePattern):
    def __init__(self, name: str, root: tuple[type[Op], ...], fn: Callable[[Op, Builder], bool]) -> None:
        self.name = name
        self.root = root
        self.fn = fn
        self.__doc__ = fn.__doc__

    def rewrite(self, op: Op, builder: Builder) -> bool:
        return self.fn(op, builder)


def pattern(name: str, *root: type[Op]) -> Callable[[Callable[[Op, Builder], bool]], RewritePattern]:
    """Decorator: a function `(op, builder) -> changed` as a `RewritePattern` on ops of `root`."""
    return lambda fn: _FunctionPattern(name, root, fn)


def apply_patterns(graphs: Graph | Iterable[Graph], patterns: Sequence[RewritePattern]) -> dict[str, int]:
    """Try `patterns` in order on every op of each graph (the first that rewrites an op wins);
    the number of rewrites per pattern name, over all graphs."""
    counts = {p.name: 0 for p in patterns}
    for graph in [graphs] if isinstance(graphs, Graph) else graphs:
        builder = Builder(graph)
        for op in list(graph.ops):
            for p in patterns:
                if op.graph is graph and isinstance(op, p.root) and p.rewrite(op, builder):
                    counts[p.name] += 1
                    break
    return counts


def constant_array(value: Value) -> np.ndarray | None:
    """The tensor of an `nn.constant` result (None for any other value)."""
    op = value.owner
    if isinstance(op, nn.ConstantOp):
        return op.attr("value").array
    return None


def only_reader(value: Value) -> Op | None:
    """The one op that reads `value`, when it is read exactly once and is not a graph output."""
    uses = value.uses
    if len(uses) != 1:
        return None
    user = uses[0].op
    graph = value.graph
    if graph is not None and user is graph.output_op:
        return None
    return user


def per_channel_vector(array: np.ndarray, out_rank: int, channels: int, axis: int = 1) -> np.ndarray | None:
    """`array` as a vector of `channels` entries when it broadcasts along `axis` of a rank-`out_rank`
    tensor only (every other axis of size 1, no extra leading axes); None otherwise."""
    if array.ndim > out_rank:
        return None
    shape = (1,) * (out_rank - array.ndim) + tuple(array.shape)
    for i, d in enumerate(shape):
        if i != axis and d != 1:
            return None
    if shape[axis] not in (1, channels):
        return None
    return np.broadcast_to(array.reshape(-1), (channels,)).copy() if shape[axis] == 1 else array.reshape(channels).copy()
