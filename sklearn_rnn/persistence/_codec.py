# SPDX-License-Identifier: BSD-3-Clause
"""Values to JSON and tensors, and back: encoders by type, decoders by tag.

A value that JSON holds as it is (``None``, bools, ints, strings, lists,
dicts with string keys) is written as it is. Any other value is a one-entry
dict ``{"__tag__": body}``. Encoders are chosen by the value's type with
:func:`functools.singledispatch` (the way skops dispatches its state getters),
and decoders by the tag; each module of this package adds its own types to
both tables when it is imported.
"""

from __future__ import annotations

import base64
import math
from functools import singledispatch

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from ._registry import NAMED_TUPLES

# Deeper nesting than this in a file is refused rather than recursed into.
_MAX_DEPTH = 64

#: Decoders by tag: ``DECODERS["__tuple__"](reader, body, where, depth)``.
DECODERS: dict = {}


def decoder(tag: str):
    """Register the decorated function as the decoder of ``{tag: body}``."""

    def register(function):
        DECODERS[tag] = function
        return function

    return register


def unsupported(where: str, what: str) -> TypeError:
    """The error of a value that cannot be stored, naming where it is."""
    return TypeError(
        f"Cannot save {where}: {what}. sklearn_rnn.persistence stores plain "
        "data (numbers, strings, arrays, lists, dicts, pandas time stamps, "
        "periods and frequencies), estimators and objects by their "
        "attributes, and classes and functions by their name. Use pickle or "
        "joblib for anything else, in files you trust."
    )


@singledispatch
def encode(value, writer, where: str):
    """Return ``value`` as JSON data, its arrays as tensors of ``writer``."""
    raise unsupported(
        where, f"values of type {type(value).__qualname__} are not stored"
    )


@encode.register(type(None))
@encode.register(bool)
@encode.register(str)
def _encode_plain(value, writer, where):
    if type(value) is str or value is None or type(value) is bool:
        return value
    return encode.dispatch(object)(value, writer, where)


@encode.register(int)
def _encode_int(value, writer, where):
    if type(value) is not int:  # an IntEnum, say: its class would be lost
        return encode.dispatch(object)(value, writer, where)
    return value


@encode.register(float)
def _encode_float(value, writer, where):
    if type(value) is not float:
        return encode.dispatch(object)(value, writer, where)
    return value if math.isfinite(value) else {"__float__": str(value)}


@decoder("__float__")
def _decode_float(reader, body, where, depth):
    if body not in ("nan", "inf", "-inf"):
        raise ValueError(f"{where} holds an invalid float {body!r}.")
    return float(body)


@encode.register(bytes)
def _encode_bytes(value, writer, where):
    if type(value) is not bytes:
        return encode.dispatch(object)(value, writer, where)
    return {"__bytes__": base64.b64encode(value).decode("ascii")}


@decoder("__bytes__")
def _decode_bytes(reader, body, where, depth):
    return base64.b64decode(typed(body, str, where), validate=True)


@encode.register(list)
def _encode_list(value, writer, where):
    if type(value) is not list:
        return encode.dispatch(object)(value, writer, where)
    return [writer.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]


@encode.register(tuple)
def _encode_tuple(value, writer, where):
    kind = type(value)
    if kind in NAMED_TUPLES.values():
        name = next(n for n, cls in NAMED_TUPLES.items() if cls is kind)
        fields = {
            field: writer.encode(item, f"{where}.{field}")
            for field, item in zip(kind._fields, value)
        }
        return {"__namedtuple__": {"type": name, "fields": fields}}
    if kind is not tuple:
        raise unsupported(where, f"a {kind.__qualname__} (a tuple subclass)")
    if (
        len(value) == 2
        and type(value[0]) is str
        and isinstance(value[1], BaseEstimator)
    ):
        # A pipeline step: name it in messages and tensor keys.
        return {"__tuple__": [value[0], writer.encode(value[1], step(where, value[0]))]}
    return {
        "__tuple__": [writer.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    }


@decoder("__tuple__")
def _decode_tuple(reader, body, where, depth):
    body = typed(body, list, where)
    if len(body) == 2 and type(body[0]) is str:
        where = step(where, body[0])
    return tuple(reader.decode(v, where, depth) for v in body)


@decoder("__namedtuple__")
def _decode_named_tuple(reader, body, where, depth):
    if type(body) is not dict or set(body) != {"type", "fields"}:
        raise ValueError(f"{where} holds an invalid named tuple {body!r}.")
    name, fields = body["type"], typed(body["fields"], dict, where)
    if type(name) is not str or name not in NAMED_TUPLES:
        raise ValueError(
            f"{where} holds a named tuple of type {name!r}, which "
            "sklearn_rnn.persistence does not load."
        )
    cls = NAMED_TUPLES[name]
    if list(fields) != list(cls._fields):
        raise ValueError(
            f"{where} holds a {cls.__name__} with fields {list(fields)}, "
            f"expected {list(cls._fields)}."
        )
    return cls(*(reader.decode(v, f"{where}.{k}", depth) for k, v in fields.items()))


@encode.register(dict)
def _encode_dict(value, writer, where):
    if type(value) is not dict:
        return encode.dispatch(object)(value, writer, where)
    if all(type(k) is str for k in value) and not (
        len(value) == 1 and next(iter(value)).startswith("__")
    ):
        return {k: writer.encode(v, f"{where}.{k}") for k, v in value.items()}
    items = [
        [writer.encode(k, where), writer.encode(v, f"{where}[{k!r}]")]
        for k, v in value.items()
    ]
    return {"__items__": items}


@decoder("__items__")
def _decode_items(reader, body, where, depth):
    out = {}
    for item in typed(body, list, where):
        key, value = typed(item, list, where)
        out[reader.decode(key, where, depth)] = reader.decode(value, where, depth)
    return out


@encode.register(pd.DataFrame)
@encode.register(pd.Series)
@encode.register(pd.Index)
def _encode_pandas_table(value, writer, where):
    # Their index, names and (extension) dtypes would not all read back.
    raise TypeError(
        f"Cannot save {where}: a pandas {type(value).__name__} is not stored. "
        "Pass a list or a NumPy array instead (for instance "
        "list(frame.columns) or series.to_numpy())."
    )


@encode.register(torch.Tensor)
def _encode_tensor(value, writer, where):
    return {"__tensor__": writer.tensor(value, where)}


@decoder("__tensor__")
def _decode_tensor(reader, body, where, depth):
    return reader.take(body, where).clone()


@encode.register(torch.device)
def _encode_device(value, writer, where):
    return {"__device__": str(value)}


@decoder("__device__")
def _decode_device(reader, body, where, depth):
    return torch.device(typed(body, str, where))


@encode.register(np.random.RandomState)
def _encode_random_state(value, writer, where):
    return {"__random_state__": writer.encode(value.get_state(), where)}


@decoder("__random_state__")
def _decode_random_state(reader, body, where, depth):
    state = np.random.RandomState()
    state.set_state(reader.decode(body, where, depth))
    return state


class Writer:
    """Turn a value into JSON-compatible data and a dict of tensors."""

    def __init__(self, include_optimizer: bool):
        self.include_optimizer = include_optimizer
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, tensor: torch.Tensor, hint: str) -> str:
        """Keep a copy of ``tensor`` under a new key made from ``hint``."""
        key, i = hint, 1
        while key in self.tensors:
            key, i = f"{hint}.{i}", i + 1
        # Copies: safetensors refuses tensors that share memory.
        self.tensors[key] = tensor.detach().to("cpu", copy=True).contiguous()
        return key

    def encode(self, value, where: str):
        return encode(value, self, where)


class Reader:
    """Rebuild values from the JSON data and the tensors of a file."""

    def __init__(self, tensors: dict, device, trusted: frozenset):
        self.tensors = tensors
        self.used: set[str] = set()
        self.device = device
        self.trusted = trusted

    def take(self, key, where: str) -> torch.Tensor:
        """Return the tensor ``key``, which no other value may use."""
        if type(key) is not str or key not in self.tensors:
            raise ValueError(
                f"{where} refers to tensor {key!r}, missing from the file."
            )
        if key in self.used:
            raise ValueError(f"{where} refers to tensor {key!r} a second time.")
        self.used.add(key)
        return self.tensors[key]

    def decode(self, data, where: str, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise ValueError(f"{where} is nested more than {_MAX_DEPTH} levels deep.")
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is list:
            return [
                self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(data)
            ]
        if type(data) is not dict:
            raise ValueError(f"{where} holds unexpected JSON {data!r}.")
        if not is_tagged(data):
            return {
                k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in data.items()
            }
        ((tag, body),) = data.items()
        if tag not in DECODERS:
            raise ValueError(f"{where} has an unknown tag {tag!r}.")
        try:
            return DECODERS[tag](self, body, where, depth + 1)
        except ValueError:
            raise
        except (TypeError, KeyError, AttributeError, IndexError, RuntimeError) as exc:
            raise ValueError(f"{where} holds an invalid {tag} entry: {exc}") from exc


def is_tagged(data: dict) -> bool:
    """Whether a JSON dict is a tagged value ``{"__tag__": body}``."""
    return len(data) == 1 and next(iter(data)).startswith("__")


def typed(value, kind, where: str):
    """Return ``value`` if it is of the JSON type ``kind``, else refuse it."""
    if type(value) is not kind:
        raise ValueError(
            f"{where}: expected a JSON {kind.__name__}, got {type(value).__name__}."
        )
    return value


def step(where: str, name: str) -> str:
    """The label of a pipeline step: ``Pipeline.steps['name']``."""
    return f"{where.rpartition('[')[0]}[{name!r}]"
