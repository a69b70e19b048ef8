# SPDX-License-Identifier: BSD-3-Clause
"""The names a file may hold, and how a trusted name becomes an object again.

A file refers to classes and functions by name only: the estimators it holds,
the classes of other objects, functions in parameters (a ``tokenizer``, a
``FunctionTransformer``'s ``func``) and optimizer classes. The names below are
allowed without asking; :func:`~sklearn_rnn.persistence.load` refuses any
other name unless the caller lists it in ``trusted``, and imports nothing
before that.
"""

from __future__ import annotations

import importlib

import torch
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)

from ..classifier import RNNClassifier
from ..forecasting import SequenceForecaster
from ..regressor import RNNRegressor
from ..scaling import SequenceScaler
from ..text import TextTokenizer
from ..windowing import SequenceWindower

# Estimators stored and loaded by these names without being trusted.
ESTIMATORS = {
    "sklearn_rnn.RNNClassifier": RNNClassifier,
    "sklearn_rnn.RNNRegressor": RNNRegressor,
    "sklearn_rnn.SequenceForecaster": SequenceForecaster,
    "sklearn_rnn.TextTokenizer": TextTokenizer,
    "sklearn_rnn.SequenceWindower": SequenceWindower,
    "sklearn_rnn.SequenceScaler": SequenceScaler,
    "sklearn.pipeline.Pipeline": Pipeline,
    "sklearn.preprocessing.StandardScaler": StandardScaler,
    "sklearn.preprocessing.MinMaxScaler": MinMaxScaler,
    "sklearn.preprocessing.MaxAbsScaler": MaxAbsScaler,
    "sklearn.preprocessing.RobustScaler": RobustScaler,
}

# Classes and functions that parameters may hold without being trusted.
REFERENCES = {
    f"torch.optim.{name}": getattr(torch.optim, name)
    for name in dir(torch.optim)
    if isinstance(getattr(torch.optim, name), type)
    and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)
    and getattr(torch.optim, name) is not torch.optim.Optimizer
}
REFERENCES["str.split"] = str.split

# Named tuples that fitted attributes may hold, stored with their fields by
# name: those the allowed estimators declare (``_stored_named_tuples``). No
# other named tuple is stored.
NAMED_TUPLES = {
    name: cls
    for estimator in ESTIMATORS.values()
    for name, cls in getattr(estimator, "_stored_named_tuples", {}).items()
}

# How each kind of name is described in messages.
KINDS = {"estimator": "class", "object": "class", "ref": "function or class"}


def _allowed_name(obj, table: dict) -> str | None:
    return next((name for name, item in table.items() if item is obj), None)


def qualified_name(obj, where: str) -> str:
    """Return ``module.qualname`` of a class or function, checked to find it again.

    Allowed classes and functions keep their names in the tables above.

    Raises
    ------
    TypeError
        If the name does not lead back to ``obj`` itself: a lambda, a function
        defined inside another, a bound method, an object renamed after its
        definition.
    """
    allowed = _allowed_name(obj, ESTIMATORS) or _allowed_name(obj, REFERENCES)
    if allowed is not None:
        return allowed
    module = getattr(obj, "__module__", None)
    if module is None:
        module = getattr(getattr(obj, "__objclass__", None), "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    name = f"{module}.{qualname}"
    found = None
    if type(module) is str and type(qualname) is str and "<" not in qualname:
        try:
            found = _import(module, qualname)
        except (ImportError, AttributeError):
            found = None
    if found is not obj:
        raise TypeError(
            f"Cannot save {where}: {obj!r} cannot be found again by its name "
            f"{name!r} (a lambda, a function defined inside another function, "
            "a bound method or a renamed object). Define it at the top level "
            "of a module, or use pickle/joblib for files you trust."
        )
    return name


def _import(module: str, qualname: str):
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def is_allowed(kind: str, name: str) -> bool:
    """Whether ``name`` of ``kind`` loads without being trusted."""
    return name in {"estimator": ESTIMATORS, "ref": REFERENCES}.get(kind, {})


def resolve(kind: str, name: str, trusted: frozenset, where: str):
    """Return the object a name of the file stands for.

    Allowed names come from the tables above. A trusted name is imported:
    its module is the longest importable prefix of the name, and the rest is
    looked up attribute by attribute, so only modules named in it load.
    """
    if is_allowed(kind, name):
        return (ESTIMATORS if kind == "estimator" else REFERENCES)[name]
    if name not in trusted:  # load checked the file for such names first
        raise ValueError(f"{where} refers to {name!r}, which is not trusted.")
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        try:
            return _import(module, ".".join(parts[i:]))
        except AttributeError:
            break
    raise ValueError(f"{where} refers to {name!r}, which cannot be imported.")
