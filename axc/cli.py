"""The `axc-opt` command line: load a file, run a pass pipeline, write the result.

Exit status: 0 on success, 1 when the input or a pass fails (the located message is printed,
no traceback, no output file), 2 for usage errors (bad flags, a malformed pipeline, an unknown
pass or output format). Set `AXC_DEBUG=1` to see the Python traceback behind an error.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from axc.api import PassManager, load, save
from axc.formats import format_of, get_quality_report, get_saver
from axc.frontend import limits
from axc.ir import AxcError, InputError, MissingExtra, ParseError, check_extra
from axc.ir.printer import print_module
from axc.passes.infra.display import TerminalDisplay
from axc.passes.infra.options import MISSING, format_value, pass_options
from axc.passes.infra.registry import BUILTIN_PASSES, all_pass_names, closest_pass, get_pass
from axc.runtime.caches import kernel_cache_dir, watch_compilation
from axc.runtime.files import write_text_atomically

__all__ = ["build_parser", "main"]

USAGE_ERROR = 2
FAILURE = 1
_GLOBAL_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("--err", float, "error budget for approximation passes (e.g. 0.01)"),
    ("--metric", str, "error metric (mae, mre, er, wce, hd, mse, ...)"),
    ("--data", str, "data set for NN passes (.npz, a corpus name, ...)"),
    ("--calib", int, "calibration samples: the first N of --data (default 500); the rest evaluate"),
    ("--accuracy-loss", float, "allowed accuracy loss for NN passes"),
    ("--multiplier", str, "approximate multiplier model, e.g. mul8u_FTA or 'drum{k=6}'"),
    ("--scheduler", str, "Dask scheduler address for distributed exploration"),
    ("--genlib", str, "cell library (genlib) for mapping and costs"),
    ("--liberty", str, "Liberty file for mapping and costs"),
    ("--cycles", int, "clock cycles per trace when measuring a clocked design's error (default 1000)"),
    ("--traces", int, "random traces of that measurement, bit-parallel (default 1000)"),
    ("--stimulus", str, "per-cycle inputs (.npz or .vcd) for measuring a clocked design instead of random"),
)


_RANGES: tuple[tuple[str, Any, str], ...] = (
    ("err", lambda v: 0 < v <= 1, "in (0, 1], a fraction such as 0.01"),
    ("accuracy_loss", lambda v: 0 <= v < 1, "in [0, 1), a fraction such as 0.01"),
    ("jobs", lambda v: v >= 1, "1 or more"),
    ("calib", lambda v: v >= 1, "1 or more"),
    ("eval", lambda v: v >= 1, "1 or more"),
    ("seed", lambda v: v >= 0, "0 or more"),
    ("cycles", lambda v: v >= 2, "2 or more"),
    ("traces", lambda v: v >= 2, "2 or more"),
)
"""Numeric options checked before anything runs: (attribute, test, the range in words)."""

_LIMIT_HELP: dict[str, str] = {
    "max_bus_width": "widest bus, net, literal or gate fan-in an input may declare",
    "max_total_bits": "most nets (bits) of a flattened netlist, or rows x inputs of one BLIF cover",
    "max_depth": "deepest nesting of instances, .subckt, ONNX subgraphs or IR attribute values",
    "max_tensor_elements": "most elements of one tensor (ONNX, IR)",
    "max_nodes": "most nodes of an ONNX model or ops of an IR file",
}
"""The input size limits (`axc.frontend.limits`): help text of each `--max-...` flag."""


def _check_ranges(args: argparse.Namespace) -> None:
    """A usage error (exit 2) for a numeric option out of range or an `-o` that names a folder."""
    for name, fits, words in _RANGES:
        value = getattr(args, name)
        if value is not None and not fits(value):
            raise _usage_error(AxcError(f"--{name.replace('_', '-')} must be {words}, got {value}"))
    for name in limits.OPTIONS:
        value = getattr(args, name)
        problem = None if value is None else limits.range_error(name, value)
        if problem is not None:
            raise _usage_error(AxcError(problem))
    if args.output and Path(args.output).is_dir():
        raise _usage_error(AxcError(f"-o names a folder ('{args.output}'): give a file name such as out.v"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="axc-opt",
        description="Approximate-computing compiler: read a netlist or model, run passes, write it.",
        epilog="Pipeline syntax: 'a,b{k=v k2=v},c{k=v,k2=[x,y]}'. See --list-passes.",
    )
    p.add_argument("input", nargs="?", help="input file (.ir .v .blif .bench .onnx)")
    p.add_argument("-p", "--pipeline", default="", help="pass pipeline spec")
    p.add_argument("-o", "--output", help="output file; its extension selects the backend")
    p.add_argument("--emit", metavar="FORMAT", help="output format (default: from -o); without -o print to stdout")
    p.add_argument("--report", metavar="JSON", help="write a JSON run report")
    p.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass (stderr)")
    p.add_argument("--print-debuginfo", action="store_true", help="print source locations in textual IR")
    p.add_argument("--no-verify", action="store_true", help="do not verify the IR between passes")
    p.add_argument("--list-passes", action="store_true", help="list the passes and exit")
    p.add_argument("--help-pass", metavar="NAME", help="describe a pass and its options and exit")
    p.add_argument("--seed", type=int, help="random seed for every pass that draws random numbers")
    p.add_argument("--jobs", type=int, help="parallel workers")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    p.add_argument("--frontend", help="frontend choice for the input (e.g. 'yosys' for Verilog)")
    p.add_argument("--eval", type=int, metavar="N", help="evaluate networks on N samples after the calibration slice")
    p.add_argument("--sim", action="append", default=[], metavar="KEY=VALUE",
                   help="accelerator simulation option for --emit sim (lanes, rows, cols, sim_samples, "
                        "freq_mhz, io_ram_kb, early_termination, mac_energy_pj); repeatable")
    p.add_argument("--plot", metavar="PNG", help="write a plot (accelerator simulation per layer)")
    for flag, kind, text in _GLOBAL_FLAGS:
        p.add_argument(flag, type=kind, help=text)
    p.add_argument("--allow-read", action="append", metavar="DIR",
                   help="folder whose files Yosys may read for `include and $readmemh/$readmemb "
                        "(--frontend yosys), besides the input's own folder; repeatable")
    for name, text in _LIMIT_HELP.items():
        default = getattr(limits, limits.OPTIONS[name])
        p.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="N",
                       help=f"{text} (default {default}); a larger input is a located error")
    p.add_argument("--multiplier-path", action="append", metavar="DIR",
                   help="folder searched for named multiplier circuits (EvoApproxLib's mul8u_FTA, ...), "
                        "before $AXC_MULTIPLIER_PATH; repeatable")
    return p


def _first_doc_line(name: str) -> str:
    """The first line of a pass's docstring, read from its source when possible (no import)."""
    target = BUILTIN_PASSES.get(name)
    doc: str | None = None
    if target is not None:
        module_name, cls_name = target.split(":")
        spec = importlib.util.find_spec(module_name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            tree = ast.parse(Path(spec.origin).read_text())
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name == cls_name:
                    doc = ast.get_docstring(node)
    if doc is None:
        cls = get_pass(name)
        doc = inspect.cleandoc(cls.__doc__ or "") if cls is not None else ""
    return doc.splitlines()[0] if doc else ""


def _list_passes() -> str:
    names = all_pass_names()
    width = max((len(n) for n in names), default=0)
    return "\n".join(f"  {n.ljust(width)}  {_first_doc_line(n)}".rstrip() for n in names)


def _help_pass(name: str) -> str:
    cls = get_pass(name)
    if cls is None:
        guess = closest_pass(name)
        hint = f"; did you mean '{guess}'?" if guess else " (see --list-passes)"
        raise AxcError(f"unknown pass '{name}'{hint}")
    lines = [f"{cls.name}: {inspect.cleandoc(cls.__doc__ or '(no description)')}", ""]
    options = pass_options(cls)
    if not options:
        lines.append("Options: none")
    else:
        lines.append("Options:")
    for o in options:
        default = "required" if o.default is MISSING else f"default {_default_text(o.default, format_value)}"
        lines.append(f"  {o.key}: {o.type_text} ({default})")
        lines.extend(f"      {line}" for line in (o.doc or "(undocumented)").splitlines())
    return "\n".join(lines)


def _default_text(value: Any, format_value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    return format_value(value)


def _global_options(args: argparse.Namespace) -> dict[str, Any]:
    names = [f[0][2:].replace("-", "_") for f in _GLOBAL_FLAGS] + ["multiplier_path", "seed", "jobs"]
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return str(value)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("axc-opt", "numpy", "onnx", "onnxruntime", "torch", "lark"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return found


def _write_report(path: str, args: argparse.Namespace, run: dict[str, Any], status: int) -> None:
    data = {
        "input": args.input,
        "output": args.output,
        "status": status,
        "global_options": _global_options(args),
        "versions": _versions(),
        **run,
    }
    if "seed" not in data:
        data["seed"] = args.seed if args.seed is not None else 0
    write_text_atomically(path, json.dumps(_jsonable(data), indent=2) + "\n")


def _emit_stdout(module: Any, fmt: str, options: dict[str, Any]) -> None:
    if fmt == "ir":
        sys.stdout.write(print_module(module, debuginfo=options.get("print_debuginfo", False)))
        sys.stdout.flush()
        return
    staging = Path(tempfile.mkdtemp(prefix="axc-emit-"))
    try:
        target = staging / f"out.{fmt}"
        save(module, target, format=fmt, **options)
        sys.stdout.flush()
        sys.stdout.buffer.write(target.read_bytes())
        sys.stdout.buffer.flush()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _summary(result: Any) -> list[str]:
    lines = []
    for record in result.records:
        stats = " ".join(f"{k}={v}" for k, v in list(record.stats.items())[:6])
        lines.append(f"axc-opt: {record.name}: {record.seconds:.3f}s {stats}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    debug = os.environ.get("AXC_DEBUG", "") not in ("", "0")
    try:
        return _run(args)
    except AxcError as exc:
        if debug:
            traceback.print_exc()
        print(exc.render(), file=sys.stderr)
        return exc.exit_status if hasattr(exc, "exit_status") else FAILURE
    except KeyboardInterrupt:
        print("axc-opt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, like other filters.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return FAILURE
    except Exception as exc:
        if debug:
            raise
        print(f"axc-opt: internal error: {type(exc).__name__}: {exc} (set AXC_DEBUG=1 for a traceback)", file=sys.stderr)
        return FAILURE


def _network_quality(result: Any) -> None:
    """For a network run on --data: accuracy and agreement with the original, into the report."""
    module = result.module
    if not result.records or module.top is None or not result.ctx.options.get("data"):
        return
    report = get_quality_report(module.top_graph.kind)
    if report is not None:
        report(result.ctx, module)


def _say_compiling() -> None:
    folder = kernel_cache_dir()
    where = f"cached in {folder}" if folder is not None else "not cached: no writable cache folder"
    print(f"axc-opt: compiling numba kernels on first use ({where}); later runs skip this",
          file=sys.stderr, flush=True)


def _usage_error(exc: AxcError) -> AxcError:
    exc.exit_status = USAGE_ERROR  # type: ignore[attr-defined]
    return exc


def _run(args: argparse.Namespace) -> int:
    if args.list_passes:
        print(_list_passes())
        return 0
    if args.help_pass:
        try:
            print(_help_pass(args.help_pass))
        except AxcError as exc:
            raise _usage_error(exc) from None
        return 0
    if args.input is None:
        build_parser().error("the input file is required (or use --list-passes / --help-pass)")
    _check_ranges(args)
    options = _global_options(args)
    try:
        manager = PassManager.parse(
            args.pipeline,
            verify=not args.no_verify,
            print_ir_after_all=args.print_ir_after_all,
            print_debuginfo=args.print_debuginfo,
            **options,
        )
        if args.report and not Path(args.report).resolve().parent.is_dir():
            raise InputError(f"cannot write the report: folder of '{args.report}' does not exist")
        out_format = args.emit or (format_of(args.output) if args.output else None)
        if out_format is not None:
            get_saver(out_format)
        if args.plot:
            check_extra("matplotlib", "--plot")
        manager.check_extras()
    except MissingExtra:
        raise
    except (ParseError, AxcError) as exc:
        raise _usage_error(exc) from None
    io_options = {**options, "print_debuginfo": args.print_debuginfo}
    if args.frontend:
        io_options["frontend"] = args.frontend
    if args.allow_read:
        io_options["allow_read"] = args.allow_read
    io_options.update({n: getattr(args, n) for n in limits.OPTIONS if getattr(args, n) is not None})
    if args.plot:
        io_options["plot"] = args.plot
    for item in args.sim:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _usage_error(AxcError(f"--sim takes KEY=VALUE, got '{item}'"))
        io_options[key.strip().replace("-", "_")] = value.strip()
    run_report: dict[str, Any] = {"pipeline": str(manager.pipeline)}
    if not args.quiet:
        watch_compilation(_say_compiling)
    stages: dict[str, float] = {}
    started = time.perf_counter()
    display = TerminalDisplay(False if args.quiet else None)
    try:
        with display.step(f"reading {args.input}"):
            module = load(args.input, **io_options)
        stages["load"] = time.perf_counter() - started
        ctx = manager.make_context(quiet=args.quiet, input_path=args.input)
        if args.eval is not None:
            ctx.options["eval"] = args.eval
        result = manager.run(module, ctx)
        stages["passes"] = sum(r.seconds for r in result.records)
        mark = time.perf_counter()
        with result.ctx.step("network quality"):
            _network_quality(result)
        stages["evaluation"] = time.perf_counter() - mark
        run_report = result.report
        mark = time.perf_counter()
        if args.output:
            with display.step(f"writing {args.output}"):
                save(result.module, args.output, format=args.emit, **io_options)
        elif out_format is not None:
            _emit_stdout(result.module, out_format, io_options)
        stages["output"] = time.perf_counter() - mark
        run_report["stage_seconds"] = {k: round(v, 6) for k, v in stages.items()}
        run_report["total_seconds"] = round(time.perf_counter() - started, 6)
    except AxcError as exc:
        if args.report:
            run_report = getattr(exc, "report", run_report)
            _write_report(args.report, args, {**run_report, "failure": exc.render()}, FAILURE)
        raise
    if args.report:
        _write_report(args.report, args, run_report, 0)
    if not args.quiet:
        for line in _summary(result):
            print(line, file=sys.stderr)
    return 0
