"""The pass interface: `ModulePass`, `PassContext`, `PassResult`.

A pass is a frozen dataclass. Its class variable `name` is the kebab-case name used in
pipelines; its fields are its typed options, each with a docstring placed under it; its class
docstring is its `--help-pass` text. `apply(ctx, module)` transforms the module in place and
returns a `PassResult`.

```python
@dataclass(frozen=True)
class DeadCodePass(ModulePass):
    '''Remove ops whose results nobody reads.'''

    name: ClassVar[str] = "dce"
    keep_named: bool = False
    '''Keep ops whose results carry a user-given name.'''

    def apply(self, ctx: PassContext, module: Module) -> PassResult: ...
```

Contract: a pass may assume verified IR on entry and must leave verified IR behind (the
manager verifies after each pass unless told not to). `requires(module)` raises `InputError`
when the module is not something the pass can work on (checked before `apply`).
Option types allowed: `int`, `float`, `bool`, `str`, `Literal[...]`, `X | None`, `tuple[X, ...]`.
Options named like a global CLI option (`err`, `metric`, `data`, `accuracy_loss`, `seed`, `jobs`,
...) are filled from it unless the pipeline sets them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from axc.ir import InputError, Module

from .display import TerminalDisplay

__all__ = ["CellLibraryOptions", "ModulePass", "PassContext", "PassResult"]

T = TypeVar("T")


@dataclass
class PassResult:
    """What a pass reports: whether it changed the module, statistics, measured errors, notes."""

    modified: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class PassContext:
    """Services shared by the passes of one run.

    `original` is a snapshot of the module as loaded (for `check-equiv` and error metrics);
    `report` collects what passes want in the JSON run report (`ctx.report[pass_name] = ...`);
    `options` holds the global CLI options (`err`, `data`, `seed`, ...); `input_path` the loaded
    file.
    """

    seed: int = 0
    jobs: int = 1
    quiet: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    original: Module | None = None
    input_path: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    global_fields: frozenset[str] = frozenset()
    """The running pass's options that global options filled (so a report can name the source)."""
    reader: Callable[[str, dict[str, Any]], Module] | None = None
    """Reads a file of any supported format (`axc` provides it: `axc.PassManager`, `axc-opt`)."""
    _display: TerminalDisplay | None = field(default=None, init=False, repr=False, compare=False)
    samples_seen: int = 0
    """How many leading samples of `--data` the passes have used (calibration, search,
    verification, training): the run's evaluation of the result starts after them."""

    def saw_samples(self, count: int) -> None:
        """Record that a pass used the first `count` samples of `--data`."""
        self.samples_seen = max(self.samples_seen, int(count))

    def read_file(self, path: str, **options: Any) -> Module:
        """The module in file `path` (Verilog, BLIF, .bench, IR, ONNX), read with the run's
        global options and `options`; passes read every file through here."""
        if self.reader is None:
            raise InputError(f"cannot read '{path}': this run has no file reader (run the pipeline "
                             "through axc.PassManager or axc-opt)")
        return self.reader(path, {**self.options, **options})

    def log(self, message: str) -> None:
        """Print a status line on stderr (unless quiet) and keep it for the report."""
        self.messages.append(message)
        if not self.quiet:
            print(message, file=sys.stderr)

    @property
    def display(self) -> TerminalDisplay:
        """The run's terminal display (nothing is shown when quiet or not on a terminal)."""
        if self._display is None:
            self._display = TerminalDisplay(False if self.quiet else None)
        return self._display

    def progress(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate over `items`, showing a progress bar when stderr is a terminal."""
        return self.display.iterate(items, description, total)

    def step(self, description: str) -> AbstractContextManager[None]:
        """Show `description` with a spinner and the elapsed time while the block runs."""
        return self.display.step(description)


@dataclass(frozen=True)
class ModulePass:
    """Base class of every pass (see the module docstring for the contract)."""

    name: ClassVar[str] = ""

    needs: ClassVar[tuple[str, ...]] = ()
    """Optional third-party packages (keys of `axc.ir.extras.EXTRAS`) the pass always needs."""

    def optional_packages(self) -> list[tuple[str, str]]:
        """(package, feature) pairs of the optional packages this pass needs with its options:
        `needs`, Dask for a `scheduler`, matplotlib for a `plot` file."""
        found = [(package, f"pass '{self.name}'") for package in self.needs]
        if getattr(self, "scheduler", None):
            found.append(("distributed", f"{self.name}{{scheduler=...}} (--scheduler)"))
        if getattr(self, "plot", None):
            found.append(("matplotlib", f"{self.name}{{plot=...}}"))
        return found

    def requires(self, module: Module) -> None:
        """Raise `InputError` if this pass cannot work on `module`."""

    def prepare(self, ctx: PassContext) -> ModulePass:
        """Check and resolve what the options name (files, multipliers) before any pass of the
        run starts; the pass to run (this one, or a copy with resolved options)."""
        return self

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        raise NotImplementedError


@dataclass(frozen=True)
class CellLibraryOptions(ModulePass):
    """Base of the passes that report area, delay and power: the cell library they map to."""

    genlib: str | None = None
    """Cell library (genlib) for the area, delay and power figures (default: the shipped
    NanGate-45 X1 library; the global --genlib fills it)."""
    liberty: str | None = None
    """Liberty cell library instead of a genlib (the global --liberty fills it)."""

    def cost_library(self) -> dict[str, str | None]:
        """The library options as `estimate_cost` takes them."""
        return {"genlib": self.genlib, "liberty": self.liberty}
