"""axc-opt: a compiler for approximate computing.

```python
import axc

module = axc.load("examples/adder.ir")
result = axc.PassManager.parse("dce,cse", seed=1).run(module)
print(result.stats, result.timings)
axc.save(result.module, "out.ir")
```

The names below are imported on first use, so `import axc.ir` stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = [
    "AxcError", "Module", "PassManager", "Pipeline", "RunResult", "__version__", "load", "save",
    "verify",
]

try:
    __version__ = version("axc-opt")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

_LAZY = {
    "load": "axc.api",
    "save": "axc.api",
    "PassManager": "axc.api",
    "RunResult": "axc.passes.infra.manager",
    "Pipeline": "axc.passes.infra.pipeline",
    "verify": "axc.ir",
    "Module": "axc.ir",
    "AxcError": "axc.ir",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'axc' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
