"""Multiplier specs: `exact`, `trunc{l=2,m=2}`, `drum{k=6}`, `mitchell{k=4}` or a circuit path.

`parse_spec` splits a spec into a family and integer parameters; `analytic_model` builds the
model of an analytic family; `load_multiplier` accepts either form (a path goes through the
circuit frontends). Parameters may be named (`drum{k=4}`) or positional (`drum{4}`,
`trunc{2,3}`); parentheses work like braces (`drum(k=4)`). Widths and signedness come from the
caller (what the network's quantization needs) unless the spec names them: `bits`, `x_bits`,
`w_bits`, `signed` (0/1, true/false).

Defaults: `trunc` l=2, m=2; `drum` k=6; `mitchell` k=4.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from axc.ir import InputError, Location

from . import families
from .model import MultiplierModel

__all__ = ["CIRCUIT_SUFFIXES", "FAMILIES", "SPEC_PATTERN", "analytic_model", "canonical_spec", "is_circuit_path", "load_multiplier",
           "parse_spec"]

FAMILIES: dict[str, tuple[str, ...]] = {
    "exact": (),
    "trunc": ("l", "m"),
    "drum": ("k",),
    "mitchell": ("k",),
}
"""Analytic families and their positional parameter names."""

_DEFAULTS: dict[str, dict[str, int]] = {
    "exact": {},
    "trunc": {"l": 2, "m": 2},
    "drum": {"k": 6},
    "mitchell": {"k": 4},
}
_WIDTH_KEYS = ("bits", "x_bits", "w_bits", "signed")
SPEC_PATTERN = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(?:[{(](.*)[})])?\s*$")
CIRCUIT_SUFFIXES = (".v", ".sv", ".verilog", ".blif", ".ir")


def is_circuit_path(spec: str) -> bool:
    return spec.lower().endswith(CIRCUIT_SUFFIXES) or "/" in spec or Path(spec).is_file()


def _int_value(text: str, spec: str, loc: Location | None) -> int:
    value = text.strip().lower()
    if value in ("true", "false"):
        return int(value == "true")
    try:
        return int(value, 0)
    except ValueError:
        raise InputError(f"multiplier spec '{spec}': '{text.strip()}' is not an integer",
                         loc) from None


def parse_spec(spec: str, loc: Location | None = None) -> tuple[str, dict[str, int]]:
    """(family, params) of an analytic spec; InputError for an unknown family or parameter."""
    match = SPEC_PATTERN.match(spec)
    if match is None:
        raise InputError(f"cannot parse multiplier spec '{spec}' (expected e.g. drum{{k=6}})", loc)
    family = match.group(1).lower()
    if family not in FAMILIES:
        known = ", ".join(FAMILIES)
        raise InputError(f"unknown multiplier family '{family}' (known: {known}, or a circuit "
                         f"file .v/.blif)", loc)
    params = dict(_DEFAULTS[family])
    body = (match.group(2) or "").strip()
    positional = list(FAMILIES[family])
    for i, item in enumerate(p for p in re.split(r"[,\s]+", body) if p):
        if "=" in item:
            key, value = item.split("=", 1)
            key = key.strip().replace("-", "_")
        elif i < len(positional):
            key, value = positional[i], item
        else:
            raise InputError(f"multiplier spec '{spec}': too many positional parameters", loc)
        if key not in FAMILIES[family] and key not in _WIDTH_KEYS:
            allowed = ", ".join(FAMILIES[family] + _WIDTH_KEYS)
            raise InputError(f"multiplier spec '{spec}': unknown parameter '{key}' "
                             f"(allowed: {allowed})", loc)
        params[key] = _int_value(value, spec, loc)
    for key in FAMILIES[family]:
        if params[key] < 0 or (family != "trunc" and params[key] < 1):
            raise InputError(f"multiplier spec '{spec}': {key}={params[key]} out of range", loc)
    return family, params


def canonical_spec(family: str, params: Mapping[str, int]) -> str:
    names = FAMILIES[family]
    if not names:
        return family
    return family + "{" + ",".join(f"{k}={params[k]}" for k in names) + "}"


def analytic_model(
    family: str, params: Mapping[str, int], x_bits: int = 8, w_bits: int = 8,
    signed: bool = False, x_signed: bool | None = None, w_signed: bool | None = None,
) -> MultiplierModel:
    """The model of an analytic family at the given operand widths (the families are defined on
    signed and unsigned integers alike, so each operand may take the network's own signedness)."""
    p = dict(params)
    bits = p.pop("bits", None)
    if bits is not None:
        x_bits = w_bits = bits
    x_bits = p.pop("x_bits", x_bits)
    w_bits = p.pop("w_bits", w_bits)
    if "signed" in p:  # the spec names the signedness of both operands
        x_signed = w_signed = None
    signed = bool(p.pop("signed", signed))
    if min(x_bits, w_bits) < 1 or max(x_bits, w_bits) > 32:
        raise InputError(f"multiplier widths {x_bits}x{w_bits} out of range (1..32)")
    if family == "exact":
        function = families.exact_product
    elif family == "trunc":
        function = partial(families.trunc_product, l=p["l"], m=p["m"])
    elif family == "drum":
        function = partial(families.drum_product, k=p["k"])
    else:
        function = partial(families.mitchell_product, k=p["k"])
    core = {k: p[k] for k in FAMILIES[family]}
    return MultiplierModel(
        name=canonical_spec(family, core), x_bits=x_bits, w_bits=w_bits, signed=signed,
        function=function, family=family, params=core, x_signed=x_signed, w_signed=w_signed,
    )


def load_multiplier(
    spec: str, x_bits: int = 8, w_bits: int = 8, signed: bool = False, loc: Location | None = None,
    x_signed: bool | None = None, w_signed: bool | None = None,
) -> MultiplierModel:
    """The model of an analytic family spec at the given widths.

    A circuit file is read by the pass that names it (`approx-mul{circuit=...}`), which tabulates
    its graph with `model_from_graph`.
    """
    if is_circuit_path(spec):
        raise InputError(f"'{spec}' is a circuit file: the passes read circuits "
                         "(approx-mul{circuit=...}, --multiplier FILE)", loc)
    family, params = parse_spec(spec, loc)
    return analytic_model(family, params, x_bits=x_bits, w_bits=w_bits, signed=signed,
                          x_signed=x_signed, w_signed=w_signed)
