# SPDX-License-Identifier: BSD-3-Clause
"""Classes and functions by name, and objects of other classes by their state.

A class or function is stored as ``{"__ref__": "module.qualname"}``; an
object that is not an estimator as its class name and its ``__dict__``, the
state pickle would store for an object of a plain Python class, but as data:
loading makes the object with ``cls.__new__`` and fills its ``__dict__``
without running its code. Names are looked up in the allow-list of
:mod:`._registry` or, for names the caller trusts, imported.
"""

from __future__ import annotations

import numpy as np
import torch

from ._codec import decoder, encode, is_tagged, typed, unsupported
from ._registry import KINDS, is_allowed, qualified_name, resolve

# Objects of these types (and their subclasses) hold data that their
# __dict__ does not show: they are stored by their own encoders or refused.
_OPAQUE = (
    int, float, complex, str, bytes, bytearray, list, tuple, dict, set,
    frozenset, np.ndarray, np.generic, torch.Tensor,
)  # fmt: skip


def _has_plain_state(cls: type) -> bool:
    """Whether the objects of ``cls`` are their ``__dict__``, as pickle sees them.

    Classes that pickle in their own way (``__reduce__``, ``__getstate__``,
    ``__setstate__``, ``__slots__``) or that extend a built-in type keep
    state elsewhere: storing their ``__dict__`` would lose it silently.
    """
    return (
        cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and cls.__getstate__ is object.__getstate__
        and not hasattr(cls, "__setstate__")
        and not issubclass(cls, _OPAQUE)
        and not any("__slots__" in vars(c) for c in cls.__mro__[:-1])
    )


@encode.register(object)
def _encode_object(value, writer, where):
    if isinstance(value, type) or hasattr(value, "__qualname__"):
        return {"__ref__": qualified_name(value, where)}
    cls = type(value)
    if not _has_plain_state(cls) or not hasattr(value, "__dict__"):
        raise unsupported(
            where,
            f"a {cls.__qualname__} keeps state that its attributes do not show "
            "(it pickles in its own way, or extends a built-in type)",
        )
    name = qualified_name(cls, where)
    state = {k: writer.encode(v, f"{where}.{k}") for k, v in vars(value).items()}
    return {"__object__": {"class": name, "state": state}}


@decoder("__ref__")
def _decode_ref(reader, body, where, depth):
    return resolve("ref", typed(body, str, where), reader.trusted, where)


@decoder("__object__")
def _decode_object(reader, body, where, depth):
    if type(body) is not dict or set(body) != {"class", "state"}:
        raise ValueError(f"{where} holds an invalid object entry.")
    cls = resolve("object", typed(body["class"], str, where), reader.trusted, where)
    if not isinstance(cls, type) or not _has_plain_state(cls):
        raise ValueError(
            f"{where} holds an object of {body['class']!r}, which is not a class "
            "whose objects are their attributes."
        )
    obj = cls.__new__(cls)
    for attr, value in typed(body["state"], dict, where).items():
        check_attribute_name(cls, attr, where)
        vars(obj)[attr] = reader.decode(value, f"{where}.{attr}", depth)
    return obj


def check_attribute_name(cls: type, attr: str, where: str) -> None:
    """Refuse an attribute that would shadow the class (a method, a property)."""
    if not attr.isidentifier() or attr.startswith("__") or hasattr(cls, attr):
        raise ValueError(f"{where} has an invalid attribute name {attr!r}.")


def _names_in(payload) -> list[tuple[str, str]]:
    """Return the ``(kind, name)`` of every class or function a payload names.

    The kinds are ``"estimator"``, ``"object"`` and ``"ref"``. Nothing is
    decoded or imported; malformed entries are left to the decoders.
    """
    found, stack = [], [payload]
    while stack:
        data = stack.pop()
        if type(data) is list:
            stack.extend(data)
        elif type(data) is dict:
            if is_tagged(data):
                ((tag, body),) = data.items()
                kind = tag.strip("_")
                if kind == "ref" and type(body) is str:
                    found.append((kind, body))
                elif kind in ("estimator", "object") and type(body) is dict:
                    if type(body.get("class")) is str:
                        found.append((kind, body["class"]))
            stack.extend(data.values())
    return found


def untrusted_names(payload, trusted=frozenset()) -> list[tuple[str, str]]:
    """The ``(kind, name)`` pairs of ``payload`` neither allowed nor trusted."""
    out = {}
    for kind, name in _names_in(payload):
        if not is_allowed(kind, name) and name not in trusted:
            out.setdefault(name, kind)
    return sorted(((kind, name) for name, kind in out.items()), key=lambda p: p[1])


def untrusted_error(path: str, pairs: list) -> ValueError:
    """The error of a file that names classes or functions nobody trusted."""
    described = ", ".join(f"{KINDS[kind]} {name!r}" for kind, name in pairs)
    if len(pairs) == 1:
        verb = "is not an allowed class or function"
    else:
        verb = "are not allowed classes or functions"
    names = [name for _, name in pairs]
    return ValueError(
        f"{path!r} refers to {described}, which {verb} of "
        "sklearn_rnn.persistence. Loading would import them and run their "
        "code. If you trust the file's source, review the names "
        "(get_untrusted_types(path) lists them) and pass them: "
        f"load(path, trusted={names!r})."
    )
