"""The PyTorch backend: ONNX Runtime-exact outputs, fake-quant layers, save/load, QAT, write-back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from axc.backends.torch_module import save_pt
from axc.frontend.onnx_import import import_model, load_onnx
from axc.ir import InputError, Module
from axc.ir.dialects import nn as nnd
from axc.passes.infra.base import PassContext
from axc.passes.network.quantize import QuantizePass
from axc.runtime import quant as Q
from axc.runtime import torch_net
from axc.runtime.nn_eval import dataset_for_module, top1
from axc.runtime.onnx_model import export_model
from axc.runtime.onnx_run import OnnxRunner
from axc.runtime.torch_net import register_torch_op, to_torch, update_module_weights
from onnx import TensorProto, helper, numpy_helper

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MNIST8 = CORPORA / "onnx" / "mnist8" / "model.onnx"
MNIST = CORPORA / "datasets" / "mnist"


@pytest.fixture(scope="module")
def mnist() -> tuple[np.ndarray, np.ndarray]:
    ds = dataset_for_module(str(MNIST), load_onnx(str(MNIST8)))
    assert ds.y is not None
    return ds.x, ds.y


def _ort(m: Module, x: np.ndarray, optimize: bool = True) -> np.ndarray:
    clean = m.clone()
    runner = OnnxRunner(clean)
    if not optimize:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        runner.session = ort.InferenceSession(export_model(clean).model.SerializeToString(), so,
                                              providers=["CPUExecutionProvider"])
    return runner.run_batched(x)


def _torch(net: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


def test_float_mnist8_matches_onnx_runtime(mnist) -> None:
    m = load_onnx(str(MNIST8))
    net = to_torch(m)
    x = np.concatenate([dataset_for_module(str(MNIST8.parent), m).x, mnist[0][:64]])
    ref = _ort(m, x)
    out = _torch(net, x)
    assert np.max(np.abs(out - ref)) <= 1e-4 * max(1.0, float(np.max(np.abs(ref))))
    assert np.array_equal(top1(out), top1(ref))
    names = dict(net.named_parameters())
    assert {"p_Parameter5", "p_Parameter87", "p_Parameter193"} <= set(names), "weights must be trainable"


def test_quantized_mnist8_matches_onnx_runtime(mnist) -> None:
    x, _ = mnist
    m = load_onnx(str(MNIST8))
    QuantizePass(bits=8, weight_bits=4).run(PassContext(quiet=True), m, x[:200])
    net = to_torch(m)
    out = _torch(net, x[200:456])
    unfused = _ort(m, x[200:456], optimize=False)
    scale = float(np.max(np.abs(unfused)))
    # QDQ executed as written: the same fake-quant arithmetic up to float summation order
    assert np.quantile(np.abs(out - unfused), 0.99) <= 1e-4 * scale
    assert np.array_equal(top1(out), top1(unfused))
    # ORT's default session fuses QDQ into integer kernels; top-1 still agrees
    assert np.mean(top1(out) == top1(_ort(m, x[200:456]))) >= 0.99
    weights = dict(net.named_parameters())["p_Parameter5_quantized"].detach()
    steps = torch.round(weights / net.c_Parameter5_quantized_scale.view(-1, 1, 1, 1))
    assert max(len(torch.unique(channel)) for channel in steps) <= 16


def test_save_load_and_state_dict(tmp_path: Path, mnist) -> None:
    x = mnist[0][:32]
    m = load_onnx(str(MNIST8))
    QuantizePass(bits=8).run(PassContext(quiet=True), m, mnist[0][:100])
    path = tmp_path / "model.pt"
    save_pt(m, str(path), {})
    loaded = torch.load(path, weights_only=False)
    net = to_torch(m)
    assert np.array_equal(_torch(loaded, x), _torch(net, x))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(0.5)
    fresh = to_torch(m)
    fresh.load_state_dict(net.state_dict())
    assert np.array_equal(_torch(fresh, x), _torch(net, x))
    assert not np.array_equal(_torch(fresh, x), _torch(loaded, x))


@pytest.mark.parametrize(("per_channel", "gain"), [(True, 0.003), (False, 0.05)])
def test_qat_raises_two_bit_accuracy_and_writes_back(mnist, per_channel: bool, gain: float) -> None:
    """One epoch of QAT on images 0-7999 raises 2-bit accuracy on 8000-9999 (96.8 -> 97.7 %
    per channel, 67.6 -> 86.8 % per tensor when measured)."""
    x, y = mnist
    torch.manual_seed(0)
    m = load_onnx(str(MNIST8))
    QuantizePass(bits=8, weight_bits=2, per_channel=per_channel).run(PassContext(quiet=True), m, x[:500])
    net = to_torch(m)
    held_x, held_y = x[8000:], y[8000:]
    before = float(np.mean(top1(_torch(net, held_x)) == held_y))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x[:8000]), torch.from_numpy(y[:8000])
    order = torch.randperm(8000)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convs: one thread is fastest and immune to a busy machine
    try:
        for start in range(0, 8000, 64):
            idx = order[start : start + 64]
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    after = float(np.mean(top1(_torch(net, held_x)) == held_y))
    assert after >= before + gain, (before, after)
    # write the trained weights back: the ONNX model now scores what the torch module scores
    assert update_module_weights(m, net) >= 3
    ort_after = float(np.mean(top1(_ort(m, held_x)) == held_y))
    assert abs(ort_after - after) <= 0.005
    for op in m.top_graph.ops:
        view = op.attr("quant")
        if view is not None:
            w_int = view["w_int"].array
            assert np.array_equal(op.operand(view["weight_operand"]).owner.operand(0).owner.attr("value").array, w_int)
            assert w_int.min() >= -2 and w_int.max() <= 1


def _model(nodes, inputs, output, inits=(), opset=13) -> Module:
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(a, n) for n, a in inits],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return import_model(onnx.shape_inference.infer_shapes(model))


_R = np.random.default_rng(0)
_W = _R.normal(size=(6, 2, 3, 3)).astype(np.float32)
_B = _R.normal(size=(6,)).astype(np.float32)
_CASES = {
    "conv_asym_pads_group_dilation": ([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[0, 1, 2, 1], group=2, dilations=[1, 2], strides=[2, 1])],
                                      [("w", _R.normal(size=(6, 2, 3, 3)).astype(np.float32)), ("b", _B)]),
    "conv_same_lower": ([helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER", strides=[2, 2])],
                        [("w", _R.normal(size=(3, 4, 2, 2)).astype(np.float32))]),
    "maxpool_ceil_pads": ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 1], ceil_mode=1)], []),
    "avgpool_exclude_pad_ceil": ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 1, 1, 0], ceil_mode=1)], []),
    "avgpool_include_pad": ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)], []),
    "globalavgpool_relu": ([helper.make_node("GlobalAveragePool", ["x"], ["g"]), helper.make_node("Relu", ["g"], ["y"])], []),
    "batchnorm": ([helper.make_node("BatchNormalization", ["x", "s", "bb", "mu", "var"], ["y"], epsilon=1e-3)],
                  [("s", _R.normal(size=4).astype(np.float32)), ("bb", _R.normal(size=4).astype(np.float32)),
                   ("mu", _R.normal(size=4).astype(np.float32)), ("var", _R.uniform(0.5, 2, size=4).astype(np.float32))]),
    "flatten_gemm_trans": ([helper.make_node("Flatten", ["x"], ["f"], axis=1),
                            helper.make_node("Gemm", ["f", "gw", "gc"], ["y"], transB=1, alpha=0.5, beta=2.0)],
                           [("gw", _R.normal(size=(5, 4 * 7 * 6)).astype(np.float32)), ("gc", _R.normal(size=(5,)).astype(np.float32))]),
    "transpose_concat_softmax": ([helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
                                  helper.make_node("Concat", ["t", "t"], ["c"], axis=2),
                                  helper.make_node("Softmax", ["c"], ["y"], axis=1)], []),
    "arith_broadcast_clip": ([helper.make_node("Sub", ["x", "k"], ["s"]), helper.make_node("Mul", ["s", "k"], ["m"]),
                              helper.make_node("Div", ["m", "k2"], ["d"]), helper.make_node("Add", ["d", "k"], ["a"]),
                              helper.make_node("Clip", ["a", "lo", "hi"], ["y"])],
                             [("k", _R.normal(size=(4, 1, 1)).astype(np.float32)), ("k2", np.float32([[2.0]])),
                              ("lo", np.float32(-0.5)), ("hi", np.float32(0.7))]),
    "pad_reflect_reshape_matmul": ([helper.make_node("Pad", ["x", "pp"], ["p"], mode="reflect"),
                                    helper.make_node("Reshape", ["p", "shape"], ["r"]),
                                    helper.make_node("MatMul", ["r", "mw"], ["y"])],
                                   [("pp", np.array([0, 0, 1, 2, 0, 0, 1, 0], np.int64)), ("shape", np.array([0, 4, -1], np.int64)),
                                    ("mw", _R.normal(size=(9 * 8, 3)).astype(np.float32))]),
    "pad_edge_constant": ([helper.make_node("Pad", ["x", "pp"], ["p"], mode="edge"),
                           helper.make_node("Pad", ["p", "pp", "v"], ["y"], mode="constant")],
                          [("pp", np.array([0, 0, 1, 1, 0, 0, 2, 0], np.int64)), ("v", np.float32(3.5))]),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_ops_match_onnx_runtime(case: str) -> None:
    nodes, inits = _CASES[case]
    m = _model(nodes, [("x", [2, 4, 7, 6])], "y", inits)
    x = np.random.default_rng(1).normal(size=(2, 4, 7, 6)).astype(np.float32)
    ref = _ort(m, x)
    out = _torch(to_torch(m), x)
    assert out.shape == ref.shape
    assert np.allclose(out, ref, rtol=1e-5, atol=1e-5), np.max(np.abs(out - ref))


def test_legacy_softmax_axis_semantics() -> None:
    m = _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], [("x", [2, 3, 4])], "y", opset=11)
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
    assert np.allclose(_torch(to_torch(m), x), _ort(m, x), atol=1e-6)


def test_qdq_chain_is_a_trainable_fake_quantizer() -> None:
    r = Q.int_range(8, False)
    scale, zero = Q.choose_qparams(0.0, 4.0, r, False)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]), helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    inits = [("s", np.array(scale, np.float32)), ("z", np.array(zero, np.uint8))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [50])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [50])],
                              [numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    m = import_model(model)
    x = np.linspace(-1, 5, 50).astype(np.float32)
    assert np.array_equal(_torch(to_torch(m), x), _ort(m, x))
    xt = torch.from_numpy(x).requires_grad_(True)
    to_torch(m)(xt).sum().backward()
    inside = (x >= 0) & (x <= 4)
    assert np.array_equal(xt.grad.numpy(), inside.astype(np.float32))


def test_unsupported_op_is_an_input_error() -> None:
    m = _model([helper.make_node("Sin", ["x"], ["y"])], [("x", [3])], "y")
    with pytest.raises(InputError, match="does not support 'Sin'"):
        to_torch(m)


_LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
_FAST_LIGHT = {"light_squeezenet", "light_inception_v1"}


@pytest.mark.parametrize(
    "name",
    [p.stem if p.stem in _FAST_LIGHT else pytest.param(p.stem, marks=pytest.mark.slow) for p in sorted(_LIGHT.glob("light_*.onnx"))],
)
def test_onnx_light_models_match_onnx_runtime(name: str) -> None:
    m = load_onnx(str(_LIGHT / f"{name}.onnx"))
    x = m.top_graph.inputs[0]
    shape = tuple(d if isinstance(d, int) else 1 for d in x.type.shape)
    feed = np.random.default_rng(0).random(shape, dtype=np.float32)
    ref = OnnxRunner(m).run({x.name: feed})[0]
    out = _torch(to_torch(m), feed)
    assert np.allclose(out, ref, rtol=1e-4, atol=1e-4 * max(1.0, float(np.max(np.abs(ref)))))


def test_resnet8_matches_onnx_runtime_float_and_quantized() -> None:
    path = CORPORA / "onnx" / "resnet8_cifar10" / "model.onnx"
    m = load_onnx(str(path))
    x = dataset_for_module(str(path.parent), m).x
    ref = _ort(m, x)
    assert np.max(np.abs(_torch(to_torch(m), x) - ref)) <= 1e-5
    calib = np.random.default_rng(3).random((32, 32, 32, 3), dtype=np.float32)
    QuantizePass(bits=8).run(PassContext(quiet=True), m, calib)
    assert len([op for op in m.top_graph.ops if op.attr("quant") is not None]) == 10
    q_ref = _ort(m, x, optimize=False)
    diff = np.abs(_torch(to_torch(m), x) - q_ref)  # float sums may flip a rounding: one step
    assert np.median(diff) <= 1e-5 and np.max(diff) <= 1e-2
    assert np.array_equal(top1(q_ref), top1(ref))


def test_registered_op_modules_run_and_train() -> None:
    """Other passes' ops (e.g. approx.*) plug in through `register_torch_op`."""

    class Scaled(torch.nn.Module):
        def __init__(self, op) -> None:
            super().__init__()
            self.gain = torch.nn.Parameter(torch.tensor(float(op.attr("gain"))))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.gain

    m = _model([helper.make_node("Relu", ["x"], ["y"])], [("x", [4])], "y")
    relu = next(iter(m.top_graph.ops_of(nnd.ReluOp)))
    relu.set_attr("gain", 3.0)
    register_torch_op("nn.relu", Scaled)
    try:
        net = to_torch(m)
    finally:
        torch_net._OP_MODULES.pop("nn.relu")
    x = torch.tensor([1.0, -2.0, 0.5, 4.0])
    assert torch.equal(net(x), 3 * x)
    net(x).sum().backward()
    assert any(n.endswith("gain") for n, _ in net.named_parameters())


def test_onnx_runtime_quantized_model_runs_bit_exactly(tmp_path: Path, mnist) -> None:
    """A QDQ model made by onnxruntime.quantization (int8 activations and weights, int32 bias)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    x = mnist[0]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"Input3": s[None]} for s in x[:50]])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    path = tmp_path / "ort_qdq.onnx"
    quantize_static(str(MNIST8), str(path), Reader(), quant_format=QuantFormat.QDQ)
    m = load_onnx(str(path))
    ref = OnnxRunner(str(path)).run_batched(x[100:300])
    assert np.array_equal(_torch(to_torch(m), x[100:300]), ref)
