"""HTP programs: one lookup + one conv/matmul equal to the per-transform sum, with fewer convs."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from axc.runtime.htp import Transform
from axc.runtime.htp_program import build_program


def _bit_plane_groups(rng: np.random.Generator, out: int, cin: int) -> list:
    """Bit planes 0-7 plus `id` (= sum 2^p bit_p) whose weights for planes 5-7 share a part."""
    shared = rng.integers(-3, 4, (out, cin, 3, 3))
    base = rng.integers(-50, 50, (out, cin, 3, 3))
    groups = []
    for p in range(8):
        weight = base * (1 << p) + (shared if p >= 5 else rng.integers(-3, 4, base.shape))
        groups.append((Transform("bit", p), torch.from_numpy(weight).float()))
    groups.append((Transform("id"), torch.from_numpy(rng.integers(-2, 3, base.shape)).float()))
    return groups


def _reference(x_q: torch.Tensor, groups: list, constant: torch.Tensor, x_zero: int) -> torch.Tensor:
    acc = constant.reshape(1, -1, 1, 1).double()
    for gx, weight in groups:
        tx = torch.from_numpy(gx(x_q.numpy()) - gx(np.array([x_zero]))[0])
        acc = acc + F.conv2d(tx, weight.double(), padding=1)
    return acc


def test_program_merges_dependent_transforms_and_weights_exactly() -> None:
    rng = np.random.default_rng(3)
    groups = _bit_plane_groups(rng, 5, 4)
    constant = torch.from_numpy(rng.integers(-100, 100, 5)).float()
    program = build_program(groups, constant, True, (0, 255), 7, True, torch.float64)
    # id merges into the bit planes; planes 5-7 span only {base, shared}: 8 - 1 = 7 left
    assert program.table.shape == (256, 7)
    assert program.weight.shape == (5, 4 * 7, 3, 3)
    assert torch.equal(program.table, program.table.round())  # integer entries: exact sums
    x_q = torch.from_numpy(rng.integers(0, 256, (2, 4, 6, 7))).double()
    index = x_q.long().permute(0, 2, 3, 1).reshape(-1)
    tx = program.table.index_select(0, index).reshape(2, 6, 7, 4 * 7).permute(0, 3, 1, 2)
    got = F.conv2d(tx, program.weight, program.constant, padding=1)
    assert torch.equal(got, _reference(x_q, groups, constant, 7))


def test_program_of_independent_groups_keeps_them() -> None:
    rng = np.random.default_rng(4)
    groups = [(Transform("mod", 2), torch.from_numpy(rng.integers(-9, 9, (6, 3))).float()),
              (Transform("floor", 2), torch.from_numpy(rng.integers(-9, 9, (6, 3))).float())]
    program = build_program(groups, torch.zeros(3), False, (-8, 7), 0, True, torch.float32)
    assert program.table.shape == (16, 2) and program.weight.shape == (12, 3)
    assert program.transform is None
    single = build_program(groups[:1], torch.zeros(3), False, (-8, 7), 0, True, torch.float32)
    assert single.transform == Transform("mod", 2)


def test_output_scale_is_folded_for_surrogates_only() -> None:
    rng = np.random.default_rng(5)
    groups = _bit_plane_groups(rng, 5, 4)
    constant = torch.from_numpy(rng.integers(-100, 100, 5)).float()
    scale = torch.from_numpy(rng.uniform(1e-4, 1e-3, 5)).float()
    exact = build_program(groups, constant, True, (0, 255), 7, True, torch.float32, scale)
    assert not exact.scaled
    surrogate = build_program(groups, constant, True, (0, 255), 7, False, torch.float32, scale)
    assert surrogate.scaled
    x_q = torch.from_numpy(rng.integers(0, 256, (2, 4, 6, 7))).double()
    expected = _reference(x_q, groups, constant, 7) * scale.double().reshape(1, -1, 1, 1)
    index = x_q.long().permute(0, 2, 3, 1).reshape(-1)
    rank = surrogate.table.shape[1]
    tx = surrogate.table.index_select(0, index).reshape(2, 6, 7, 4 * rank).permute(0, 3, 1, 2)
    got = F.conv2d(tx, surrogate.weight, surrogate.constant, padding=1)
    assert torch.allclose(got.double(), expected, rtol=1e-5, atol=1e-5 * float(expected.abs().max()))
    single = build_program(groups[:1], constant, True, (0, 255), 7, False, torch.float32, scale)
    assert not single.scaled and single.transform is not None  # the elementwise path scales later
