"""Expressions: Verilog-2001 sizing rules, then bits, gates and word ops.

`size(e)` is the self-determined (width, signed) of an expression. `eval(e, W, S)` gives the
expression's W bits when it appears in a context of width W and signedness S: context-determined
operands (arithmetic, bitwise, `?:` arms, shifted value) are evaluated at W; operands extend to W
by sign only when the whole expression is signed (all its operands signed); self-determined
operands (comparison operands among themselves, shift amounts, reductions, logical operators,
concatenation items, `?:` conditions) are sized on their own.
"""

from __future__ import annotations

from collections.abc import Callable

from axc.frontend import limits
from axc.ir import FileLoc, InputError, Value
from axc.ir.dialects import word

from . import ast
from .parser import YOSYS_HINT
from .scope import Net, Param, Scope

__all__ = ["ExprEval", "Bits"]

Bits = list[Value]
Reader = Callable[[Net, int, FileLoc], Value]

_ARITH = {"+": word.AddOp, "-": word.SubOp, "*": word.MulOp}
_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_CONST_ONLY = ("/", "%", "**")


def _chain(e: ast.Binary) -> tuple[list[ast.Expr], list[ast.Binary]]:
    """The operands of a left-deep chain of one operator (`a - b - c`: a, b, c) and its nodes
    from the innermost out."""
    operands: list[ast.Expr] = []
    nodes: list[ast.Binary] = []
    node: ast.Expr = e
    while isinstance(node, ast.Binary) and node.op == e.op:
        operands.append(node.right)
        nodes.append(node)
        node = node.left
    operands.append(node)
    operands.reverse()
    nodes.reverse()
    return operands, nodes


def to_signed(value: int, width: int) -> int:
    return value - (1 << width) if width and (value >> (width - 1)) & 1 else value


class ExprEval:
    """Evaluates expressions of one scope; `reader` reads net bits (procedural code overrides it)."""

    def __init__(self, scope: Scope, reader: Reader | None = None) -> None:
        self.scope = scope
        self.design = scope.design
        self.b = scope.design.builder
        self.reader: Reader = reader or self.design.read

    # -- helpers ---------------------------------------------------------------------------
    def error(self, message: str, e: ast.Node) -> InputError:
        return self.design.error(message, e.line, e.col)

    def loc(self, e: ast.Node) -> FileLoc:
        return self.design.loc(e.line, e.col)

    def extend(self, bits: Bits, width: int, signed: bool) -> Bits:
        if len(bits) >= width:
            return bits[:width]
        fill = bits[-1] if signed and bits else self.b.zero
        return bits + [fill] * (width - len(bits))

    def lookup(self, e: ast.Ident) -> Net | Param:
        found = self.scope.lookup(e.name)
        if found is None:
            raise self.error(f"undeclared identifier '{e.name}'", e)
        return found

    def const(self, e: ast.Expr, what: str = "a constant expression") -> int:
        """The integer value of a constant expression (signed ones read as signed)."""
        bits, signed = self.value(e)
        value = self.b.const_value(bits)
        if value is None:
            raise self.error(f"expected {what}", e)
        return to_signed(value, len(bits)) if signed else value

    def value(self, e: ast.Expr) -> tuple[Bits, bool]:
        """Self-determined evaluation: the bits and the signedness."""
        width, signed = self.size(e)
        return self.eval(e, width, signed), signed

    # -- sizes -----------------------------------------------------------------------------
    def size(self, e: ast.Expr) -> tuple[int, bool]:
        """The self-determined (width, signed) of `e`; an error when wider than the bus limit."""
        width, signed = self._size(e)
        widest = limits.current().max_bus_width
        if width > widest:
            raise self.error(f"expression is {width} bits wide: above the limit of {widest} bits (--max-bus-width)", e)
        return width, signed

    def _size(self, e: ast.Expr) -> tuple[int, bool]:
        t = type(e)
        if t is ast.Ident:
            found = self.lookup(e)
            return found.width, found.signed
        if t is ast.Number:
            width = e.width if e.width is not None else max(32, e.value.bit_length())
            return width, e.signed
        if t is ast.Binary:
            op = e.op
            if op in ("&&", "||", "==", "!=", "===", "!==", "<", "<=", ">", ">="):
                return 1, False
            if op in ("<<", ">>", "<<<", ">>>", "**"):
                return self.size(e.left)
            sizes = [self.size(x) for x in _chain(e)[0]]
            return max(w for w, _ in sizes), all(sg for _, sg in sizes)
        if t is ast.Unary:
            if e.op in ("+", "-", "~"):
                return self.size(e.operand)
            return 1, False
        if t is ast.Index:
            return 1, False
        if t is ast.PartSelect:
            return abs(self.const(e.msb) - self.const(e.lsb)) + 1, False
        if t is ast.IndexedSelect:
            return self.const(e.width, "a constant part-select width"), False
        if t is ast.Ternary:
            (wa, sa), (wb, sb) = self.size(e.then), self.size(e.other)
            return max(wa, wb), sa and sb
        if t is ast.Concat:
            return sum(self.size(x)[0] for x in e.items), False
        if t is ast.Replicate:
            count = self.const(e.count, "a constant replication count")
            return count * sum(self.size(x)[0] for x in e.items), False
        if t is ast.SysCall:
            if e.name in ("$signed", "$unsigned") and len(e.args) == 1:
                return self.size(e.args[0])[0], e.name == "$signed"
            if e.name == "$clog2":
                return 32, True
            raise self.error(f"system function '{e.name}' is not supported; {YOSYS_HINT}", e)
        if t is ast.Call:
            raise self.error(f"function calls ('{e.name}') are not supported; {YOSYS_HINT}", e)
        raise self.error(f"unsupported expression; {YOSYS_HINT}", e)

    # -- evaluation ------------------------------------------------------------------------
    def eval(self, e: ast.Expr, width: int, signed: bool) -> Bits:
        t = type(e)
        if t is ast.Ident:
            return self.extend(self.ident_bits(e), width, signed)
        if t is ast.Number:
            own = e.width if e.width is not None else max(32, e.value.bit_length())
            return self.extend(self.b.const_bits(e.value, own), width, signed)
        if t is ast.Binary:
            return self.binary(e, width, signed)
        if t is ast.Unary:
            return self.unary(e, width, signed)
        if t in (ast.Index, ast.PartSelect, ast.IndexedSelect):
            return self.extend(self.select(e), width, False)
        if t is ast.Ternary:
            cond = self.b.reduce_or(self.value(e.cond)[0], self.loc(e))
            if self.b.is_const(cond):
                return self.eval(e.then if cond is self.b.one else e.other, width, signed)
            then = self.eval(e.then, width, signed)
            other = self.eval(e.other, width, signed)
            loc = self.loc(e)
            return [self.b.mux(cond, p, q, loc) for p, q in zip(then, other)]
        if t is ast.Concat:
            return self.extend(self.concat(e.items), width, False)
        if t is ast.Replicate:
            count = self.const(e.count, "a constant replication count")
            if count < 0:
                raise self.error("negative replication count", e.count)
            return self.extend(self.concat(e.items) * count, width, False)
        if t is ast.SysCall:
            if e.name == "$clog2":
                arg = self.const(e.args[0])
                value = max(0, (arg - 1).bit_length()) if arg > 0 else 0
                return self.extend(self.b.const_bits(value, 32), width, signed)
            self.size(e)
            return self.extend(self.value(e.args[0])[0], width, signed)
        self.size(e)
        raise self.error(f"unsupported expression; {YOSYS_HINT}", e)

    def ident_bits(self, e: ast.Ident) -> Bits:
        found = self.lookup(e)
        if isinstance(found, Param):
            return self.b.const_bits(found.value, found.width)
        loc = self.loc(e)
        return [self.reader(found, i, loc) for i in range(found.width)]

    def concat(self, items: list[ast.Expr]) -> Bits:
        bits: Bits = []
        for item in reversed(items):
            bits.extend(self.value(item)[0])
        return bits

    def unary(self, e: ast.Unary, width: int, signed: bool) -> Bits:
        op, loc = e.op, self.loc(e)
        if op == "+":
            return self.eval(e.operand, width, signed)
        if op == "-":
            bits = self.eval(e.operand, width, signed)
            return bits if width == 1 else self.b.word_op(word.NegOp, [bits], width, None, loc)
        if op == "~":
            return [self.b.not_(x, loc) for x in self.eval(e.operand, width, signed)]
        bits = self.value(e.operand)[0]
        if op == "!":
            bit = self.b.or_(bits, loc, negate=True)
        elif op in ("&", "~&"):
            bit = self.b.and_(bits, loc, negate=op == "~&")
        elif op in ("|", "~|"):
            bit = self.b.or_(bits, loc, negate=op == "~|")
        else:
            bit = self.b.xor_(bits, loc, negate=op != "^")
        return self.extend([bit], width, False)

    def binary(self, e: ast.Binary, width: int, signed: bool) -> Bits:
        op, loc, b = e.op, self.loc(e), self.b
        if op in ("&", "|", "^", "^~", "~^") or op in _ARITH:
            operands, nodes = _chain(e)  # `a & b & c ...` left to right, without recursion
            acc = self.eval(operands[0], width, signed)
            for node, x in zip(nodes, operands[1:]):
                acc = self.combine(op, acc, self.eval(x, width, signed), width, signed,
                                   self.loc(node))
            return acc
        if op in _CONST_ONLY:
            return self.const_arith(e, width, signed)
        if op in ("&&", "||"):
            left = b.reduce_or(self.value(e.left)[0], loc)
            right = b.reduce_or(self.value(e.right)[0], loc)
            bit = b.and_([left, right], loc) if op == "&&" else b.or_([left, right], loc)
            return self.extend([bit], width, False)
        if op in ("==", "!=", "===", "!==", "<", "<=", ">", ">="):
            return self.extend([self.compare(e)], width, False)
        if op in ("<<", ">>", "<<<", ">>>"):
            return self.shift(e, width, signed)
        raise self.error(f"operator '{op}' is not supported; {YOSYS_HINT}", e)

    def combine(self, op: str, left: Bits, right: Bits, width: int, signed: bool,
                loc: FileLoc) -> Bits:
        """`left op right` for a context-determined bitwise or arithmetic operator."""
        b = self.b
        if op == "&":
            return [b.and_([p, q], loc) for p, q in zip(left, right)]
        if op == "|":
            return [b.or_([p, q], loc) for p, q in zip(left, right)]
        if op in ("^", "^~", "~^"):
            return [b.xor_([p, q], loc, negate=op != "^") for p, q in zip(left, right)]
        if width == 1:
            return [b.and_(left + right, loc) if op == "*" else b.xor_(left + right, loc)]
        attrs = {"signed": signed} if op == "*" else None
        return b.word_op(_ARITH[op], [left, right], width, attrs, loc)

    def compare(self, e: ast.Binary) -> Value:
        (wa, sa), (wb, sb) = self.size(e.left), self.size(e.right)
        width, signed = max(wa, wb), sa and sb
        left = self.eval(e.left, width, signed)
        right = self.eval(e.right, width, signed)
        loc, b, op = self.loc(e), self.b, e.op
        if op in ("==", "===", "!=", "!==") and width == 1:
            return b.xor_(left + right, loc, negate=op in ("==", "==="))
        if op in ("==", "===", "!=", "!=="):
            pred = "eq" if op in ("==", "===") else "ne"
        else:
            pred = ("s" if signed else "u") + _COMPARE[op]
        return b.word_op(word.CmpOp, [left, right], 1, {"pred": pred}, loc)[0]

    def shift(self, e: ast.Binary, width: int, signed: bool) -> Bits:
        value = self.eval(e.left, width, signed)
        amount = self.value(e.right)[0]
        arith = e.op == ">>>" and signed
        k = self.b.const_value(amount)
        if k is not None:
            k = min(k, width)
            if e.op in ("<<", "<<<"):
                return [self.b.zero] * k + value[: width - k]
            fill = value[-1] if arith else self.b.zero
            return value[k:] + [fill] * k
        cls = word.ShlOp if e.op in ("<<", "<<<") else word.ShrOp
        attrs = {"arith": True} if arith else None
        return self.b.word_op(cls, [value, amount], width, attrs, self.loc(e))

    def const_arith(self, e: ast.Binary, width: int, signed: bool) -> Bits:
        left = self.b.const_value(self.eval(e.left, width, signed) if e.op != "**"
                                  else self.value(e.left)[0])
        right = self.b.const_value(self.eval(e.right, width, signed) if e.op != "**"
                                   else self.value(e.right)[0])
        if left is None or right is None:
            raise self.error(f"operator '{e.op}' needs constant operands here; "
                             "division, modulo and power of signals are not supported: "
                             f"{YOSYS_HINT}", e)
        if signed:
            left, right = to_signed(left, width), to_signed(right, width)
        if e.op == "**":
            value = left ** right if right >= 0 else 0
        elif right == 0:
            raise self.error(f"constant {'division' if e.op == '/' else 'modulo'} by zero", e)
        else:
            quotient = abs(left) // abs(right) * (1 if (left < 0) == (right < 0) else -1)
            value = quotient if e.op == "/" else left - quotient * right
        return self.b.const_bits(value & ((1 << width) - 1), width)

    # -- assignment targets ----------------------------------------------------------------
    def lvalue(self, e: ast.Expr) -> list[tuple[Net, int]]:
        """The net bits an assignment target names, LSB first."""
        if isinstance(e, ast.Concat):
            out: list[tuple[Net, int]] = []
            for item in reversed(e.items):
                out.extend(self.lvalue(item))
            return out
        base = e if isinstance(e, ast.Ident) else getattr(e, "base", None)
        if not isinstance(base, ast.Ident) or type(e) not in (
                ast.Ident, ast.Index, ast.PartSelect, ast.IndexedSelect):
            raise self.error("not a valid assignment target (a net, a select of a net, or a "
                             "concatenation of those)", e)
        net = self.lookup(base)
        if not isinstance(net, Net):
            raise self.error(f"cannot assign to constant '{base.name}'", e)
        if isinstance(e, ast.Ident):
            return [(net, i) for i in range(net.width)]
        positions = self.select_positions(e, net)
        if positions is None:
            raise self.error(f"assignment to a variable index of '{base.name}' is not supported; "
                             f"{YOSYS_HINT}", e)
        return [(net, p) for p in positions]

    # -- selects ---------------------------------------------------------------------------
    def select(self, e: ast.Expr) -> Bits:
        base = e.base
        if not isinstance(base, ast.Ident):
            raise self.error(f"only names can be indexed here; {YOSYS_HINT}", e)
        found = self.lookup(base)
        positions = self.select_positions(e, found)
        if positions is None:
            return self.variable_select(e, found)
        if isinstance(found, Param):
            return [self.b.one if (found.value >> p) & 1 else self.b.zero for p in positions]
        loc = self.loc(e)
        return [self.reader(found, p, loc) for p in positions]

    def select_positions(self, e: ast.Expr, found: Net | Param) -> list[int] | None:
        """Bit positions (LSB first) a constant select covers; None for a variable index."""
        msb, lsb = (found.msb, found.lsb) if isinstance(found, Net) else (found.width - 1, 0)

        def position(index: int, node: ast.Node) -> int:
            pos = index - lsb if msb >= lsb else lsb - index
            if not 0 <= pos < found.width:
                name = getattr(e.base, "name", "?")
                raise self.error(f"index {index} is outside '{name}' [{msb}:{lsb}]", node)
            return pos

        if isinstance(e, ast.Index):
            index_bits, index_signed = self.value(e.index)
            k = self.b.const_value(index_bits)
            if k is None:
                return None
            return [position(to_signed(k, len(index_bits)) if index_signed else k, e.index)]
        if isinstance(e, ast.PartSelect):
            hi, lo = position(self.const(e.msb), e.msb), position(self.const(e.lsb), e.lsb)
            return list(range(min(hi, lo), max(hi, lo) + 1))
        width = self.const(e.width, "a constant part-select width")
        start_bits, start_signed = self.value(e.start)
        k = self.b.const_value(start_bits)
        if k is None:
            return None
        k = to_signed(k, len(start_bits)) if start_signed else k
        first, last = (k, k + width - 1) if e.up else (k - width + 1, k)
        a, z = position(first, e.start), position(last, e.start)
        return list(range(min(a, z), max(a, z) + 1))

    def variable_select(self, e: ast.Expr, found: Net | Param) -> Bits:
        msb, lsb = (found.msb, found.lsb) if isinstance(found, Net) else (found.width - 1, 0)
        index = e.index if isinstance(e, ast.Index) else e.start
        if lsb != 0 or msb < lsb or (isinstance(e, ast.IndexedSelect) and not e.up):
            raise self.error(f"variable selects are supported on [N:0] vectors with '[i]' or "
                             f"'[i +: w]' only; {YOSYS_HINT}", e)
        width = 1 if isinstance(e, ast.Index) else self.const(e.width)
        bits = self.ident_bits(e.base)
        amount = self.value(index)[0]
        return self.b.word_op(word.ShrOp, [bits, amount], len(bits), None, self.loc(e))[:width]
