# SPDX-License-Identifier: BSD-3-Clause
"""NumPy scalars, dtypes, arrays and masked arrays.

Numeric and boolean arrays are stored as safetensors tensors; arrays of
strings, bytes or Python objects go into the JSON, value by value.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._codec import decoder, encode, typed, unsupported

# numpy dtypes stored as safetensors tensors; other arrays go into the JSON.
_TENSOR_DTYPES = {
    np.dtype(name)
    for name in "bool uint8 uint16 uint32 uint64 int8 int16 int32 int64 "
    "float16 float32 float64".split()
    if hasattr(torch, name)
}
_ARRAY_KINDS = "biufUSO"
# Fixed-width string arrays are stored as their values; the width comes from
# the file, so a few bytes could ask numpy for gigabytes. Widths far beyond the
# longest value are read only up to this size (save refuses larger ones).
_MAX_PADDED_BYTES = 64 * 2**20


# np.str_ and np.bytes_ also derive from str and bytes: named here, they are
# not taken for those.
@encode.register(np.generic)
@encode.register(np.str_)
@encode.register(np.bytes_)
def _encode_scalar(value, writer, where):
    if value.dtype.kind not in "biufUS":
        raise unsupported(where, f"numpy scalar of dtype {value.dtype}")
    item = writer.encode(value.item(), where)
    return {"__scalar__": {"dtype": value.dtype.str, "value": item}}


@decoder("__scalar__")
def _decode_scalar(reader, body, where, depth):
    dtype = _dtype(body["dtype"], "biufUS", where)
    return dtype.type(reader.decode(body["value"], where, depth))


@encode.register(np.dtype)
def _encode_dtype(value, writer, where):
    return {"__dtype__": value.str}


@decoder("__dtype__")
def _decode_dtype(reader, body, where, depth):
    return _dtype(body, _ARRAY_KINDS, where)


@encode.register(np.ndarray)
def _encode_ndarray(value, writer, where):
    # A memmap is an ndarray kept on disk: it is stored (and loaded) as one.
    if type(value) not in (np.ndarray, np.memmap):
        raise unsupported(where, f"arrays of type {type(value).__qualname__}")
    return {"__ndarray__": _array(value, writer, where)}


@encode.register(np.ma.MaskedArray)
def _encode_masked(value, writer, where):
    # As scikit-learn's search results hold them (cv_results_["param_..."]).
    if type(value) is not np.ma.MaskedArray:
        raise unsupported(where, f"arrays of type {type(value).__qualname__}")
    body = {
        "data": _array(np.ma.getdata(value), writer, where),
        "mask": _array(np.ma.getmaskarray(value), writer, f"{where}.mask"),
        "fill_value": writer.encode(value.fill_value, where),
    }
    return {"__masked__": body}


@decoder("__masked__")
def _decode_masked(reader, body, where, depth):
    data = _decode_ndarray(reader, body["data"], where, depth)
    mask = _decode_ndarray(reader, body["mask"], f"{where}.mask", depth)
    if mask.dtype != bool or mask.shape != data.shape:
        raise ValueError(f"{where} holds a mask that does not fit its data.")
    fill = reader.decode(body["fill_value"], where, depth)
    return np.ma.MaskedArray(data, mask=mask, fill_value=fill)


def _array(value: np.ndarray, writer, where: str) -> dict:
    dtype = value.dtype
    native = dtype.newbyteorder("=")
    out = {"dtype": dtype.str, "shape": list(value.shape)}
    if native in _TENSOR_DTYPES:
        # np.array, not ascontiguousarray, which turns 0-d arrays into 1-d.
        data = np.array(value, dtype=native, order="C", copy=True)
        out["tensor"] = writer.tensor(torch.from_numpy(data), where)
    elif dtype.kind in _ARRAY_KINDS and dtype.fields is None and dtype.itemsize:
        values = value.ravel().tolist()
        if dtype.kind in "US":
            _check_string_width(dtype, values, where, "Cannot save")
        out["data"] = [writer.encode(v, where) for v in values]
    else:
        raise unsupported(where, f"arrays of dtype {dtype} are not stored")
    return out


@decoder("__ndarray__")
def _decode_ndarray(reader, body, where, depth):
    dtype = _dtype(body["dtype"], _ARRAY_KINDS, where)
    shape = tuple(typed(body["shape"], list, where))
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"{where} has an invalid array shape {list(shape)}.")
    if "tensor" in body:
        array = reader.take(body["tensor"], where).numpy()
        if array.dtype != dtype.newbyteorder("=") or array.shape != shape:
            raise ValueError(
                f"{where}: the file says an array of dtype {dtype} and shape "
                f"{shape}, but its tensor has dtype {array.dtype} and shape "
                f"{array.shape}."
            )
        return array.astype(dtype)
    values = [reader.decode(v, where, depth) for v in typed(body["data"], list, where)]
    if len(values) != math.prod(shape):
        raise ValueError(
            f"{where} holds {len(values)} values for an array of shape {shape}."
        )
    if dtype.kind in "US":
        _check_string_width(dtype, values, where, "Cannot load")
    if dtype.kind == "O":
        array = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            array[i] = value
        return array.reshape(shape)
    return np.array(values, dtype=dtype).reshape(shape)


def _dtype(text, kinds: str, where: str) -> np.dtype:
    try:
        dtype = np.dtype(typed(text, str, where))
    except TypeError as exc:
        raise ValueError(f"{where} has an invalid dtype {text!r}.") from exc
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype:
        raise ValueError(f"{where} has an unsupported dtype {text!r}.")
    return dtype


def _check_string_width(dtype: np.dtype, values: list, where: str, action: str):
    """Refuse a fixed-width string array padded far beyond its longest value.

    numpy gives an array of strings the width of its longest one; a wider
    dtype is read back unless the padding would take more than
    ``_MAX_PADDED_BYTES``, so that a few bytes of a file cannot ask numpy for
    gigabytes. ``save`` refuses what ``load`` would.
    """
    longest = max((len(v) for v in values if isinstance(v, (str, bytes))), default=0)
    size = dtype.itemsize * len(values)
    if size > _MAX_PADDED_BYTES and dtype.itemsize > 4 * (longest + 1) + 1024:
        raise ValueError(
            f"{action} {where}: its string dtype {dtype} is far wider than its "
            f"longest value ({longest} characters), {size} bytes in all (at most "
            f"{_MAX_PADDED_BYTES} are read). Narrow it to its values, for instance "
            "with np.array(values.tolist())."
        )
