"""BLIF text: the project's one BLIF reader and one BLIF writer.

`read_blif_models` splits a file into models and statements (comments, blank lines and `\\`
continuations handled; the rows of a cover kept with their `.names`; statements after `.exdc`
dropped) and checks the line structure, with file:line:col on every error. What the statements
mean is the caller's business: the BLIF frontend elaborates them into IR, the cost model reads
mapped cells, `bmf` reads ABC's gates. `BlifWriter` writes models (covers, rising-edge
`.latch`es); `gate_cover` gives the cover
of a `logic` gate from the dialect's truth table (`logic.gate_table`), so no writer spells gate
functions out itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from axc.ir import FileLoc, ParseError
from axc.ir.dialects.logic import gate_table

from .cover import smallest_cover

__all__ = ["BlifModel", "BlifStatement", "BlifWriter", "gate_cover", "minterm_rows", "read_blif_models"]

_ROW = re.compile(r"[01-]+")
_WORD = re.compile(r"[^\s\\]+|\\")


@dataclass(slots=True)
class BlifStatement:
    """One statement: its keyword (`.names`, `.gate`, ...), the words after it, where it starts,
    and for `.names` its cover rows (the words of each row, and the row's line)."""

    keyword: str
    words: list[str]
    line: int
    col: int
    source: list[str] = field(repr=False)
    """The physical lines of the statement, to locate a word in (`locate`)."""
    rows: list[tuple[list[str], int]] = field(default_factory=list)

    def word_locations(self) -> list[tuple[int, int]]:
        """(line, column) of every word after the keyword, in order (one pass over the text)."""
        found = []
        for k, text in enumerate(self.source):
            code = text.split("#", 1)[0]
            start = self.col - 1 + len(self.keyword) if k == 0 else 0
            for m in _WORD.finditer(code, start):
                if m.group() != "\\":
                    found.append((self.line + k, m.start() + 1))
        return found[: len(self.words)]

    def locate(self, word: str) -> tuple[int, int]:
        """(line, column) of the first occurrence of `word` after the keyword."""
        start = self.col - 1 + len(self.keyword)
        for k, text in enumerate(self.source):
            at = text.find(word, start if k == 0 else 0)
            if at >= 0:
                return self.line + k, at + 1
        return self.line, self.col


@dataclass(slots=True)
class BlifModel:
    """A `.model`: its name, where it starts, and its statements in order."""

    name: str
    line: int
    col: int
    statements: list[BlifStatement] = field(default_factory=list)


def _malformed(what: str, filename: str, line: int, col: int, text: str) -> ParseError:
    return ParseError(f"malformed BLIF: {what}", FileLoc(filename, line, col), source=text)


def _continued(lines: list[str], i: int, raw: str) -> tuple[str, list[str], int]:
    """The code of the statement that starts with line `raw` (comments dropped, `\\` continuations
    joined with a space), its physical lines, and the index of the line after it. Linear in the
    statement's length, however many lines it continues over."""
    parts = [raw.split("#", 1)[0] if "#" in raw else raw]
    source = [raw]
    last = 0  # the last part with text: the one whose end says whether the statement continues
    while parts[last].rstrip().endswith("\\"):
        parts[last] = parts[last].rstrip()[:-1] + " "
        if i < len(lines):
            source.append(lines[i])
            parts.append(lines[i].split("#", 1)[0])
            i += 1
            if parts[-1].strip():
                last = len(parts) - 1
    return "".join(parts), source, i


def read_blif_models(text: str, filename: str = "<string>") -> list[BlifModel]:
    """The models of a BLIF text, statement by statement (see the module docstring)."""
    lines = text.splitlines()
    models: list[BlifModel] = []
    model: BlifModel | None = None
    cover: BlifStatement | None = None
    skipping = False
    i = 0
    while i < len(lines):
        first = i
        raw = lines[i]
        i += 1
        code, source, i = _continued(lines, i, raw)
        words = code.split()
        if not words:
            continue
        head = words[0]
        col = raw.find(head) + 1
        if not head.startswith("."):
            if skipping and model is not None:
                continue
            if cover is None:
                raise _malformed(f"unexpected '{head}'", filename, first + 1, col, text)
            if not (len(words) == 1 and head in ("0", "1")
                    or len(words) == 2 and _ROW.fullmatch(head) and words[1] in ("0", "1")):
                raise _malformed(f"unexpected '{' '.join(words)}' (a cover row is a cube of 0, 1, "
                                 "- and an output 0 or 1)", filename, first + 1, col, text)
            cover.rows.append((words, first + 1))
            continue
        cover = None
        if head == ".model":
            model = BlifModel(words[1] if len(words) > 1 else "top", first + 1, col)
            models.append(model)
            skipping = False
            continue
        if model is None:
            raise _malformed(f"unexpected '{head}' (expected '.model')", filename, first + 1, col, text)
        if head == ".end":
            model = None
            continue
        if head == ".exdc":
            skipping = True
        if skipping:
            continue
        statement = BlifStatement(head, words[1:], first + 1, col, source)
        model.statements.append(statement)
        if head == ".names":
            cover = statement
    return models


@cache
def gate_cover(name: str, n: int) -> tuple[tuple[str, ...], bool]:
    """The smaller of the ON- and OFF-set covers of gate `name` with `n` operands: (cubes, True
    for an ON-set cover), cubes in descending order (`11-` before `0-1`). Not for `logic.const`/
    `logic.lut`, whose function is an attribute."""
    cubes, on_set = smallest_cover(gate_table(name, n), n)
    return tuple(sorted(cubes, reverse=True)), on_set


def minterm_rows(bits: Sequence[int], n: int, off_set_when_shorter: bool) -> tuple[list[str], bool]:
    """A cover listing every minterm of a truth table given as one bit per pattern (input i is
    bit i of the pattern; rows in pattern order): the ON-set, or the OFF-set when
    `off_set_when_shorter` and it has fewer rows; a constant 1 is one all-`-` cube.
    (cubes, True for ON-set)."""
    ones = [p for p in range(1 << n) if bits[p]]
    if len(ones) == 1 << n:
        return ["-" * n], True
    on_set = not (off_set_when_shorter and 2 * len(ones) > (1 << n))
    rows = ones if on_set else [p for p in range(1 << n) if not bits[p]]
    return ["".join("1" if p >> i & 1 else "0" for i in range(n)) for p in rows], on_set


class BlifWriter:
    """Builds BLIF text statement by statement; word lists wrap at `width` characters with `\\`
    continuations (no wrapping when `width` is None)."""

    def __init__(self, width: int | None = 78) -> None:
        self.width = width
        self.lines: list[str] = []

    def statement(self, keyword: str, words: list[str]) -> None:
        """`keyword` followed by `words`."""
        if self.width is None:
            self.lines.append(" ".join([keyword, *words]))
            return
        current = keyword
        for w in words:
            if len(current) + 1 + len(w) > self.width and current != keyword:
                self.lines.append(current + " \\")
                current = " " + w
            else:
                current += " " + w
        self.lines.append(current)

    def model(self, name: str, inputs: list[str], outputs: list[str]) -> None:
        """`.model`, `.inputs` and `.outputs`."""
        self.lines.append(f".model {name}")
        self.statement(".inputs", inputs)
        self.statement(".outputs", outputs)

    def names(self, nets: list[str], cubes: list[str] | tuple[str, ...], on_set: bool = True) -> None:
        """A cover: `nets` are the inputs then the output; an empty cover is constant 0."""
        self.statement(".names", nets)
        value = "1" if on_set else "0"
        self.lines.extend(f"{c} {value}" if c else value for c in cubes)

    def gate(self, name: str, inputs: list[str], output: str) -> None:
        """A `logic` gate (not const or lut) as its cover."""
        self.names([*inputs, output], *gate_cover(name, len(inputs)))

    def latch(self, data: str, out: str, clock: str, init: int) -> None:
        """A rising-edge flip-flop: `.latch DATA OUT re CLOCK INIT`."""
        self.lines.append(f".latch {data} {out} re {clock} {init}")

    def end(self) -> None:
        self.lines.append(".end")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
