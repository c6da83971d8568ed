"""EvoApproxLib helpers: published header metrics and signedness of a circuit file.

Every EvoApproxLib `.v` file starts with comment lines such as `// MAE = 29` and
`// PDK45_AREA = 550.5 um2`; `published_metrics` reads them so that our own simulation can be
compared against what the library publishes.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["is_signed_name", "published_metrics"]

_HEADER = re.compile(r"^//\s*([A-Z0-9_%]+)\s*=\s*([-+0-9.eE]+)")


def published_metrics(path: str | Path) -> dict[str, float]:
    """{'MAE': 29.0, 'MAE%': 0.045, 'WCE': 125.0, 'EP%': 84.95, 'PDK45_AREA': 550.5, ...}."""
    metrics: dict[str, float] = {}
    for line in Path(path).read_text().splitlines()[:40]:
        match = _HEADER.match(line.strip())
        if match:
            metrics[match.group(1)] = float(match.group(2))
    return metrics


def is_signed_name(path: str | Path) -> bool:
    """EvoApproxLib names signed circuits `mulNs_*` / `addNs_*`."""
    return bool(re.match(r"^(mul|add)\d+(x\d+)?s", Path(path).stem))
