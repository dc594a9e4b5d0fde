"""Read a TensorFlow frozen ``GraphDef`` (``.pb``) without TensorFlow.

A minimal protobuf wire-format decoder for the few messages a frozen inference graph
uses: ``GraphDef`` -> ``NodeDef`` (name, op, inputs, attrs) -> ``AttrValue`` -> ``TensorProto``
/ ``TensorShapeProto``. Field numbers follow TensorFlow's ``graph.proto``, ``node_def.proto``,
``attr_value.proto``, ``tensor.proto`` and ``tensor_shape.proto``; fields not listed here are
skipped. Attribute values are decoded on first access, so reading the graph's structure
stays cheap (~0.2 s for the 70 MB SSD-MobileNet graph). ``tensor_content`` arrays are read-only
views into the graph's bytes, which they keep alive.

Attribute values come back as plain Python: ``s`` -> bytes, ``i`` -> int, ``f`` -> float,
``b`` -> bool, ``type`` -> int (TF ``DataType``), ``shape`` -> tuple of dims (None for
unknown rank), ``tensor`` -> numpy array, ``list`` -> list of one of those.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# TF DataType enum -> numpy dtype (the numeric ones a frozen graph's constants use).
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i2"),
    6: np.dtype("i1"),
    9: np.dtype("<i8"),
    10: np.dtype("?"),
    17: np.dtype("<u2"),
    19: np.dtype("<f2"),
    22: np.dtype("<u4"),
    23: np.dtype("<u8"),
}
DT_STRING = 7

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _signed(v: int) -> int:
    """int32/int64 fields hold negatives as 64-bit two's complement."""
    return v - (1 << 64) if v >= 1 << 63 else v


def fields(buf: memoryview) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of each field of one message; bytes fields stay memoryviews."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        wire = key & 7
        value: int | memoryview
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _BYTES:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == _FIXED32:
            value, pos = buf[pos : pos + 4], pos + 4
        elif wire == _FIXED64:
            value, pos = buf[pos : pos + 8], pos + 8
        else:  # groups (3, 4) are not used by these messages
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield key >> 3, wire, value


def _varints(wire: int, value: Any) -> list[int]:
    """A repeated varint field's values, packed (bytes) or not."""
    if wire == _VARINT:
        return [value]
    out, pos = [], 0
    while pos < len(value):
        v, pos = _varint(value, pos)
        out.append(v)
    return out


def _fixed(value: memoryview, dtype: str) -> np.ndarray:
    """A repeated fixed32/fixed64 field's values, packed or not (both arrive as bytes)."""
    return np.frombuffer(value, dtype=dtype)


def _text(value: memoryview) -> str:
    return bytes(value).decode("utf-8")


def parse_shape(buf: memoryview) -> tuple[int, ...] | None:
    """``TensorShapeProto``: dim = 2 (``Dim``: size = 1), unknown_rank = 3."""
    dims: list[int] = []
    for num, _, value in fields(buf):
        if num == 2:
            size = 0
            for dnum, _, dvalue in fields(value):
                if dnum == 1:
                    size = _signed(dvalue)
            dims.append(size)
        elif num == 3 and value:
            return None
    return tuple(dims)


def parse_tensor(buf: memoryview) -> np.ndarray | list[bytes]:
    """``TensorProto``: dtype = 1, tensor_shape = 2, tensor_content = 4, float_val = 5,
    double_val = 6, int_val = 7, string_val = 8, int64_val = 10, bool_val = 11, half_val = 13.

    As in TensorFlow, a typed value list shorter than the shape is padded with its last value.
    """
    dtype_id, content = 1, None
    shape: tuple[int, ...] = ()
    floats: list[np.ndarray] = []
    ints: list[int] = []
    strings: list[bytes] = []
    for num, wire, value in fields(buf):
        if num == 1:
            dtype_id = value
        elif num == 2:
            shape = parse_shape(value) or ()
        elif num == 4:
            content = value
        elif num == 5:
            floats.append(_fixed(value, "<f4"))
        elif num == 6:
            floats.append(_fixed(value, "<f8"))
        elif num in (7, 10, 11, 13):
            ints.extend(_signed(v) for v in _varints(wire, value))
        elif num == 8:
            strings.append(bytes(value))
    if dtype_id == DT_STRING:
        return strings
    if dtype_id not in DTYPES:
        raise ValueError(f"unsupported tensor dtype {dtype_id}")
    dtype = DTYPES[dtype_id]
    count = int(np.prod(shape, dtype=np.int64))
    if content is not None:  # a read-only view into the graph's bytes, not a copy
        return np.frombuffer(content, dtype=dtype).reshape(shape)
    if dtype_id == 19:  # half_val carries the raw 16 bits in an int
        values = np.asarray(ints, dtype=np.uint16).view(np.float16)
    elif floats:
        values = np.concatenate(floats).astype(dtype)
    else:
        values = np.asarray(ints, dtype=np.int64).astype(dtype)
    if values.size == count:
        return values.reshape(shape)
    out = np.zeros(count, dtype=dtype)
    if values.size:
        out[: values.size] = values[:count]
        out[values.size :] = values[-1]
    return out.reshape(shape)


def parse_attr(buf: memoryview) -> Any:
    """``AttrValue``: list = 1, s = 2, i = 3, f = 4, b = 5, type = 6, shape = 7, tensor = 8."""
    for num, _wire, value in fields(buf):
        if num == 1:
            return _parse_list(value)
        if num == 2:
            return bytes(value)
        if num == 3:
            return _signed(value)
        if num == 4:
            return float(np.frombuffer(value, dtype="<f4")[0])
        if num == 5:
            return bool(value)
        if num == 6:
            return value
        if num == 7:
            return parse_shape(value)
        if num == 8:
            return parse_tensor(value)
    return None


def _parse_list(buf: memoryview) -> list[Any]:
    """``AttrValue.ListValue``: s = 2, i = 3, f = 4, b = 5, type = 6, shape = 7, tensor = 8."""
    out: list[Any] = []
    for num, wire, value in fields(buf):
        if num == 2:
            out.append(bytes(value))
        elif num == 3:
            out.extend(_signed(v) for v in _varints(wire, value))
        elif num == 4:
            out.extend(float(x) for x in _fixed(value, "<f4"))
        elif num == 5:
            out.extend(bool(v) for v in _varints(wire, value))
        elif num == 6:
            out.extend(_varints(wire, value))
        elif num == 7:
            out.append(parse_shape(value))
        elif num == 8:
            out.append(parse_tensor(value))
    return out


@dataclass
class NodeDef:
    """``NodeDef``: name = 1, op = 2, input = 3, device = 4, attr = 5 (map entry: key = 1, value = 2)."""

    name: str
    op: str
    inputs: list[str]
    _raw_attrs: dict[str, memoryview] = field(default_factory=dict, repr=False)
    _attrs: dict[str, Any] = field(default_factory=dict, repr=False)

    def attr(self, key: str, default: Any = None) -> Any:
        """One attribute's decoded value (decoded once, on first access)."""
        if key not in self._attrs:
            raw = self._raw_attrs.get(key)
            self._attrs[key] = default if raw is None else parse_attr(raw)
        return self._attrs[key]

    @property
    def attr_names(self) -> list[str]:
        return list(self._raw_attrs)

    @property
    def data_inputs(self) -> list[str]:
        """Inputs without control dependencies (``^name``) and with ``:0`` dropped."""
        return [i[:-2] if i.endswith(":0") else i for i in self.inputs if not i.startswith("^")]


def _parse_node(buf: memoryview) -> NodeDef:
    name = op = ""
    inputs: list[str] = []
    attrs: dict[str, memoryview] = {}
    for num, _, value in fields(buf):
        if num == 1:
            name = _text(value)
        elif num == 2:
            op = _text(value)
        elif num == 3:
            inputs.append(_text(value))
        elif num == 5:
            key, raw = "", memoryview(b"")
            for enum, _, evalue in fields(value):
                if enum == 1:
                    key = _text(evalue)
                elif enum == 2:
                    raw = evalue
            attrs[key] = raw
    return NodeDef(name, op, inputs, attrs)


def parse_graph(data: bytes) -> dict[str, NodeDef]:
    """``GraphDef`` (node = 1) -> nodes by name, in file order."""
    nodes: dict[str, NodeDef] = {}
    for num, _, value in fields(memoryview(data)):
        if num == 1:
            node = _parse_node(value)
            nodes[node.name] = node
    return nodes


def read_graph(path: str | Path) -> dict[str, NodeDef]:
    return parse_graph(Path(path).read_bytes())
