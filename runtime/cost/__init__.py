"""axc.runtime.cost: area, delay and power by technology mapping (Yosys+ABC) onto a cell library.

```python
from axc.runtime.cost import CostModel
model = CostModel()                      # shipped NanGate-45 X1 genlib; CostModel(liberty="x.lib")
report = model.estimate(view)            # CostReport: area_um2, delay_ns, power_uw, cells, ...
model.area(view)                         # area only (cached by structural hash)
estimate_cost(module, genlib=None, liberty=None)   # the same through a process-wide model

```
"""

from __future__ import annotations

from .api import estimate_cost, shared_model
from .library import Cell, CellLibrary, default_genlib, load_library
from .model import CHOICE_SCRIPTS, DEFAULT_SCRIPT, CostModel, CostReport, cache_dir
from .registers import REGISTER_CELLS, register_area

__all__ = [
    "CHOICE_SCRIPTS", "DEFAULT_SCRIPT", "Cell", "CellLibrary", "CostModel", "CostReport", "cache_dir",
    "REGISTER_CELLS", "default_genlib", "estimate_cost", "load_library", "register_area", "shared_model",
]
