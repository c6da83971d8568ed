"""Independent checks of clocked netlists (a test helper): a tiny `.bench` cycle evaluator, Icarus
running a written Verilog module cycle by cycle, and Yosys' sequential equivalence.

`bench_cycles` reads the `.bench` text itself (no axc code): per cycle it evaluates the gates
from the inputs and the flip-flops, records the outputs, then loads every DFF (all start at 0).
`icarus_cycles` does the same with Icarus on a Verilog module: it zeroes every `reg` of the
module through hierarchical assignments, then per cycle applies the inputs, prints the outputs
and gives the clock one rising edge; `icarus_trace` does it for vector ports, registers as the
module leaves them, and `blif_as_verilog` has Yosys' own BLIF reader turn a BLIF file into
Verilog for it. `yosys_equivalent` proves a BLIF and a Verilog module
equivalent with `equiv_make`, `equiv_simple -seq`, `equiv_induct -seq`, `equiv_status -assert`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from axc.runtime.yosys import run_yosys

__all__ = ["HAVE_IVERILOG", "bench_cycles", "blif_as_verilog", "icarus_cycles", "icarus_trace", "verilog_ports",
           "yosys_equivalent"]

HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None

_GATE = re.compile(r"^\s*([^\s=#]+)\s*=\s*(\w+)\s*\(([^)]*)\)", re.MULTILINE)


def _eval(kind: str, args: list[int]) -> int:
    if kind in ("NOT", "INV"):
        return args[0] ^ 1
    if kind in ("BUF", "BUFF"):
        return args[0]
    core = {"AND": all, "NAND": all, "OR": any, "NOR": any}
    if kind in core:
        return int(core[kind](args)) ^ (kind in ("NAND", "NOR"))
    parity = sum(args) & 1
    return parity if kind == "XOR" else parity ^ 1


def bench_cycles(text: str, stimulus: list[dict[str, int]]) -> list[dict[str, int]]:
    """The outputs of `.bench` `text` in each cycle of `stimulus` (input name -> bit)."""
    outputs = re.findall(r"^\s*OUTPUT\((.*?)\)", text, re.MULTILINE)
    gates = {m.group(1): (m.group(2).upper(), [a.strip() for a in m.group(3).split(",") if a.strip()])
             for m in _GATE.finditer(text)}
    flops = {q: args[0] for q, (kind, args) in gates.items() if kind == "DFF"}
    order: list[str] = []
    seen: set[str] = set(flops)
    for net in gates:
        stack = [(net, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
            elif n not in seen and n in gates:
                seen.add(n)
                stack.append((n, True))
                stack.extend((a, False) for a in gates[n][1])
    state = dict.fromkeys(flops, 0)
    result = []
    for inputs in stimulus:
        values = {**inputs, **state}
        for n in order:
            kind, args = gates[n]
            values[n] = _eval(kind, [values[a] for a in args])
        result.append({o: values[o] for o in outputs})
        state = {q: values[d] for q, d in flops.items()}
    return result


def icarus_cycles(verilog: str, top: str, inputs: list[str], outputs: list[str], clock: str,
                  stimulus: list[dict[str, int]], zero: bool = True) -> list[dict[str, int]]:
    """The outputs of Verilog module `top` in each cycle of `stimulus`, its registers set to 0
    first when `zero` (one-bit ports only)."""
    regs = re.findall(r"\breg\s+(?:\[[^\]]*\]\s*)?([A-Za-z_][\w$]*)\s*[;=]", verilog) if zero else []
    conns = [f".{n}(vin[{k}])" for k, n in enumerate(inputs)] + [f".{clock}(clk)"]
    conns += [f".{n}(vout[{k}])" for k, n in enumerate(outputs)]
    tb = ["module axc_tb;", "  integer i;", "  reg clk;", f"  reg [{len(inputs) - 1}:0] vin;",
          f"  reg [{len(inputs) - 1}:0] stim [0:{len(stimulus) - 1}];", f"  wire [{len(outputs) - 1}:0] vout;",
          f"  {top} dut ({', '.join(conns)});", "  initial begin", '    $readmemb("stim.txt", stim);',
          "    clk = 0;", *[f"    dut.{r} = 0;" for r in regs],
          f"    for (i = 0; i < {len(stimulus)}; i = i + 1) begin", "      vin = stim[i];",
          '      #1 $display("%b", vout);', "      clk = 1;", "      #1 clk = 0;", "    end", "    $finish;",
          "  end", "endmodule", ""]
    rows = ["".join(str(s[n]) for n in reversed(inputs)) for s in stimulus]
    with tempfile.TemporaryDirectory(prefix="axc-clocked-") as tmp:
        work = Path(tmp)
        (work / "tb.v").write_text("\n".join(tb))
        (work / "dut.v").write_text(verilog)
        (work / "stim.txt").write_text("\n".join(rows) + "\n")
        subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "-s", "axc_tb", "tb.v", "dut.v"], cwd=work,
                       check=True, capture_output=True, text=True)
        run = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=work, check=True, capture_output=True, text=True)
    lines = [ln.strip() for ln in run.stdout.splitlines() if re.fullmatch(r"[01xz]+", ln.strip())]
    return [{n: int(bits[len(outputs) - 1 - k]) for k, n in enumerate(outputs)} for bits in lines]


def yosys_equivalent(blif: str, verilog: str, top: str, seq: int = 5) -> int:
    """Prove the BLIF and the Verilog module `top` sequentially equivalent (registers and ports
    matched by name, `name[i]` BLIF bits as vectors); the number of `$equiv` cells proven.
    `InputError` when Yosys cannot."""
    script = "\n".join([
        "read_blif -wideports gold.blif", "opt -purge", f"rename {top} gold",
        "read_verilog gate.v", "proc", "opt -purge", f"rename {top} gate",
        "equiv_make gold gate equiv", "hierarchy -top equiv",
        f"equiv_simple -seq {seq}", f"equiv_induct -seq {seq}", "equiv_status -assert", "",
    ])
    log = run_yosys(script, {"gold.blif": blif, "gate.v": verilog}).log
    found = re.findall(r"Found (\d+) \$equiv cells", log)
    return int(found[-1]) if found else 0


def blif_as_verilog(blif: str) -> str:
    """The BLIF as Verilog, read and written by Yosys (`read_blif -wideports`, `write_verilog`)."""
    script = "read_blif -wideports in.blif\nwrite_verilog -noattr out.v\n"
    return run_yosys(script, {"in.blif": blif}, ("out.v",)).outputs["out.v"]


def verilog_ports(verilog: str, top: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(inputs, outputs) of an ANSI-style module header: (name, width) each."""
    header = re.search(rf"module\s+{top}\s*(?:#\s*\(.*?\)\s*)?\((.*?)\);", verilog, re.DOTALL)
    assert header is not None, f"no module {top}"
    ins, outs = [], []
    for kind, msb, name in re.findall(r"\b(input|output)\s+(?:reg\s+)?(?:signed\s+)?(?:\[(\d+):0\]\s*)?(\w+)",
                                      header.group(1)):
        (ins if kind == "input" else outs).append((name, int(msb) + 1 if msb else 1))
    return ins, outs


def icarus_trace(verilog: str, top: str, inputs: list[tuple[str, int]], outputs: list[tuple[str, int]],
                 stimulus: list[dict[str, int]]) -> list[str]:
    """The outputs of `top` (ports by name, clock `clk`), one bit string per cycle (x kept)."""
    tb = ["module axc_tb;", *[f"  reg [{w - 1}:0] {n};" for n, w in inputs],
          *[f"  wire [{w - 1}:0] {n};" for n, w in outputs],
          f"  {top} dut ({', '.join(f'.{n}({n})' for n, _ in inputs + outputs)});", "  initial begin", "    clk = 0;"]
    for cycle in stimulus:
        tb += [f"    {n} = {cycle[n]};" for n, _ in inputs if n != "clk"]
        tb += ['    #1 $display("%b", {' + ", ".join(n for n, _ in outputs) + "});", "    clk = 1;", "    #1 clk = 0;"]
    tb += ["    $finish;", "  end", "endmodule", ""]
    with tempfile.TemporaryDirectory(prefix="axc-clocked-") as tmp:
        work = Path(tmp)
        (work / "tb.v").write_text("\n".join(tb))
        (work / "dut.v").write_text(verilog)
        subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "-s", "axc_tb", "tb.v", "dut.v"], cwd=work,
                       check=True, capture_output=True, text=True)
        run = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=work, check=True, capture_output=True, text=True)
    return [ln.strip() for ln in run.stdout.splitlines() if re.fullmatch(r"[01xz]+", ln.strip())]
