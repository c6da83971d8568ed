"""The `retrain` pass: fine-tune a network with its approximate multipliers in the forward pass.

The top graph runs in torch (`axc.runtime.torch_net.to_torch`): approximate layers
(`approx.mul` through the bit-exact LUT kernels, `approx.htp` through their HTP convs) compute
the forward pass, the straight-through estimator passes the exact-product gradient backwards,
quantized weights train as fake-quantized parameters with their fixed scales. Training uses the
first `samples` labelled samples of `--data` (after skipping `offset`), Adam (or SGD with
momentum) with gradient-norm clipping and
cross-entropy on the network output (log of a final softmax). The trained weights are written
back into the IR (re-quantized, integer views refreshed). When the data holds samples after the
training slice, top-1 on (up to `eval_samples` of) them is measured before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from axc.ir import InputError, Module
from axc.ir.dialects import nn
from axc.runtime.nn_eval import dataset_for_module
from axc.runtime.torch_net import to_torch, update_module_weights

from ..infra.base import ModulePass, PassContext, PassResult

__all__ = ["RetrainPass"]


@dataclass(frozen=True)
class RetrainPass(ModulePass):
    """Fine-tune the network with approximate multipliers in the loop (straight-through gradient).

    Trains on `samples` labelled samples of --data for `epochs` epochs (SGD, momentum), writes the
    weights back, and reports top-1 before/after on the following samples.
    """

    name: ClassVar[str] = "retrain"
    needs: ClassVar[tuple[str, ...]] = ("torch",)
    data: str | None = None
    """Labelled training data (the global --data fills it)."""
    epochs: int = 1
    """Passes over the training samples."""
    lr: float = 1e-4
    """Learning rate."""
    optimizer: str = "adam"
    """`adam` or `sgd` (with `momentum`)."""
    momentum: float = 0.9
    """SGD momentum."""
    clip: float = 0.5
    """Gradient-norm clipping (0: none), as in TorchApprox's retraining runs."""
    batch: int = 64
    """Samples per step."""
    samples: int = 8000
    """Training samples (the first ones after `offset`)."""
    offset: int = 0
    """Samples of --data skipped before the training slice."""
    eval_samples: int = 2000
    """Held-out samples after the training slice for the before/after top-1."""
    seed: int = 0
    """Shuffling seed."""

    def requires(self, module: Module) -> None:
        if module.top is None or module.top_graph.kind != "nn":
            raise InputError("retrain works on a network ('nn' graph)")
        for key, value in (("epochs", self.epochs), ("batch", self.batch), ("samples", self.samples)):
            if value < 1:
                raise InputError(f"{key}={value} must be at least 1")
        if self.lr <= 0:
            raise InputError(f"lr={self.lr} must be positive")
        if self.optimizer not in ("adam", "sgd"):
            raise InputError(f"optimizer={self.optimizer} (expected adam or sgd)")

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        self.requires(module)
        data = self.data
        if not data:
            raise InputError("retrain needs labelled data: give --data (or retrain{data=...})")
        dataset = dataset_for_module(str(data), module)
        if dataset.y is None:
            raise InputError(f"the data '{data}' has no labels")
        train = dataset.slice(self.offset, self.offset + self.samples)
        ctx.saw_samples(self.offset + self.samples + self.eval_samples)
        held = dataset.slice(self.offset + self.samples,
                             self.offset + self.samples + self.eval_samples)
        if len(train) == 0:
            raise InputError(f"no training samples after offset {self.offset}")
        torch.manual_seed(self.seed)
        net = to_torch(module)
        softmax_output = _ends_in_softmax(module)
        before = _top1(net, held.x, held.y) if len(held) else None
        if self.optimizer == "sgd":
            optimizer = torch.optim.SGD(net.parameters(), lr=self.lr, momentum=self.momentum)
        else:
            optimizer = torch.optim.Adam(net.parameters(), lr=self.lr)
        rng = np.random.default_rng(self.seed)
        losses: list[float] = []
        x_all = torch.from_numpy(np.ascontiguousarray(train.x, dtype=np.float32))
        y_all = torch.from_numpy(np.asarray(train.y, dtype=np.int64))
        steps = [(epoch, order[i:i + self.batch]) for epoch in range(self.epochs)
                 for order in [rng.permutation(len(train))]
                 for i in range(0, len(train), self.batch)]
        net.train()
        for _epoch, index in ctx.progress(steps, "retrain", len(steps)):
            out = net(x_all[index]).reshape(len(index), -1)
            logits = torch.log(out.clamp_min(1e-12)) if softmax_output else out
            loss = torch.nn.functional.cross_entropy(logits, y_all[index])
            optimizer.zero_grad()
            loss.backward()
            if self.clip > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), self.clip)
            optimizer.step()
            losses.append(float(loss.detach()))
        net.eval()
        updated = update_module_weights(module, net)
        after = _top1(net, held.x, held.y) if len(held) else None
        report = {"epochs": self.epochs, "lr": self.lr, "batch": self.batch,
                  "train_samples": len(train), "eval_samples": len(held),
                  "loss_first": losses[0], "loss_last": float(np.mean(losses[-10:])),
                  "top1_before": before, "top1_after": after, "tensors_updated": updated}
        ctx.report[self.name] = report
        msg = f"retrain: {len(steps)} steps on {len(train)} samples, loss {losses[0]:.3f} -> " \
              f"{report['loss_last']:.3f}"
        if before is not None:
            msg += f"; top-1 on {len(held)} held-out {100 * before:.2f} % -> {100 * after:.2f} %"
        ctx.log(msg)
        return PassResult(True, {"steps": len(steps), "tensors_updated": updated},
                          errors={k: v for k, v in (("top1_before", before), ("top1_after", after))
                                  if v is not None})


def _ends_in_softmax(module: Module) -> bool:
    out = module.top_graph.outputs[0]
    return isinstance(out.owner, nn.SoftmaxOp)


def _top1(net: Any, x: np.ndarray, y: np.ndarray, batch: int = 256) -> float:
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = net(torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32)))
            correct += int((out.reshape(out.shape[0], -1).argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)
