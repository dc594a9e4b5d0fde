"""SSD-MobileNet-v2 COCO through onnxruntime: the packaged TF frozen graph, translated in memory.

:class:`OnnxSSDDetector` gives the detections of :class:`~.ssd_detector.SSDDetector` (OpenCV
DNN on the same ``frozen_inference_graph.pb``) at a fraction of the cost. At load time the
frozen ``GraphDef`` is read without TensorFlow (:mod:`.tf_graph`) and its network body, from
the preprocessed image to the 12 box-predictor convolutions, is translated to an ONNX model
(NCHW, batch norms folded into the convolution weights, TF ``SAME`` padding made explicit for
the model's fixed 300x300 input; the two big 3x3 box-predictor heads merged and run as Winograd
GEMMs, see :meth:`_Translator._winograd`). Nothing is written to disk and nothing is downloaded.
Reading and translating takes about a second; the session holds ~140 MB and is shared by all
threads (OpenCV needs a ~160 MB network per thread).

TF's preprocessing subgraph (a bilinear resize to 300x300) and its postprocessing are not
translated. The image goes in as uint8 RGB and the graph's own ``x * 2/255 - 1`` is kept; the
SSD postprocessing is done in NumPy exactly as the pbtxt's OpenCV ``DetectionOutput`` layer
specifies it (TF's multiple-grid anchors, centre-size decoding with variances 0.1/0.1/0.2/0.2,
sigmoid scores, per-class greedy NMS at IoU 0.6 over each class's top 100, then the best 100).
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..config import DetectorConfig
from ..normalize import ModelInputs
from ..weights import detect_models_file
from .base import Detection
from .ssd_detector import coco_labels, score_floor, to_detections
from .tf_graph import NodeDef, read_graph

SIDE = 300  # the network's input size (TF's Preprocessor resizes every image to it)

# The pbtxt's DetectionOutput / PriorBox parameters and the model's anchor generator config.
CONFIDENCE_THRESHOLD = 0.01
NMS_THRESHOLD = 0.6
TOP_K = 100
KEEP_TOP_K = 100
VARIANCES = (0.1, 0.1, 0.2, 0.2)  # TF's box coder scale factors 10, 10, 5, 5
MIN_SCALE, MAX_SCALE = 0.2, 0.95
# As in the frozen graph's MultipleGridAnchorGenerator constants. (The pbtxt's PriorBox sizes
# use 0.333 for the last one, so OpenCV's priors for that shape differ by up to 7e-4.)
ASPECT_RATIOS = (1.0, 2.0, 0.5, 3.0, 0.3333)

# Winograd F(m x m, 3 x 3) transforms (B^T, G, A^T) for m = 2 and 4 (interpolation points 0, +-1, +-2).
_WINOGRAD = {
    2: (
        np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64),
        np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),
        np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64),
    ),
    4: (
        np.array(
            [
                [4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1],
            ],
            np.float64,
        ),
        np.array(
            [
                [1 / 4, 0, 0],
                [-1 / 6, -1 / 6, -1 / 6],
                [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6],
                [1 / 24, -1 / 12, 1 / 6],
                [0, 0, 1],
            ]
        ),
        np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], np.float64),
    ),
}
# Heads on feature maps at least this wide (19x19, 10x10: ~2/3 of the network's multiply-adds)
# run as Winograd GEMMs; on the small ones the larger transformed weights cost more than they save.
WINOGRAD_MIN_SIDE = 8

PREPROCESS_MUL = "Preprocessor/mul"  # x * (2/255); its non-constant input is the resized image
_PREDICTOR = re.compile(r"^BoxPredictor_(\d+)/(BoxEncodingPredictor|ClassPredictor)/BiasAdd$")
_FOLDABLE = {"Identity", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Rsqrt", "Sqrt"}


def _fold_const(op: str, args: list[np.ndarray]) -> np.ndarray:
    if op == "Identity":
        return args[0]
    if op in ("Add", "AddV2"):
        return args[0] + args[1]
    if op == "Sub":
        return args[0] - args[1]
    if op == "Mul":
        return args[0] * args[1]
    if op == "RealDiv":
        return args[0] / args[1]
    if op == "Rsqrt":
        return (1 / np.sqrt(args[0])).astype(args[0].dtype)
    return np.sqrt(args[0])  # Sqrt


@dataclass
class _Conv:
    """A convolution still open to folding a following per-channel Mul / Add into it."""

    x: str
    out: str
    w: np.ndarray  # OIHW
    b: np.ndarray  # O
    strides: list[int]
    pads: list[int]
    group: int


@dataclass
class SSDModel:
    """The translated network: serialized ONNX, and the feature maps the anchors follow."""

    onnx_bytes: bytes
    feature_maps: list[tuple[int, int]]  # (height, width) per box predictor
    boxes_per_location: list[int]
    num_classes: int  # including background (91 for this COCO model)


class _Translator:
    """Walks the frozen graph's body in topological order and emits ONNX nodes.

    Constant subgraphs (weights, batch-norm arithmetic) are evaluated with NumPy; a Mul or
    Add/BiasAdd of a per-channel constant that follows a convolution (with no other consumer)
    is folded into that convolution's weights and bias.
    """

    def __init__(self, graph: dict[str, NodeDef], side: int, winograd: bool = True):
        from onnx import helper

        self.helper = helper
        self.g = graph
        self.side = side
        self.winograd = winograd
        self._consts: dict[str, np.ndarray | None] = {}
        self.values: dict[str, str] = {}  # TF node -> ONNX tensor
        self.shapes: dict[str, tuple[int, int, int]] = {}  # ONNX tensor -> (C, H, W)
        self.items: list = []  # NodeProto or _Conv, in order
        self.open: dict[str, _Conv] = {}  # TF node -> the convolution it is the (folded) output of
        self.inits: dict[str, np.ndarray] = {}
        self.uses: dict[str, int] = {}

    # -- constants -------------------------------------------------------------------------
    def const(self, name: str) -> np.ndarray | None:
        """The node's value if it is (transitively) constant, else None."""
        if name not in self._consts:
            node = self.g[name]
            value = None
            if node.op == "Const":
                value = np.asarray(node.attr("value"))
            elif node.op in _FOLDABLE:
                args = [self.const(i) for i in node.data_inputs]
                if all(a is not None for a in args):
                    value = _fold_const(node.op, args)  # type: ignore[arg-type]
            self._consts[name] = value
        return self._consts[name]

    def _init(self, name: str, value: np.ndarray) -> str:
        self.inits[name] = value
        return name

    def _node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.items.append(self.helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    # -- traversal ---------------------------------------------------------------------------
    def _order(self, outputs: list[str], stop: str) -> list[str]:
        """Non-constant nodes the outputs depend on, inputs first; ``stop`` is not entered."""
        order: list[str] = []
        seen: set[str] = set()
        stack = [(o, False) for o in reversed(outputs)]
        while stack:
            name, done = stack.pop()
            if done:
                order.append(name)
                continue
            if name in seen or self.const(name) is not None:
                continue
            seen.add(name)
            stack.append((name, True))
            if name != stop:
                stack.extend((i, False) for i in reversed(self.g[name].data_inputs) if i not in seen)
        return order

    def translate(self) -> SSDModel:
        from onnx import TensorProto, numpy_helper

        h = self.helper
        heads: dict[int, dict[str, str]] = {}
        for name in self.g:
            m = _PREDICTOR.match(name)
            if m:
                heads.setdefault(int(m.group(1)), {})[m.group(2)] = name
        if not heads or any(len(v) != 2 for v in heads.values()):
            raise ValueError("the graph has no complete BoxPredictor_N box/class convolutions")
        outputs = [heads[i][k] for i in sorted(heads) for k in ("BoxEncodingPredictor", "ClassPredictor")]

        mul = self.g[PREPROCESS_MUL]
        image = next(i for i in mul.data_inputs if self.const(i) is None)  # the resize's output
        order = self._order(outputs, stop=image)
        for name in order:
            for i in self.g[name].data_inputs if name != image else []:
                self.uses[i] = self.uses.get(i, 0) + 1

        # uint8 NHWC image -> float NCHW, the value TF's resize hands to Preprocessor/mul.
        self._node("Transpose", ["image_tensor"], "image_nchw", perm=[0, 3, 1, 2])
        self.values[image] = self._node("Cast", ["image_nchw"], "image_float", to=TensorProto.FLOAT)
        self.shapes["image_float"] = (3, self.side, self.side)
        for name in order:
            if name != image:
                self._translate(self.g[name])

        # Heads: (1, H*W*A, K) in TF's anchor order (row, column, box), from NHWC outputs.
        maps, per_loc, num_classes = [], [], 0
        boxes: list[str] = []
        scores: list[str] = []
        for head in sorted(heads):
            box, cls = (heads[head][part] for part in ("BoxEncodingPredictor", "ClassPredictor"))
            (cb, fh, fw), (cc, _, _) = self.shapes[self.values[box]], self.shapes[self.values[cls]]
            maps.append((fh, fw))
            per_loc.append(cb // 4)
            num_classes = cc // (cb // 4)
            box_nhwc, cls_nhwc = self._head_outputs(f"BoxPredictor_{head}", box, cls)
            for src, width, dst in ((box_nhwc, 4, boxes), (cls_nhwc, num_classes, scores)):
                shape = self._init(f"{src}/shape", np.array([1, -1, width], dtype=np.int64))
                dst.append(self._node("Reshape", [src, shape], f"{src}/flat"))
        self._node("Concat", boxes, "box_encodings", axis=1)
        self._node("Concat", scores, "class_logits", axis=1)
        self._node("Sigmoid", ["class_logits"], "class_scores")

        # The TF graph and its constants are no longer needed: free them before the weights are copied.
        self.g, self._consts = {}, {}
        nodes = []
        for item in self.items:
            if isinstance(item, _Conv):
                w = self._init(f"{item.out}/W", item.w.astype(np.float32, copy=False))
                b = self._init(f"{item.out}/B", item.b.astype(np.float32, copy=False))
                k = list(item.w.shape[2:])
                item = h.make_node(
                    "Conv",
                    [item.x, w, b],
                    [item.out],
                    name=item.out,
                    kernel_shape=k,
                    strides=item.strides,
                    pads=item.pads,
                    group=item.group,
                )
            nodes.append(item)
        self.items = []
        n = sum(c * b for c, b in zip((m[0] * m[1] for m in maps), per_loc))
        graph = h.make_graph(
            nodes,
            "ssd_mobilenet_v2_coco",
            [h.make_tensor_value_info("image_tensor", TensorProto.UINT8, [1, self.side, self.side, 3])],
            [
                h.make_tensor_value_info("box_encodings", TensorProto.FLOAT, [1, n, 4]),
                h.make_tensor_value_info("class_scores", TensorProto.FLOAT, [1, n, num_classes]),
            ],
        )
        model = h.make_model(
            graph, opset_imports=[h.make_opsetid("", 18)], ir_version=8, producer_name="snapscribe.ssd_onnx"
        )
        del graph
        # Weights go into the model one at a time, each array released as it is copied: building
        # the list first and letting make_graph/make_model copy it held ~4 copies of ~100 MB at once.
        for name in list(self.inits):
            model.graph.initializer.append(numpy_helper.from_array(self.inits.pop(name), name))
        return SSDModel(model.SerializeToString(), maps, per_loc, num_classes)

    # -- box predictor heads ---------------------------------------------------------------------
    def _head_outputs(self, name: str, box: str, cls: str) -> tuple[str, str]:
        """The head's box and class outputs (TF nodes ``box``, ``cls``), channels last. The two
        convolutions read the same feature map, so they run as one (one weight matrix, and
        Winograd where that pays off)."""
        cb, cc = self.open.get(box), self.open.get(cls)
        if (
            cb is None
            or cc is None
            or cb.x != cc.x
            or cb.group != 1
            or cc.group != 1
            or cb.w.shape[1:] != cc.w.shape[1:]
            or (cb.strides, cb.pads) != (cc.strides, cc.pads)
            or self.uses.get(box)
            or self.uses.get(cls)
        ):
            return tuple(
                self._node("Transpose", [self.values[t]], f"{t}/nhwc", perm=[0, 2, 3, 1])  # type: ignore[return-value]
                for t in (box, cls)
            )
        self.items = [it for it in self.items if it is not cb and it is not cc]
        w, b = np.concatenate([cb.w, cc.w]), np.concatenate([cb.b, cc.b])
        _, fh, fw = self.shapes[cb.out]
        kh, kw = w.shape[2:]
        if self.winograd and (kh, kw) == (3, 3) and cb.strides == [1, 1] and min(fh, fw) >= WINOGRAD_MIN_SIDE:
            out = self._winograd(f"{name}/conv", cb.x, w, b, cb.pads, fh, fw)
        else:
            conv = _Conv(cb.x, f"{name}/conv", w, b, cb.strides, cb.pads, 1)
            self.items.append(conv)
            out = self._node("Transpose", [conv.out], f"{name}/nhwc", perm=[0, 2, 3, 1])
        split = self._init(f"{name}/split", np.array([len(cb.b), len(cc.b)], np.int64))
        self.items.append(
            self.helper.make_node("Split", [out, split], [f"{box}/nhwc", f"{cls}/nhwc"], name=f"{name}/split", axis=-1)
        )
        return f"{box}/nhwc", f"{cls}/nhwc"

    def _winograd(self, name: str, x: str, w: np.ndarray, b: np.ndarray, pads: list[int], h: int, w_: int) -> str:
        """A 3x3 stride-1 convolution by Winograd's minimal filtering F(m x m, 3 x 3) (Lavin & Gray
        2016): (m+2)^2 / (9 m^2) of the multiplications, as (m+2)^2 GEMMs with prepacked weights.
        Returns the output channels last, (H, W, K). Float32 error stays ~1e-6 (F2) / ~1e-5 (F4)
        of the output's scale."""
        m = 4 if min(h, w_) >= 16 else 2
        bt, g, at = _WINOGRAD[m]
        a = m + 2
        th, tw = -(-h // m), -(-w_ // m)
        c, k = w.shape[1], w.shape[0]
        i = self._init
        xt = self._node("Transpose", [x], f"{name}/x_nhwc", perm=[0, 2, 3, 1])
        pad = i(
            f"{name}/pads",
            np.array([0, pads[0], pads[1], 0, 0, m * th + 2 - h - pads[0], m * tw + 2 - w_ - pads[1], 0], np.int64),
        )
        xp = self._node("Pad", [xt, pad], f"{name}/x_pad")
        axes = i(f"{name}/axes", np.array([1, 2], np.int64))
        steps = i(f"{name}/steps", np.array([m, m], np.int64))
        tiles = []
        for p in range(a):  # element (p, q) of every input tile: (1, th, tw, C)
            for q in range(a):
                start = i(f"{name}/start{p}{q}", np.array([p, q], np.int64))
                end = i(f"{name}/end{p}{q}", np.array([p + m * (th - 1) + 1, q + m * (tw - 1) + 1], np.int64))
                tiles.append(self._node("Slice", [xp, start, end, axes, steps], f"{name}/tile{p}{q}"))
        d = self._node("Concat", tiles, f"{name}/d", axis=0)
        d = self._node("Reshape", [d, i(f"{name}/d_shape", np.array([a * a, -1], np.int64))], f"{name}/d2")
        # V = B^T d B for every tile at once: (a*a, a*a) @ (a*a, th*tw*C)
        v = self._node("MatMul", [i(f"{name}/BtB", np.kron(bt, bt).astype(np.float32)), d], f"{name}/v")
        v = self._node("Reshape", [v, i(f"{name}/v_shape", np.array([a * a, th * tw, c], np.int64))], f"{name}/v3")
        parts = [f"{name}/v_part{j}" for j in range(a * a)]
        self.items.append(self.helper.make_node("Split", [v], parts, name=f"{name}/v_split", axis=0, num_outputs=a * a))
        # U = G w G^T for every (output, input) channel pair: (a*a, 9) @ (9, K*C) -> (a*a, K, C)
        u = (np.kron(g, g).astype(np.float32) @ w.reshape(k * c, 9).T).reshape(a * a, k, c)
        prods = [
            self._node("MatMul", [parts[j], i(f"{name}/U{j}", np.ascontiguousarray(u[j].T))], f"{name}/prod{j}")
            for j in range(a * a)
        ]
        mm = self._node("Concat", prods, f"{name}/m", axis=0)
        mm = self._node("Reshape", [mm, i(f"{name}/m_shape", np.array([a * a, -1], np.int64))], f"{name}/m2")
        # Y = A^T M A: (m*m, a*a) @ (a*a, th*tw*K), then the m x m outputs back into place
        y = self._node("MatMul", [i(f"{name}/AtA", np.kron(at, at).astype(np.float32)), mm], f"{name}/y")
        y = self._node("Reshape", [y, i(f"{name}/y_shape", np.array([m, m, th, tw, k], np.int64))], f"{name}/y5")
        y = self._node("Transpose", [y], f"{name}/y_t", perm=[2, 0, 3, 1, 4])
        y = self._node("Reshape", [y, i(f"{name}/y_hwk", np.array([m * th, m * tw, k], np.int64))], f"{name}/y3")
        y = self._node(
            "Slice",
            [
                y,
                i(f"{name}/y_start", np.array([0, 0], np.int64)),
                i(f"{name}/y_end", np.array([h, w_], np.int64)),
                i(f"{name}/y_axes", np.array([0, 1], np.int64)),
            ],
            f"{name}/y_crop",
        )
        return self._node("Add", [y, i(f"{name}/bias", b.astype(np.float32))], f"{name}/out")

    # -- ops -----------------------------------------------------------------------------------
    def _translate(self, node: NodeDef) -> None:
        op, name = node.op, node.name
        if op == "Identity":
            self.values[name] = self.values[node.data_inputs[0]]
        elif op in ("Conv2D", "DepthwiseConv2dNative"):
            self._conv(node)
        elif op in ("Add", "AddV2", "BiasAdd", "Mul", "Sub"):
            self._binary(node)
        elif op == "Relu6":
            x = self.values[node.data_inputs[0]]
            lo = self._init("relu6/min", np.array(0.0, np.float32))
            hi = self._init("relu6/max", np.array(6.0, np.float32))
            self.values[name] = self._node("Clip", [x, lo, hi], name)
            self.shapes[name] = self.shapes[x]
        elif op == "Relu":
            x = self.values[node.data_inputs[0]]
            self.values[name] = self._node("Relu", [x], name)
            self.shapes[name] = self.shapes[x]
        else:
            raise ValueError(f"cannot translate {op} node {name!r}")

    def _conv(self, node: NodeDef) -> None:
        x_name, w_name = node.data_inputs
        w = self.const(w_name)
        if w is None or node.attr("data_format", b"NHWC") != b"NHWC":
            raise ValueError(f"{node.name}: needs constant weights and NHWC data")
        x = self.values[x_name]
        _c, ih, iw = self.shapes[x]
        kh, kw, cin, cout = w.shape
        if node.op == "Conv2D":
            weights, group = w.transpose(3, 2, 0, 1), 1  # HWIO -> OIHW
        else:  # depthwise: HW(C)(M) -> (C*M) 1 H W, output channel c*M + m as in TF
            weights, group, cout = w.reshape(kh, kw, cin * cout).transpose(2, 0, 1)[:, None], cin, cin * cout
        _, sh, sw, _ = node.attr("strides")
        _, dh, dw, _ = node.attr("dilations", [1, 1, 1, 1])
        if (dh, dw) != (1, 1):
            raise ValueError(f"{node.name}: dilated convolutions are not supported")
        padding = node.attr("padding")
        pads, out = [], []
        for size, k, s in ((ih, kh, sh), (iw, kw, sw)):
            if padding == b"SAME":  # TF puts the odd pixel at the end (bottom / right)
                o = -(-size // s)
                total = max((o - 1) * s + k - size, 0)
                pads.append((total // 2, total - total // 2))
            else:
                o = (size - k) // s + 1
                pads.append((0, 0))
            out.append(o)
        conv = _Conv(
            x=x,
            out=node.name,
            w=np.ascontiguousarray(weights, dtype=np.float32),
            b=np.zeros(cout, np.float32),
            strides=[sh, sw],
            pads=[pads[0][0], pads[1][0], pads[0][1], pads[1][1]],
            group=group,
        )
        self.items.append(conv)
        self.open[node.name] = conv
        self.values[node.name] = node.name
        self.shapes[node.name] = (cout, out[0], out[1])

    def _binary(self, node: NodeDef) -> None:
        a, b = node.data_inputs
        ca, cb = self.const(a), self.const(b)
        op = {"AddV2": "Add", "BiasAdd": "Add"}.get(node.op, node.op)
        if ca is None and cb is None:
            x, y = self.values[a], self.values[b]
            if self.shapes[x] != self.shapes[y]:
                raise ValueError(f"{node.name}: broadcasting between two tensors is not supported")
            self.values[node.name] = self._node(op, [x, y], node.name)
            self.shapes[node.name] = self.shapes[x]
            return
        var, const = (b, ca) if cb is None else (a, cb)
        assert const is not None  # at least one input is a constant (two tensors returned above)
        x = self.values[var]
        channels = self.shapes[x][0]
        conv = self.open.get(var)
        vector = const.size in (1, channels) and const.ndim <= 1
        if conv is not None and vector and self.uses.get(var) == 1 and (op != "Sub" or var == a):
            v = np.broadcast_to(const.astype(np.float32).reshape(-1), (channels,))
            if op == "Mul":
                conv.w = conv.w * v[:, None, None, None]
                conv.b = conv.b * v
            else:
                conv.b = conv.b + (v if op == "Add" else -v)
            self.values[node.name] = x
            self.open[node.name] = conv
            return
        if const.ndim == 1:
            const = const.reshape(1, -1, 1, 1)
        elif const.ndim == 4:
            const = const.transpose(0, 3, 1, 2)
        elif const.ndim != 0:
            raise ValueError(f"{node.name}: cannot broadcast a constant of shape {const.shape}")
        c = self._init(f"{node.name}/const", np.ascontiguousarray(const, dtype=np.float32))
        self.values[node.name] = self._node(op, [x, c] if cb is not None else [c, x], node.name)
        self.shapes[node.name] = self.shapes[x]


def translate(graph: dict[str, NodeDef], side: int = SIDE, winograd: bool = True) -> SSDModel:
    """The body of the SSD frozen graph as an ONNX model for a ``side`` x ``side`` uint8 RGB image;
    ``winograd=False`` leaves every box-predictor head a plain convolution (for other runtimes)."""
    return _Translator(graph, side, winograd).translate()


def ssd_anchors(feature_maps: list[tuple[int, int]], boxes_per_location: list[int]) -> np.ndarray:
    """TF's multiple-grid SSD anchors as (cy, cx, h, w) fractions, in the box predictors' order.

    ``ssd_anchor_generator``: scales spread linearly from 0.2 to 0.95 over the feature maps, the
    configured aspect ratios plus one box at the geometric mean of this and the next scale, and
    only (0.1, 1), (s, 2), (s, 0.5) on the lowest layer; centres at the cell centres.
    """
    n = len(feature_maps)
    scales = [MIN_SCALE + (MAX_SCALE - MIN_SCALE) * i / (n - 1) for i in range(n)] + [1.0]
    out = []
    for layer, ((fh, fw), count) in enumerate(zip(feature_maps, boxes_per_location)):
        scale = scales[layer]
        if layer == 0:
            specs = [(0.1, 1.0), (scale, 2.0), (scale, 0.5)]
        else:
            specs = [(scale, a) for a in ASPECT_RATIOS] + [(math.sqrt(scale * scales[layer + 1]), 1.0)]
        if len(specs) != count:
            raise ValueError(f"feature map {layer}: {count} boxes per location, the generator makes {len(specs)}")
        hw = np.array([(s / math.sqrt(a), s * math.sqrt(a)) for s, a in specs])
        cy, cx = np.meshgrid((np.arange(fh) + 0.5) / fh, (np.arange(fw) + 0.5) / fw, indexing="ij")
        centres = np.stack([cy, cx], -1).reshape(-1, 1, 2)
        out.append(np.concatenate(np.broadcast_arrays(centres, hw[None]), -1).reshape(-1, 4))
    return np.concatenate(out).astype(np.float32)


def decode_boxes(encodings: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(ty, tx, th, tw) against (cy, cx, h, w) anchors -> (x0, y0, x1, y1) fractions."""
    cy = encodings[:, 0] * VARIANCES[1] * anchors[:, 2] + anchors[:, 0]
    cx = encodings[:, 1] * VARIANCES[0] * anchors[:, 3] + anchors[:, 1]
    h = np.exp(encodings[:, 2] * VARIANCES[3]) * anchors[:, 2]
    w = np.exp(encodings[:, 3] * VARIANCES[2]) * anchors[:, 3]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _nms(boxes: np.ndarray, threshold: float) -> list[int]:
    """Greedy NMS over boxes already in descending score order: a box is kept when its IoU
    with every kept box is at most ``threshold`` (OpenCV's ``ApplyNMSFast``, eta 1)."""
    x0, y0, x1, y1 = boxes.T
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    iw = np.clip(np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0), 0, None)
    ih = np.clip(np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0), 0, None)
    inter = iw * ih
    union = area[:, None] + area - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    keep: list[int] = []
    suppressed = np.zeros(len(boxes), bool)
    for i in range(len(boxes)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > threshold
    return keep


def detection_output(
    encodings: np.ndarray, scores: np.ndarray, anchors: np.ndarray, min_score: float = 0.0
) -> np.ndarray:
    """The pbtxt's ``DetectionOutput``: rows (class_id, score, x0, y0, x1, y1), best first.

    Per class (background 0 skipped): scores above 0.01, the best 100, greedy NMS at IoU 0.6;
    then the best 100 over all classes. ``min_score`` drops candidates below it first, which
    leaves every row at or above it unchanged (a box is only ever suppressed by a better one).
    """
    boxes = decode_boxes(encodings, anchors)
    anchor_idx, cls_idx = np.nonzero((scores[:, 1:] > CONFIDENCE_THRESHOLD) & (scores[:, 1:] >= min_score))
    cls_idx += 1
    kept: list[tuple[int, float, int]] = []
    for cid in np.unique(cls_idx):  # classes in ascending order, anchors in ascending order
        idx = anchor_idx[cls_idx == cid]
        s = scores[idx, cid]
        order = np.argsort(-s, kind="stable")[:TOP_K]
        idx, s = idx[order], s[order]
        kept.extend((int(cid), float(s[k]), int(idx[k])) for k in _nms(boxes[idx], NMS_THRESHOLD))
    kept.sort(key=lambda t: -t[1])  # stable: equal scores stay in class order
    kept = kept[:KEEP_TOP_K]
    rows = np.zeros((len(kept), 6), np.float32)
    for r, (cid, s, a) in enumerate(kept):
        rows[r, :2] = cid, s
        rows[r, 2:] = boxes[a]
    return rows


def load_model(side: int = SIDE, winograd: bool = True) -> SSDModel:
    """Read the packaged frozen graph and translate it (in memory)."""
    return translate(read_graph(detect_models_file("frozen_inference_graph.pb")), side, winograd)


def _release_freed_heap() -> None:
    """Hand the conversion's freed memory back to the OS: glibc keeps ~75 MB of it otherwise."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def session_options():
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # One image per thread, one core per image, as for the OpenCV detector.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return opts


@lru_cache(maxsize=1)
def _shared_session(side: int = SIDE):
    """The translated network's onnxruntime session and its anchors, built once per process:
    they depend only on the packaged weights, and onnxruntime sessions are thread-safe, so every
    detector (the CLI's, the bench's several pipelines, the tests') shares one (~1 s, ~100 MB)."""
    import onnxruntime as ort

    model = load_model(side)
    anchors = ssd_anchors(model.feature_maps, model.boxes_per_location)
    session = ort.InferenceSession(model.onnx_bytes, session_options(), providers=["CPUExecutionProvider"])
    # The Python wrapper keeps the model bytes (~100 MB) to rebuild the session on another
    # provider after a failure; on the CPU provider there is none to fall back to.
    session.disable_fallback()
    session._model_bytes = None
    del model
    _release_freed_heap()
    return session, anchors


class OnnxSSDDetector:
    """The detections of :class:`SSDDetector` from an onnxruntime session (shared by all threads)."""

    name = "ssd-mobilenet-v2-coco"

    def __init__(self, cfg: DetectorConfig):
        self._cfg = cfg
        self._labels = coco_labels()
        self._session, self._anchors = _shared_session(SIDE)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Box encodings (N, 4) and class scores (N, 91) for a uint8 RGB image."""
        if image.shape[:2] != (SIDE, SIDE):  # what TF's Preprocessor does to any other size
            image = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)
        x = np.ascontiguousarray(image, dtype=np.uint8)[None]
        encodings, scores = self._session.run(None, {"image_tensor": x})
        return encodings[0], scores[0]

    def detect(self, inputs: ModelInputs) -> list[Detection]:
        encodings, scores = self.raw(inputs.detector)
        rows = detection_output(encodings, scores, self._anchors, min_score=score_floor(self._cfg))
        return to_detections(rows, self._labels, self._cfg)
