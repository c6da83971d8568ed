"""`--data` readers, adaptation to the model input, splits, and evaluation in ONNX Runtime."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from axc.frontend.onnx_import import load_onnx
from axc.ir import InputError, TensorType
from axc.ir.dialects import nn
from axc.passes.infra.base import PassContext
from axc.runtime.nn_data import Dataset, adapt_samples, load_dataset, read_idx
from axc.runtime.nn_eval import (
    dataset_for_module,
    evaluate,
    predictions,
    report_network_quality,
    top1,
)

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST = CORPORA / "datasets" / "mnist"
MNIST8 = CORPORA / "onnx" / "mnist8"
MNIST8_INPUT = TensorType((1, 1, 28, 28), "f32")


@pytest.fixture(scope="module")
def mnist8():
    return load_onnx(str(MNIST8 / "model.onnx"), {})


def test_mnist_idx_folder_and_images_file() -> None:
    data = load_dataset(MNIST, MNIST8_INPUT, "Input3")
    assert data.x.shape == (10000, 1, 28, 28) and data.x.dtype == np.float32
    assert data.x.max() == 255.0 and data.x.min() == 0.0
    assert data.y is not None and data.y.shape == (10000,) and list(data.y[:5]) == [7, 2, 1, 0, 4]
    same = load_dataset(MNIST / "t10k-images-idx3-ubyte.gz", MNIST8_INPUT)
    assert np.array_equal(same.x, data.x) and np.array_equal(same.y, data.y)


def test_uncompressed_idx_matches_gzip(tmp_path: Path) -> None:
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.decompress((MNIST / f"{name}.gz").read_bytes()))
    plain = load_dataset(tmp_path, MNIST8_INPUT)
    assert np.array_equal(plain.x, load_dataset(MNIST, MNIST8_INPUT).x)
    assert read_idx(tmp_path / "t10k-labels-idx1-ubyte").shape == (10000,)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x27\x10\x01")
    with pytest.raises(InputError, match="truncated"):
        read_idx(tmp_path / "t10k-labels-idx1-ubyte")


def test_npz_with_and_without_labels(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(20) % 10)
    data = load_dataset(tmp_path / "d.npz", MNIST8_INPUT)
    assert data.x.shape == (20, 1, 28, 28) and np.array_equal(data.x[:, 0], x.astype(np.float32))
    assert list(data.y[:3]) == [0, 1, 2]
    np.savez(tmp_path / "one_hot.npz", x=x, y=np.eye(10)[np.arange(20) % 10])
    assert np.array_equal(load_dataset(tmp_path / "one_hot.npz", MNIST8_INPUT).y, data.y)
    np.savez(tmp_path / "nolabels.npz", x=x)
    assert load_dataset(tmp_path / "nolabels.npz", MNIST8_INPUT).y is None
    np.savez(tmp_path / "wrongkey.npz", images=x)
    with pytest.raises(InputError, match="no array 'x'"):
        load_dataset(tmp_path / "wrongkey.npz", MNIST8_INPUT)
    np.savez(tmp_path / "badlabels.npz", x=x, y=np.arange(3))
    with pytest.raises(InputError, match="labels"):
        load_dataset(tmp_path / "badlabels.npz", MNIST8_INPUT)


def test_shape_mismatch_is_one_clear_line(tmp_path: Path) -> None:
    np.savez(tmp_path / "cifar.npz", x=np.zeros((4, 32, 32, 3), np.float32))
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path / "cifar.npz", MNIST8_INPUT, "Input3")
    text = str(info.value)
    assert "\n" not in text and "[32,32,3]" in text and "'Input3' is [1,1,28,28]" in text
    assert text.startswith(f"{tmp_path / 'cifar.npz'}:1:1: error:")
    with pytest.raises(InputError, match="unknown data format"):
        (tmp_path / "x.csv").write_text("1,2\n")
        load_dataset(tmp_path / "x.csv", MNIST8_INPUT)


def test_symbolic_batch_and_channels_last() -> None:
    t = TensorType(("N", 32, 32, 3), "f32")
    x = np.zeros((5, 32, 32, 3), np.float64)

    assert adapt_samples(x, t, "in", "<test>").dtype == np.float32
    with pytest.raises(InputError):
        adapt_samples(np.zeros((5, 3, 32, 32)), t, "in", "<test>")


def test_onnx_test_data_sets_folder(mnist8) -> None:
    data = dataset_for_module(str(MNIST8), mnist8)
    assert data.x.shape == (3, 1, 28, 28) and data.y is None
    single = dataset_for_module(str(MNIST8 / "test_data_set_1"), mnist8)
    assert np.array_equal(single.x[0], data.x[1])


def test_split_is_disjoint_and_checked() -> None:
    data = Dataset(np.arange(10).reshape(10, 1), np.arange(10), "<test>")
    calib, rest = data.split(4)
    assert list(calib.x[:, 0]) == [0, 1, 2, 3] and list(rest.x[:, 0]) == list(range(4, 10))
    assert rest.offset == 4
    _, few = data.split(4, eval=3)
    assert list(few.y) == [4, 5, 6]
    with pytest.raises(InputError, match="no samples to evaluate"):
        data.split(10)


def test_mnist8_float_accuracy_on_first_2000(mnist8) -> None:
    data = dataset_for_module(str(MNIST), mnist8).slice(0, 2000)
    result = evaluate(mnist8, data, reference=mnist8)
    print(f"mnist8 float top-1 on the first 2000 MNIST test images: {100 * result.top1:.2f} %")
    assert result.top1 == pytest.approx(0.984, abs=0.001)
    assert result.agreement == 1.0 and result.max_abs_diff == 0.0


@pytest.mark.slow
def test_mnist8_float_accuracy_full_test_set(mnist8) -> None:
    result = evaluate(mnist8, dataset_for_module(str(MNIST), mnist8))
    print(f"mnist8 float top-1 on 10,000 MNIST test images: {100 * result.top1:.2f} %")
    assert result.n == 10000 and 0.985 <= result.top1 <= 0.993


def test_report_hook_evaluates_after_calibration_slice(mnist8) -> None:
    changed = mnist8.clone()
    last = changed.top_graph.outputs[0].owner
    assert isinstance(last, nn.AddOp)
    # suppress class 3: agreement drops by exactly the samples the original calls 3
    bias = last.operand(1).owner
    b = bias.attr("value").array.copy()
    b[..., 3] -= 1e4
    bias.set_attr("value", b)
    ctx = PassContext(quiet=True, options={"data": str(MNIST), "calib": 1000, "eval": 500}, original=mnist8)
    result = report_network_quality(ctx, changed)
    assert result is not None and result.n == 500 and result.first_sample == 1000
    data = dataset_for_module(str(MNIST), mnist8).slice(1000, 1500)
    original_pred = top1(predictions(mnist8, data.x))
    assert result.agreement == pytest.approx(np.mean(original_pred != 3))
    assert ctx.report["network_quality"]["n"] == 500
    assert report_network_quality(PassContext(quiet=True), changed) is None
