"""Pipeline specs: syntax, typed options, canonical printing, located errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import pytest
from axc.ir import ParseError
from axc.passes.infra.base import ModulePass
from axc.passes.infra.options import OptionError, coerce, pass_options
from axc.passes.infra.pipeline import PassSpec, Pipeline, parse_spec
from axc.passes.infra.registry import all_pass_names, get_pass
from hypothesis import given, settings
from hypothesis import strategies as st


@dataclass(frozen=True)
class KitchenSinkPass(ModulePass):
    """A pass with every kind of option (for tests)."""

    name: ClassVar[str] = "kitchen-sink"

    bits: int = 4
    """Number of bits."""
    ratio: float = 0.5
    """A ratio."""
    flag: bool = False
    """A flag."""
    label: str = "x"
    """Any text."""
    mode: Literal["fast", "exact"] = "fast"
    """The mode."""
    budget: float | None = None
    """An optional budget."""
    layers: tuple[str, ...] = ()
    """Layer names."""
    sizes: tuple[int, ...] = (1, 2)
    """Sizes."""
    note: str | None = None
    """Optional text."""


@dataclass(frozen=True)
class PlainPass(ModulePass):
    """No options at all."""

    name: ClassVar[str] = "plain"


PASSES = {"kitchen-sink": KitchenSinkPass, "plain": PlainPass}


def parse(text: str) -> Pipeline:
    return Pipeline.parse(text, PASSES)


def test_options_are_introspected_with_docstrings() -> None:
    infos = {o.name: o for o in pass_options(KitchenSinkPass)}
    assert infos["bits"].doc == "Number of bits."
    assert infos["layers"].type_text == "tuple[str, ...]"
    assert infos["budget"].type_text == "float | None"
    assert infos["mode"].type_text == "'fast' | 'exact'"
    assert infos["sizes"].default == (1, 2)


@pytest.mark.parametrize(
    ("raw", "hint", "expected"),
    [
        ("12", int, 12),
        ("0x10", int, 16),
        ("1e-3", float, 0.001),
        ("true", bool, True),
        ("0", bool, False),
        ("none", float | None, None),
        ("0.25", float | None, 0.25),
        (["a", "b"], tuple[str, ...], ("a", "b")),
        ("a", tuple[str, ...], ("a",)),
        (["1", "2"], tuple[int, ...], (1, 2)),
        ("exact", Literal["fast", "exact"], "exact"),
    ],
)
def test_coerce(raw: object, hint: object, expected: object) -> None:
    assert coerce(raw, hint) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "hint"), [("x", int), ("maybe", bool), ("slow", Literal["fast"]), (["1"], int)])
def test_coerce_rejects(raw: object, hint: object) -> None:
    with pytest.raises(OptionError):
        coerce(raw, hint)  # type: ignore[arg-type]


def test_both_separators_dashes_and_bare_keys() -> None:
    a = parse("plain, kitchen-sink{bits=8 flag layers=[conv1, conv2]},kitchen_sink{mode=exact,ratio=2}")
    assert [p.name for p in a] == ["plain", "kitchen-sink", "kitchen-sink"]
    assert a.passes[1].kwargs == {"bits": 8, "flag": True, "layers": ("conv1", "conv2")}
    assert a.passes[2].kwargs == {"ratio": 2.0, "mode": "exact"}
    assert str(a) == "plain,kitchen-sink{bits=8 flag=true layers=[conv1,conv2]},kitchen-sink{ratio=2.0 mode=exact}"
    assert parse(str(a)) == a


def test_nested_braces_and_quotes_stay_strings() -> None:
    p = parse("kitchen-sink{label=drum{k=6} note='a b,c'}")
    assert p.passes[0].kwargs == {"label": "drum{k=6}", "note": "a b,c"}
    assert parse(str(p)) == p
    quoted_none = parse('kitchen-sink{note="none"}')
    assert quoted_none.passes[0].kwargs == {"note": "none"}
    assert parse(str(quoted_none)) == quoted_none
    assert parse("kitchen-sink{note=none}").passes[0].kwargs == {"note": None}


def test_empty_spec_is_an_empty_pipeline() -> None:
    assert len(parse("")) == 0
    assert str(parse("  ")) == ""


def _error(text: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text)
    return info.value


def test_unknown_pass_points_at_it_and_suggests() -> None:
    err = _error("plain,kitchen-snk{bits=3}")
    lines = err.render().splitlines()
    assert lines[0] == "<pipeline>:1:7: error: unknown pass 'kitchen-snk'; did you mean 'kitchen-sink'?"
    assert lines[1] == "  plain,kitchen-snk{bits=3}"
    assert lines[2] == "  " + " " * 6 + "^" * len("kitchen-snk")


def test_unknown_option_suggests_the_closest_key() -> None:
    err = _error("kitchen-sink{bist=3}")
    assert "has no option 'bist'; did you mean 'bits'?" in err.message
    assert err.loc.col == 14  # type: ignore[union-attr]


def test_option_without_close_match_lists_the_options() -> None:
    err = _error("plain{zzz=1}")
    assert "it takes no options" in err.message


def test_bad_value_points_at_the_value() -> None:
    err = _error("kitchen-sink{bits=eight}")
    assert "expected an integer, got 'eight'" in err.message
    assert err.loc.col == 19  # type: ignore[union-attr]
    assert err.render().splitlines()[2] == "  " + " " * 18 + "^^^^^"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plain,", "expected a pass name"),
        ("kitchen-sink{bits=3", "unclosed '{'"),
        ("kitchen-sink{layers=[a,b}", "expected ',' or ']'"),
        ("kitchen-sink{note='abc}", "unterminated string"),
        ("kitchen-sink{bits=}", "expected a value"),
        ("kitchen-sink{bits=1 bits=2}", "given twice"),
        ("kitchen-sink{bits}", "needs a value"),
        ("plain plain", "expected ',' between passes"),
        ("kitchen-sink{label=a{b}", "unclosed '{'"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    assert message in _error(text).message


def test_raw_syntax_keeps_positions() -> None:
    (element,) = parse_spec("x{a=1 b=[2,3] c}")
    assert [o.key for o in element.options] == ["a", "b", "c"]
    assert element.options[1].value == ("2", "3")
    assert element.options[2].value is None


def test_registry_pipeline() -> None:
    p = Pipeline.parse("dce{keep-named},cse{commutative=false},print-ir")
    assert str(p) == "dce{keep-named=true},cse{commutative=false},print-ir"
    assert isinstance(p.passes[0].instantiate(), ModulePass)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_OPTION_VALUES = {
    "bits": st.integers(-(10**9), 10**9),
    "ratio": st.floats(allow_nan=False),
    "flag": st.booleans(),
    "label": _TEXT,
    "mode": st.sampled_from(["fast", "exact"]),
    "budget": st.none() | st.floats(allow_nan=False, allow_infinity=False),
    "layers": st.lists(_TEXT, max_size=4).map(tuple),
    "sizes": st.lists(st.integers(0, 99), max_size=4).map(tuple),
    "note": st.none() | _TEXT,
}


@st.composite
def pass_specs(draw: st.DrawFn) -> PassSpec:
    if draw(st.booleans()):
        return PassSpec("plain", (), PlainPass)
    keys = draw(st.lists(st.sampled_from(list(_OPTION_VALUES)), unique=True, max_size=5))
    order = list(_OPTION_VALUES)
    keys.sort(key=order.index)
    options = tuple((k, draw(_OPTION_VALUES[k])) for k in keys)
    return PassSpec("kitchen-sink", options, KitchenSinkPass)


@settings(max_examples=300, deadline=None)
@given(st.lists(pass_specs(), max_size=5))
def test_print_parse_round_trip(specs: list[PassSpec]) -> None:
    pipeline = Pipeline(tuple(specs))
    text = str(pipeline)
    again = parse(text)
    assert again == pipeline, text
    assert str(again) == text


def test_every_registered_pass_documents_itself_and_round_trips_its_defaults() -> None:
    for name in all_pass_names():
        cls = get_pass(name)
        assert cls is not None and cls.name == name, name
        assert (cls.__doc__ or "").strip(), f"pass '{name}' has no docstring"
        options = pass_options(cls)
        for info in options:
            assert info.doc, f"option '{info.key}' of pass '{name}' has no docstring"
        explicit = tuple((o.name, o.default) for o in options if not o.required)
        spec = PassSpec(name, explicit, cls)
        again = Pipeline.parse(str(spec))
        assert again.passes[0] == spec, str(spec)
        assert isinstance(again.passes[0].instantiate(), cls)
