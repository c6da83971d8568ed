"""The `htp` pass: approximate layers evaluated as sums of transformed products (HTP models).

Each `approx.mul` layer (from an earlier `approx-mul`) becomes an `approx.htp` op with operands
`(x, w, w_scale, w_zero_point[, bias])` and the attribute `terms` ((c, g_x, g_w), ...): the
multiplier f(x, w) is replaced by h(x, w) = sum c g_x(x) g_w(w), executed as a few ordinary
convs/matmuls on transformed operands (weights constant-folded). Family multipliers use their
analytic form when it is exact, any other multiplier (a circuit's LUT) a least-squares fit.

The model's fidelity against the LUT over all operand pairs (mean/max |h - f|, bias, share of
bit-exact products) is reported. A model that is not exact within `tolerance` (max |h - f|) is
refused: its layers keep the bit-exact LUT emulation (`approx.mul`) and the log and report say
so, so a pipeline never computes with a surrogate unknowingly; with `allow_surrogate=true` the
surrogate is used with a warning and labelled as such.

Without `approx.mul` layers the pass attaches a multiplier itself: `multiplier=` (family spec or
circuit file), else the global `--multiplier`, else the default `drum{k=6}` (signed DRUM with
6-bit segments: MAE 0.08 % of the output range, mean relative error 1 %, and an exact HTP form
with one conv per layer). It says which one it used in its log and report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from axc.ir import FrozenDict, InputError, Module
from axc.ir.dialects import approx
from axc.ir.dialects.quant import QuantParams
from axc.ir.rewrite import Builder
from axc.runtime.htp import HtpModel, best_htp
from axc.runtime.multipliers import MultiplierModel

from ..infra.base import PassContext, PassResult
from .approx_mul import (
    MultiplierOptions,
    model_of_op,
    quantized_layers,
    resolve_multiplier,
    run_attach,
)

__all__ = ["DEFAULT_MULTIPLIER", "HtpPass"]

DEFAULT_MULTIPLIER = "drum{k=6}"
"""The low-error multiplier `htp` uses when none is given (see the module docstring)."""

FIDELITY_KEYS = ("mean_abs", "max_abs", "bias", "bit_exact%")


@dataclass(frozen=True)
class HtpPass(MultiplierOptions):
    """Replace LUT emulation of approximate multipliers by HTP models (a few exact convs).

    Works on `approx.mul` layers, or attaches `multiplier=` / --multiplier (a family, a file or
    a circuit name in the search path) / the default drum{k=6} to every quantized layer first. Refuses inexact (surrogate) models unless
    `allow_surrogate=true` (their layers keep the bit-exact LUT, and the log and report say so);
    reports each model's fidelity against the LUT.
    """

    name: ClassVar[str] = "htp"
    allow_surrogate: bool = False
    """Use an HTP model that is not exact (warn instead of refusing)."""
    tolerance: float = 0.0
    """Largest max |h - f| over all operand pairs that still counts as exact."""
    signed: bool | None = None
    """Signedness of an attached multiplier (default: EvoApproxLib name, else signed)."""

    def requires(self, module: Module) -> None:
        if module.top is None or module.top_graph.kind != "nn":
            raise InputError("htp works on a network ('nn' graph)")
        g = module.top_graph
        if not g.ops_of(approx.MulOp) and not quantized_layers(g):
            raise InputError("the network has no quantized conv/gemm/matmul layer and no "
                             "approx.mul layer; run 'quantize' first (e.g. -p quantize,htp)")
        if self.tolerance < 0:
            raise InputError(f"tolerance={self.tolerance} must be >= 0")

    def apply(self, ctx: PassContext, module: Module) -> PassResult:
        self.requires(module)
        g = module.top_graph
        report: dict[str, Any] = ctx.report.setdefault(self.name, {})
        if not g.ops_of(approx.MulOp):
            spec, source = self.choose_multiplier(ctx)
            view = QuantParams.of(quantized_layers(g)[0][1])
            model = resolve_multiplier(spec, None, max(8, view.x_bits), max(8, view.w_bits), self.signed,
                                       None, None, ctx, self.cost_library(),
                                       network=(view.x_signed, view.w_signed), signs=self.signs)
            ctx.log(f"htp: multiplier {model.name} ({source})")
            report["multiplier_source"] = source
            run_attach(ctx, module, model, (), self.name, self)
        models: dict[int, HtpModel | None] = {}
        converted = kept = 0
        builder = Builder(g)
        luts = {op.operand(4) for op in g.ops_of(approx.MulOp)}
        for op in ctx.progress(list(g.ops_of(approx.MulOp)), "htp: fitting", None):
            lut_value = op.operand(4)
            key = id(lut_value)
            if key not in models:
                models[key] = self.htp_model(ctx, model_of_op(op, ctx), report)
            if models[key] is None:
                report.setdefault("kept_lut", []).append(str(op.attr("layer")))
                kept += 1
                continue
            self.replace(builder, op, models[key])
            converted += 1
        builder.erase_dead(luts)
        models = {k: m for k, m in models.items() if m is not None}
        fidelity = {m.multiplier: m.fidelity for m in models.values()}
        return PassResult(converted > 0, {"layers": converted, "kept_lut": kept, "models": len(models)},
                          errors={f"{name}:{k}": f[k] for name, f in fidelity.items()
                                  for k in FIDELITY_KEYS})

    def choose_multiplier(self, ctx: PassContext) -> tuple[str, str]:
        if self.multiplier:
            given = "--multiplier" if "multiplier" in ctx.global_fields else "htp{multiplier=...}"
            return self.multiplier, given
        return DEFAULT_MULTIPLIER, "default (low-error drum{k=6})"

    def htp_model(self, ctx: PassContext, model: MultiplierModel, report: dict[str, Any]) -> HtpModel | None:
        """The HTP model of `model`, or None when it is a refused surrogate."""
        h = best_htp(model)
        exact = h.fidelity["max_abs"] <= self.tolerance + 1e-9
        described = h.describe()
        described["within_tolerance"] = exact
        report.setdefault("models", {})[model.name] = described
        f = h.fidelity
        line = (f"htp: {model.name}: {h.label} {h.source} model with {len(h.terms)} terms "
                f"({h.n_convs} conv/matmul per layer); |h - f| mean {f['mean_abs']:.3g}, max "
                f"{f['max_abs']:.3g}, bias {f['bias']:.3g}, {f['bit_exact%']:.1f} % bit-exact")
        ctx.log(line)
        if not exact:
            if not self.allow_surrogate:
                ctx.log(f"htp: refused: the HTP model of {model.name} is a surrogate (max |h - f| = "
                        f"{f['max_abs']:.3g} > tolerance {self.tolerance:g}); its layers keep the "
                        "bit-exact LUT (htp{allow_surrogate=true} accepts the surrogate)")
                return None
            ctx.log(f"htp: warning: {model.name} runs with a surrogate HTP model")
        return h

    def replace(self, builder: Builder, op: Any, h: HtpModel) -> None:
        attrs = {k: v for k, v in op.attributes.items()}
        error = dict(attrs["error"].to_dict() if isinstance(attrs["error"], FrozenDict)
                     else attrs["error"])
        error.update({f"htp_{k}": h.fidelity[k] for k in FIDELITY_KEYS})
        attrs.update({"origin": "approx.mul", "error": error, "terms": h.plain_terms(),
                      "htp_label": h.label, "htp_source": h.source})
        operands = list(op.operands[:4]) + list(op.operands[5:])
        new = builder.create(approx.HtpOp, operands, [op.result.type], attrs, loc=op.loc)
        builder.replace(op, [new.result])
