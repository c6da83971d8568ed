"""The PyTorch emitter (`-o model.pt`): the network as a pickled `IRNet` (`axc.runtime.torch_net`).

Needs the `torch` extra; `axc.formats` checks for it before the run starts.
"""

from __future__ import annotations

from typing import Any

import torch
from axc.ir import Module
from axc.runtime.torch_net import to_torch

__all__ = ["save_pt"]


def save_pt(module: Module, path: str, options: dict[str, Any]) -> None:
    """Write the top `nn` graph as a pickled `IRNet` (`torch.load(path, weights_only=False)`)."""
    torch.save(to_torch(module), path)
