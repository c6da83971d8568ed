"""The pass manager: run a pipeline on a module, verify between passes, time and report.

```python
result = PassManager.parse("dce,cse", seed=1).run(module)
result.module, result.stats["cse"], result.timings, result.report
```

Global options (`err`, `metric`, `data`, `accuracy_loss`, `seed`, `jobs`, `calib`,
`multiplier`, `multiplier_path`, `scheduler`, `genlib`, `liberty`) fill the same-named option of every pass that
has one, unless the pipeline sets it. A failing pass is reported as a `PassError` that names the
pass and the passes that ran before it, keeping the original location; an unexpected Python
exception inside a pass becomes such an error too (the original is kept as `__cause__`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from axc.ir import AxcError, InputError, Module, PassError, VerifyError, check_extra, verify
from axc.ir.printer import print_module

from .base import ModulePass, PassContext, PassResult
from .options import OptionError, conform, pass_options
from .pipeline import PassSpec, Pipeline

__all__ = ["GLOBAL_OPTIONS", "PassManager", "PassRecord", "RunResult"]

GLOBAL_OPTIONS = (
    "err", "metric", "data", "accuracy_loss", "seed", "jobs", "calib", "multiplier",
    "multiplier_path", "scheduler", "genlib", "liberty", "cycles", "traces", "stimulus",
)
"""Global CLI options that fill same-named pass options."""


@dataclass
class PassRecord:
    """What one pass of a run did."""

    name: str
    spec: str
    seconds: float = 0.0
    modified: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None
    global_options: list[str] = field(default_factory=list)
    """Options of this pass that global options (`--err`, `--data`, ...) filled."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name, "spec": self.spec, "seconds": round(self.seconds, 6),
            "modified": self.modified, "stats": self.stats, "errors": self.errors,
            "notes": self.notes, "global_options": self.global_options,
        }
        if self.failure is not None:
            data["failure"] = self.failure
        return data


@dataclass
class RunResult:
    """The transformed module, what each pass did, and the run report."""

    module: Module
    records: list[PassRecord]
    ctx: PassContext
    pipeline: str

    def _keys(self) -> list[str]:
        counts: dict[str, int] = {}
        keys = []
        for r in self.records:
            counts[r.name] = counts.get(r.name, 0) + 1
            keys.append(r.name if counts[r.name] == 1 else f"{r.name}#{counts[r.name]}")
        return keys

    @property
    def stats(self) -> dict[str, dict[str, Any]]:
        """Statistics per pass (a pass that runs twice appears as `name` and `name#2`)."""
        return {k: r.stats for k, r in zip(self._keys(), self.records)}

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per pass (keys as in `stats`)."""
        return {k: r.seconds for k, r in zip(self._keys(), self.records)}

    @property
    def report(self) -> dict[str, Any]:
        """The run report: the pipeline, each pass's record, and what passes put in `ctx.report`."""
        return _report(self.pipeline, self.records, self.ctx)


def _report(pipeline: str, records: list[PassRecord], ctx: PassContext) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "seed": ctx.seed,
        "jobs": ctx.jobs,
        "passes": [r.to_json() for r in records],
        "total_seconds": round(sum(r.seconds for r in records), 6),
        "results": dict(ctx.report),
        "log": list(ctx.messages),
    }


class PassManager:
    """Runs a `Pipeline` with global options; see the module docstring."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        verify: bool = True,
        print_ir_after_all: bool = False,
        print_debuginfo: bool = False,
        ir_stream: TextIO | None = None,
        reader: Callable[[str, dict[str, Any]], Module] | None = None,
        **global_options: Any,
    ) -> None:
        self.pipeline = pipeline
        self.reader = reader
        self.verify = verify
        self.print_ir_after_all = print_ir_after_all
        self.print_debuginfo = print_debuginfo
        self.ir_stream = ir_stream
        unknown = sorted(set(global_options) - set(GLOBAL_OPTIONS) - {"frontend"})
        if unknown:
            raise TypeError(f"unknown global options {unknown} (known: {', '.join(GLOBAL_OPTIONS)})")
        self.global_options = {k: v for k, v in global_options.items() if v is not None}
        built = [self._instantiate(spec) for spec in pipeline.passes]
        self.passes = [pass_ for pass_, _ in built]
        self.global_fields = [fields for _, fields in built]
        """Per pass, the options that global options filled (the rest: pipeline or default)."""

    @classmethod
    def parse(
        cls, spec: str, *, passes: Mapping[str, type[ModulePass]] | None = None, **options: Any
    ) -> PassManager:
        """Parse a pipeline spec (raises `ParseError` pointing into it) and build the manager.

        Keyword options are `verify`, `print_ir_after_all`, `print_debuginfo`, `ir_stream`, `reader`
        and the global options (`err=0.01`, `seed=3`, ...).
        """
        return cls(Pipeline.parse(spec, passes), **options)

    def _instantiate(self, spec: PassSpec) -> tuple[ModulePass, frozenset[str]]:
        assert spec.cls is not None
        filled: dict[str, Any] = {}
        for info in pass_options(spec.cls):
            if info.name in spec.kwargs or info.name not in self.global_options:
                continue
            value = self.global_options[info.name]
            try:
                filled[info.name] = conform(value, info.hint)
            except OptionError as exc:
                flag = "--" + info.name.replace("_", "-")
                raise InputError(f"{flag} does not fit option '{info.key}' of pass '{spec.name}': {exc}") from None
        return spec.instantiate(**filled), frozenset(filled)

    def make_context(self, **overrides: Any) -> PassContext:
        """A context carrying this manager's global options (seed and jobs included)."""
        opts = self.global_options
        ctx = PassContext(seed=int(opts.get("seed", 0)), jobs=int(opts.get("jobs", 1)), options=dict(opts),
                          reader=self.reader)
        for key, value in overrides.items():
            setattr(ctx, key, value)
        return ctx

    def check_extras(self) -> None:
        """Raise `MissingExtra` when a pass needs an optional package that is not installed."""
        for pass_ in self.passes:
            for package, feature in pass_.optional_packages():
                check_extra(package, feature)

    def run(self, module: Module, ctx: PassContext | None = None) -> RunResult:
        """Run every pass on `module` (in place); raise `PassError` when one fails.

        Optional packages the passes need are checked, and what their options name is resolved
        (`ModulePass.prepare`), before the first pass runs."""
        self.check_extras()
        ctx = ctx if ctx is not None else self.make_context()
        self.passes = [pass_.prepare(ctx) for pass_ in self.passes]
        records: list[PassRecord] = []
        text = str(self.pipeline)
        if self.verify:
            try:
                verify(module)
            except VerifyError as exc:
                raise _located(exc, f"the input module is invalid: {exc.message}", VerifyError) from exc
        ctx.original = module.clone()
        for spec, pass_, from_globals in zip(self.pipeline.passes, self.passes, self.global_fields):
            record = PassRecord(spec.name, str(spec), global_options=sorted(from_globals))
            ctx.global_fields = from_globals
            records.append(record)
            ran = [r.name for r in records[:-1]]
            start = time.perf_counter()
            try:
                pass_.requires(module)
                with ctx.step(spec.name):
                    result = pass_.apply(ctx, module)
                record.seconds = time.perf_counter() - start
                if not isinstance(result, PassResult):
                    raise TypeError(f"apply() returned {type(result).__name__}, not PassResult")
                record.modified = result.modified
                record.stats = dict(result.stats)
                record.errors = dict(result.errors)
                record.notes = list(result.notes)
                if self.verify:
                    try:
                        verify(module)
                    except VerifyError as exc:
                        message = f"left invalid IR: {exc.message}"
                        raise _located(exc, _context(spec.name, ran, message)) from exc
            except PassError as exc:
                self._fail(record, start, exc, records, text, ctx)
                if exc.message.startswith(_context(spec.name, ran, "")):
                    raise
                raise _located(exc, _context(spec.name, ran, exc.message), type(exc)) from exc
            except AxcError as exc:
                self._fail(record, start, exc, records, text, ctx)
                raise _located(exc, _context(spec.name, ran, exc.message)) from exc
            except Exception as exc:
                self._fail(record, start, exc, records, text, ctx)
                detail = f"internal error: {type(exc).__name__}: {exc}"
                error = PassError(_context(spec.name, ran, detail))
                error.report = _report(text, records, ctx)  # type: ignore[attr-defined]
                raise error from exc
            if self.print_ir_after_all:
                self._print_ir(module, spec.name)
        return RunResult(module, records, ctx, text)

    @staticmethod
    def _fail(
        record: PassRecord,
        start: float,
        exc: BaseException,
        records: list[PassRecord],
        text: str,
        ctx: PassContext,
    ) -> None:
        record.seconds = time.perf_counter() - start
        record.failure = exc.render() if isinstance(exc, AxcError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, AxcError):
            exc.report = _report(text, records, ctx)  # type: ignore[attr-defined]

    def _print_ir(self, module: Module, pass_name: str) -> None:
        stream = self.ir_stream if self.ir_stream is not None else sys.stderr
        stream.write(f"// ----- IR after pass '{pass_name}' -----\n")
        text = print_module(module, debuginfo=self.print_debuginfo)
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


def _context(name: str, ran: list[str], message: str) -> str:
    before = f"after {ran}" if ran else "(the first pass)"
    return f"in pass '{name}' {before}: {message}"


def _located(exc: AxcError, message: str, kind: type[AxcError] = PassError) -> AxcError:
    error = kind(message, exc.loc, source=exc.source, span=exc.span, notes=exc.notes)
    report = getattr(exc, "report", None)
    if report is not None:
        error.report = report  # type: ignore[attr-defined]
    return error
