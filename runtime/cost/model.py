"""Area, delay and power of a circuit, by technology mapping through Yosys+ABC.

Flow: the circuit (a `LogicView`, or Verilog/BLIF text) goes to Yosys (`synth -flatten` for
Verilog; a gate-level BLIF is only flattened and tech-mapped to Yosys gates), then
`abc -genlib LIB` (or `-liberty LIB`) with the ABC script `script`; the mapped cell netlist comes
back as BLIF. From it:

* area = Σ cell areas (µm²); cell counts by cell name;
* delay = the longest path of a static timing pass over the cells, cell delay = the pin's block
  delay + its fan-out delay × the load on the cell output (ns; loads in fF: the input
  capacitances of the pins it drives, `wire_ff` per fan-out and `output_load_ff` per primary
  output);
* power (µW) at `vdd` volts and `frequency_mhz` with one input vector per clock cycle: the mapped
  netlist is simulated on the vectors (bit-parallel simulator) and each net's toggle rate α
  (transitions per cycle) gives switching power ½·α·C·Vdd²·f; each cell adds α_out × its internal
  energy × f; leakage is the sum of the cells' leakage.

Mappings are cached by a structural hash of the netlist (with the library and script) in memory
and on disk under `cache_root()/cost` (`$AXC_CACHE`, `$XDG_CACHE_HOME/axc-opt` or `~/.cache/axc-opt`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from axc.ir import InputError
from axc.ir.views import GATE_CODES, LogicView
from axc.runtime import simgraph as G
from axc.runtime.caches import cache_root
from axc.runtime.logicsim import Simulator, VectorSet
from axc.runtime.yosys import run_yosys

from ..files import write_text_atomically
from .library import CellLibrary, default_genlib, load_library
from .netlist_io import MappedNetlist, blif_inputs, read_mapped_blif, view_to_blif

__all__ = ["CHOICE_SCRIPTS", "DEFAULT_LIBERTY_SCRIPT", "DEFAULT_SCRIPT", "CostModel", "CostReport", "cache_dir"]

DEFAULT_SCRIPT = "strash;dch -f;map -a;topo"
"""ABC script run after Yosys' `synth` with a genlib: structural choices, area-oriented mapping."""

CHOICE_SCRIPTS: tuple[str, ...] = (DEFAULT_SCRIPT, "strash;dch -f;amap;topo", "strash;dch -f;&get -n;&nf;&put")
"""ABC mapping scripts whose smallest area ranks candidate designs (genlib only): mappers
disagree on which of two designs is smaller, so a design is judged by the best of several."""

DEFAULT_LIBERTY_SCRIPT = "strash;dch -f;amap;topo"
"""The same for a Liberty library (ABC's `map` needs a genlib; `amap` works on both)."""

_FLOW_VERSION = "4"
"""Part of every cache key; 4: cache entries keep their mapping time."""


def cache_dir() -> Path:
    """Where mapped netlists are kept between runs (`cache_root()/cost`, see `axc.runtime.caches`)."""
    return cache_root() / "cost"


@dataclass
class CostReport:
    """Area, delay, power and cell counts of one mapped circuit."""

    area_um2: float
    delay_ns: float
    cells: dict[str, int]
    n_cells: int
    library: str
    script: str
    power_uw: dict[str, float] | None = None
    """switching, internal, leakage and total, with the conditions under `power_conditions`."""
    power_conditions: dict[str, Any] | None = None
    cached: bool = False
    mapping_seconds: float = 0.0
    """How long the Yosys/ABC mapping of this netlist took when it ran (kept in the cache, so a
    cached report still says what mapping a netlist of this size costs)."""
    notes: list[str] = field(default_factory=list)

    @property
    def area(self) -> float:
        """`area_um2`."""
        return self.area_um2

    @property
    def delay(self) -> float:
        """`delay_ns`."""
        return self.delay_ns

    @property
    def power(self) -> float | None:
        """Total power in µW (None when not estimated)."""
        return None if self.power_uw is None else self.power_uw["total"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Mapping:
    netlist: MappedNetlist
    area: float
    cells: dict[str, int]
    cached: bool = False
    seconds: float = 0.0


class CostModel:
    """Technology mapping onto a cell library, with a cache; see the module docstring."""

    def __init__(self, genlib: str | Path | None = None, liberty: str | Path | None = None,
                 script: str | None = None, disk_cache: bool = True,
                 wire_ff: float = 0.2, output_load_ff: float = 2.0) -> None:
        if genlib and liberty:
            raise InputError("give a genlib or a Liberty file, not both")
        self.library: CellLibrary = load_library(liberty or genlib or default_genlib())
        self.script = script or (DEFAULT_LIBERTY_SCRIPT if self.library.kind == "liberty"
                                 else DEFAULT_SCRIPT)
        self.disk_cache = disk_cache
        self.wire_ff = wire_ff
        self.output_load_ff = output_load_ff
        self._memory: OrderedDict[str, _Mapping] = OrderedDict()

    # --- mapping ---------------------------------------------------------------------------

    def _key(self, payload: bytes) -> str:
        h = hashlib.blake2b(digest_size=16)
        for part in (_FLOW_VERSION, self.library.digest, self.script):
            h.update(part.encode() + b"\0")
        h.update(payload)
        return h.hexdigest()

    @staticmethod
    def structural_hash(view: LogicView) -> bytes:
        """A digest of the gate arrays and port names (what the mapping depends on)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((view.input_ports, view.output_ports)).encode())
        for arr in (view.codes, view.fanin_ptr, view.fanin, view.lut_ptr, view.lut_bits,
                    view.outputs):
            h.update(np.ascontiguousarray(arr).tobytes())
            h.update(b"|")
        return h.digest()

    def _yosys(self, text: str, fmt: str, top: str | None) -> str:
        lib_name = "cells.lib" if self.library.kind == "liberty" else "cells.genlib"
        option = "-liberty" if self.library.kind == "liberty" else "-genlib"
        reader = "read_blif" if fmt == "blif" else "read_verilog"
        top_arg = f"-top {top}" if top else "-auto-top"
        # a BLIF of gates needs no coarse synthesis (slow on large netlists): gates go to ABC
        prepare = (f"hierarchy {top_arg}\nflatten\ntechmap\nopt_clean" if fmt == "blif"
                   else f"synth -flatten {top_arg}")
        script = "\n".join([
            f"{reader} design.{fmt}",
            prepare,
            f'abc {option} {lib_name} -script "+{self.script}"',
            "opt_clean -purge",
            "write_blif -gates mapped.blif",
        ]) + "\n"
        result = run_yosys(script, {f"design.{fmt}": text, lib_name: self.library.text},
                           outputs=("mapped.blif",))
        return result.outputs["mapped.blif"]

    def _map(self, key: str, make_text: Any, fmt: str, top: str | None) -> _Mapping:
        if key in self._memory:
            self._memory.move_to_end(key)
            hit = self._memory[key]
            return _Mapping(hit.netlist, hit.area, hit.cells, True, hit.seconds)
        path = cache_dir() / f"{key}.json"
        mapping = None
        if self.disk_cache and path.is_file():
            try:
                entry = json.loads(path.read_text())
                seconds = float(entry.pop("mapping_seconds", 0.0))
                mapping = _Mapping(MappedNetlist(**entry), 0.0, {}, True, seconds)
            except (OSError, ValueError, TypeError):
                mapping = None
        if mapping is None:
            started = time.monotonic()
            text = make_text()
            mapped = read_mapped_blif(self._yosys(text, fmt, top), self.library)
            if fmt == "blif":
                position = {name: i for i, name in enumerate(blif_inputs(text))}
                if any(name not in position for name in mapped.inputs):
                    raise InputError("mapped netlist inputs do not match the circuit's ports")
                mapped.input_index = [position[name] for name in mapped.inputs]
            mapping = _Mapping(mapped, 0.0, {}, seconds=time.monotonic() - started)
            if self.disk_cache:
                _write_atomic(path, json.dumps({**asdict(mapped), "mapping_seconds": mapping.seconds}))
        counts: dict[str, int] = {}
        for name in mapping.netlist.cell_type:
            counts[name] = counts.get(name, 0) + 1
        mapping.cells = dict(sorted(counts.items()))
        mapping.area = float(sum(self.library.cells[c].area * k for c, k in counts.items()))
        self._memory[key] = mapping
        if len(self._memory) > 512:
            self._memory.popitem(last=False)
        return mapping

    def map_view(self, view: LogicView) -> _Mapping:
        """The mapping of `view` (cached by its structural hash).

        The view is written as BLIF by `view_to_blif` (the public emitter, `axc.backends.blif`,
        needs a graph, and at the time of writing prints constant-1 LUTs as constant 0).
        """
        key = self._key(self.structural_hash(view))
        return self._map(key, lambda: view_to_blif(view), "blif", None)

    def area(self, view: LogicView) -> float:
        """Mapped area in µm² (the cheapest query: no timing, no power)."""
        return self.map_view(view).area

    # --- reports -----------------------------------------------------------------------------

    def estimate(self, view: LogicView, vectors: VectorSet | None = None, power: bool = True,
                 n_power_vectors: int = 4096, seed: int = 0, vdd: float = 1.1,
                 frequency_mhz: float = 1000.0) -> CostReport:
        """Area, delay, cell counts and (unless `power` is False) power of `view`.

        Power uses `vectors` (inputs of `view`) or `n_power_vectors` seeded random ones.
        """
        mapping = self.map_view(view)
        if power and vectors is None:
            vectors = VectorSet.random(view, n_power_vectors, seed) if view.n_inputs else None
        words = None
        if power and vectors is not None:
            rows = mapping.netlist.input_index
            words = vectors.words[rows] if rows else np.zeros((0, vectors.n_words), np.uint64)
        return self._report(mapping, power, words, vectors.n_vectors if vectors else 0,
                            vectors.describe() if vectors else "", vdd, frequency_mhz)

    def estimate_text(self, text: str, fmt: str = "verilog", top: str | None = None,
                      power: bool = True, n_power_vectors: int = 4096, seed: int = 0,
                      vdd: float = 1.1, frequency_mhz: float = 1000.0) -> CostReport:
        """The same for a Verilog or BLIF netlist given as text (mapped by Yosys directly)."""
        key = self._key(f"{fmt}:{top}:".encode() + text.encode())
        mapping = self._map(key, lambda: text, fmt, top)
        words, n = None, 0
        if power and mapping.netlist.inputs:
            n = n_power_vectors
            rng = np.random.default_rng(seed)
            words = rng.integers(0, 1 << 64, size=(len(mapping.netlist.inputs), (n + 63) // 64),
                                 dtype=np.uint64, endpoint=False)
        return self._report(mapping, power, words, n, f"{n} random vectors (seed {seed})",
                            vdd, frequency_mhz)

    def _report(self, mapping: _Mapping, power: bool, words: np.ndarray | None, n_vectors: int,
                described: str, vdd: float, frequency_mhz: float) -> CostReport:
        net = mapping.netlist
        loads = self._net_loads(net)
        report = CostReport(
            area_um2=round(mapping.area, 6), delay_ns=round(self._delay(net, loads), 6),
            cells=mapping.cells, n_cells=len(net.cell_type),
            library=Path(self.library.path).name, script=self.script, cached=mapping.cached,
            mapping_seconds=mapping.seconds, notes=list(self.library.notes))
        if power:
            rates = (self._toggle_rates(net, words, n_vectors) if words is not None
                     else np.zeros(net.n_nets))
            freq = frequency_mhz * 1e6
            switching = 0.5 * vdd * vdd * freq * float(rates @ loads) * 1e-15 * 1e6
            internal = sum(rates[out] * self.library.cells[c].internal_fj
                           for c, out in zip(net.cell_type, net.cell_output)) * freq * 1e-15 * 1e6
            leakage = sum(self.library.cells[c].leakage_nw for c in net.cell_type) * 1e-3
            report.power_uw = {"switching": switching, "internal": float(internal),
                               "leakage": leakage, "total": switching + float(internal) + leakage}
            report.power_conditions = {"vdd_v": vdd, "frequency_mhz": frequency_mhz,
                                       "vectors": described, "one vector per cycle": True}
        return report

    def _net_loads(self, net: MappedNetlist) -> np.ndarray:
        loads = np.zeros(net.n_nets)
        for cell, ins in zip(net.cell_type, net.cell_inputs):
            for pin_load, n in zip(self.library.cells[cell].load, ins):
                loads[n] += pin_load + self.wire_ff
        for n in net.output_nets:
            loads[n] += self.output_load_ff
        loads[:2] = 0.0
        return loads

    def _delay(self, net: MappedNetlist, loads: np.ndarray) -> float:
        arrival = np.zeros(net.n_nets)
        for k in _cell_order(net):
            cell = self.library.cells[net.cell_type[k]]
            out = net.cell_output[k]
            arrival[out] = max((arrival[n] + b + f * loads[out] for n, b, f in
                                zip(net.cell_inputs[k], cell.block_delay, cell.fanout_delay)),
                               default=0.0)
        return float(max((arrival[n] for n in net.output_nets), default=0.0))

    def _toggle_rates(self, net: MappedNetlist, words: np.ndarray, n_vectors: int) -> np.ndarray:
        view = _netlist_view(net, self.library)
        sim = Simulator(view, order=_cell_order(net))
        vectors = VectorSet.from_words(words, n_vectors, "random")
        return sim.run(vectors).toggle_rates()


def _cell_order(net: MappedNetlist) -> np.ndarray:
    ptr = np.concatenate([[0], np.cumsum([len(i) for i in net.cell_inputs])]).astype(np.int64)
    fanin = np.array([n for ins in net.cell_inputs for n in ins], dtype=np.int64)
    base = 2 + len(net.inputs)
    order = G.topo_order(np.zeros(len(net.cell_type), np.int8), ptr, fanin, base)
    if order.size != len(net.cell_type):
        raise InputError("the mapped netlist has a combinational loop")
    return order


def _netlist_view(net: MappedNetlist, library: CellLibrary) -> LogicView:
    """The mapped netlist as LUT gates (one per cell) for the simulator."""
    tables = [np.asarray(library.cells[c].table, dtype=np.uint8) for c in net.cell_type]
    n = len(net.cell_type)
    return LogicView(
        input_ports=[(name, 1) for name in net.inputs],
        output_ports=[(name, 1) for name in net.outputs],
        codes=np.full(n, GATE_CODES["logic.lut"], dtype=np.int8),
        fanin_ptr=np.concatenate([[0], np.cumsum([len(i) for i in net.cell_inputs])]).astype(np.int64),
        fanin=np.array([x for ins in net.cell_inputs for x in ins], dtype=np.int64),
        level=np.zeros(n, dtype=np.int32),
        outputs=np.array(net.output_nets, dtype=np.int64),
        lut_ptr=np.concatenate([[0], np.cumsum([t.size for t in tables])]).astype(np.int64),
        lut_bits=np.concatenate(tables) if tables else np.zeros(0, dtype=np.uint8),
    )


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, text)
    except OSError:
        pass  # an unwritable cache only costs time
