# SPDX-License-Identifier: BSD-3-Clause
"""Saving and loading fitted estimators without pickle.

:func:`save` writes one `safetensors <https://huggingface.co/docs/safetensors>`_
file: the network weights (and every numeric array) are its tensors, and a
JSON description of the estimator (class, constructor parameters, fitted
attributes, per-epoch training history) sits in the file's metadata header.
:func:`load` reads it back without unpickling anything and without importing any
name it finds in the file: classes are looked up in fixed allow-lists, and the
network is rebuilt from its saved architecture before the weights are copied in.

A file that does not match what it claims (edited, truncated, another format,
a newer format version) raises a ``ValueError`` that names the problem.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import tempfile
import warnings

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.metadata_routing import MetadataRequest

from ._base import _BaseRNN
from .classifier import RNNClassifier
from .forecasting import SequenceForecaster, _Stats
from .regressor import RNNRegressor
from .scaling import SequenceScaler
from .text import TextTokenizer
from .windowing import SequenceWindower

__all__ = ["FORMAT_VERSION", "load", "save"]

#: Version of the file layout written by :func:`save`. :func:`load` reads this
#: version only; it changes when a file written now would be misread.
FORMAT_VERSION = 1
_FORMAT = "sklearn_rnn"

_RNN_STATE = (
    "n_features_in_",
    "_n_step_features",
    "_fitted_kind",
    "_fitted_architecture",
    "n_iter_",
)
_SCALER_STATE = ("n_features_in_", "n_samples_seen_", "scale_")

# The estimators a file may hold, by the name stored in it, with the fitted
# attributes a fitted one must have. Anything else is refused on save, and a
# name not listed here is refused on load.
_ESTIMATORS = {
    "sklearn_rnn.RNNClassifier": (RNNClassifier, (*_RNN_STATE, "classes_")),
    "sklearn_rnn.RNNRegressor": (
        RNNRegressor,
        (*_RNN_STATE, "_y_mean", "_y_scale", "_y_ndim"),
    ),
    "sklearn_rnn.SequenceForecaster": (
        SequenceForecaster,
        (
            *_RNN_STATE,
            "_y_name",
            "known_columns_",
            "target_column_",
            "normalize_",
            "quantiles_",
            "_features",
            "_known_ch",
            "_target_ch",
            "_x_mean",
            "_x_scale",
            "_series_stats",
            "_global_stats",
            "_n_outputs",
            "_tails",
            "_index",
        ),
    ),
    "sklearn_rnn.TextTokenizer": (TextTokenizer, ("vocabulary_", "n_features_in_")),
    "sklearn_rnn.SequenceWindower": (SequenceWindower, ("n_features_in_",)),
    "sklearn_rnn.SequenceScaler": (
        SequenceScaler,
        (
            "n_features_in_",
            "_n_step_features",
            "_fitted_kind",
            "mean_",
            "var_",
            "scale_",
        ),
    ),
    "sklearn.pipeline.Pipeline": (Pipeline, ()),
    "sklearn.preprocessing.StandardScaler": (
        StandardScaler,
        (*_SCALER_STATE, "mean_", "var_"),
    ),
    "sklearn.preprocessing.MinMaxScaler": (
        MinMaxScaler,
        (*_SCALER_STATE, "min_", "data_min_", "data_max_", "data_range_"),
    ),
    "sklearn.preprocessing.MaxAbsScaler": (MaxAbsScaler, (*_SCALER_STATE, "max_abs_")),
    "sklearn.preprocessing.RobustScaler": (
        RobustScaler,
        ("n_features_in_", "center_", "scale_"),
    ),
}

# Classes and functions that parameters may hold, stored by these names.
_REFERENCES = {
    f"torch.optim.{name}": getattr(torch.optim, name)
    for name in dir(torch.optim)
    if isinstance(getattr(torch.optim, name), type)
    and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)
    and getattr(torch.optim, name) is not torch.optim.Optimizer
}
_REFERENCES["str.split"] = str.split

# Named tuples that fitted attributes may hold, stored by these names with
# their fields by name; each field is checked on load.
_NAMED_TUPLES = {"sklearn_rnn.forecasting._Stats": _Stats}

# Units of pandas time stamps, and the time zones (IANA names such as
# "Europe/Paris" or "UTC": no path, no "..") they are stored with.
_TIME_UNITS = ("s", "ms", "us", "ns")
_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")

# Fitted attributes recomputed on load rather than stored.
_DERIVED = {"history_": "_history_frame"}

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
_TAGS = {
    f"__{name}__"
    for name in "tuple items float bytes scalar ndarray dtype tensor device "
    "random_state ref estimator namedtuple timestamp period offset".split()
}
_MAX_DEPTH = 64


def _name_of(cls) -> str | None:
    return next((name for name, (c, _) in _ESTIMATORS.items() if c is cls), None)


def _unsupported(where: str, what: str) -> TypeError:
    return TypeError(
        f"Cannot save {where}: {what}. sklearn_rnn.persistence stores only "
        "plain data (numbers, strings, arrays, lists, dicts, pandas time stamps, "
        "periods and frequencies), torch.optim classes and str.split, in these "
        "estimators: "
        f"{', '.join(name.rpartition('.')[2] for name in _ESTIMATORS)}. Use a "
        "built-in option instead (a string such as optimizer='adam'; "
        "token_pattern or analyzer rather than a tokenizer function), or "
        "pickle/joblib for files you trust."
    )


def _unsupported_estimator(what: str, which: str, est) -> TypeError:
    return TypeError(
        f"Cannot save {what}: {which} is a {type(est).__qualname__}, which "
        "sklearn_rnn.persistence does not support (no class outside a fixed list "
        "is saved, so that loading never runs code from the file). Supported: "
        f"{', '.join(n.rpartition('.')[2] for n in _ESTIMATORS)}. Use pickle or "
        "joblib for files you trust."
    )


class _Writer:
    """Turn an estimator into JSON-compatible data and a dict of tensors."""

    def __init__(self, include_optimizer: bool):
        self.include_optimizer = include_optimizer
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, tensor: torch.Tensor, hint: str) -> str:
        key, i = hint, 1
        while key in self.tensors:
            key, i = f"{hint}.{i}", i + 1
        # Copies: safetensors refuses tensors that share memory.
        self.tensors[key] = tensor.detach().to("cpu", copy=True).contiguous()
        return key

    def encode(self, value, where: str):
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"__float__": str(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in "biufUS":
                raise _unsupported(where, f"numpy scalar of dtype {value.dtype}")
            item = self.encode(value.item(), where)
            return {"__scalar__": {"dtype": value.dtype.str, "value": item}}
        if kind is bytes:
            return {"__bytes__": base64.b64encode(value).decode("ascii")}
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind is tuple:
            if _is_step(value):
                # A pipeline step: name it in messages and tensor keys.
                return {
                    "__tuple__": [
                        value[0],
                        self.encode(value[1], _step(where, value[0])),
                    ]
                }
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {"__tuple__": items}
        if kind is dict:
            if all(type(k) is str for k in value) and not (
                len(value) == 1 and next(iter(value)).startswith("__")
            ):
                return {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}
            return {
                "__items__": [
                    [self.encode(k, where), self.encode(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        # A memmap is an ndarray kept on disk: it is stored (and loaded) as one.
        if kind in (np.ndarray, np.memmap):
            return {"__ndarray__": self.array(value, where)}
        if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
            # Their index, names and (extension) dtypes would not all read back.
            raise TypeError(
                f"Cannot save {where}: a pandas {kind.__name__} is not stored. "
                "Pass a list or a NumPy array instead (for instance "
                "list(frame.columns) or series.to_numpy())."
            )
        if isinstance(value, torch.Tensor):
            return {"__tensor__": self.tensor(value, where)}
        if kind is torch.device:
            return {"__device__": str(value)}
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if kind is np.random.RandomState:
            return {"__random_state__": self.encode(value.get_state(), where)}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, where)}
        if kind in _NAMED_TUPLES.values():
            name = next(n for n, cls in _NAMED_TUPLES.items() if cls is kind)
            fields = {
                field: self.encode(item, f"{where}.{field}")
                for field, item in zip(kind._fields, value)
            }
            return {"__namedtuple__": {"type": name, "fields": fields}}
        if kind is pd.Timestamp:
            return {"__timestamp__": _encode_timestamp(value, where)}
        if kind is pd.Period:
            body = {"ordinal": value.ordinal, "freq": value.freqstr}
            return {"__period__": _exact(value, _decode_period, body, where)}
        if isinstance(value, BaseOffset):
            body = _exact(value, _decode_offset, value.freqstr, where)
            return {"__offset__": body}
        if callable(value):
            for name, obj in _REFERENCES.items():
                if obj is value:
                    return {"__ref__": name}
            raise _unsupported(where, f"{value!r} is not an allowed class or function")
        raise _unsupported(where, f"values of type {kind.__qualname__} are not stored")

    def array(self, value: np.ndarray, where: str) -> dict:
        dtype = value.dtype
        native = dtype.newbyteorder("=")
        out = {"dtype": dtype.str, "shape": list(value.shape)}
        if native in _TENSOR_DTYPES:
            # np.array, not ascontiguousarray, which turns 0-d arrays into 1-d.
            data = np.array(value, dtype=native, order="C", copy=True)
            out["tensor"] = self.tensor(torch.from_numpy(data), where)
        elif dtype.kind in _ARRAY_KINDS and dtype.fields is None and dtype.itemsize:
            values = value.ravel().tolist()
            if dtype.kind in "US":
                _check_string_width(dtype, values, where, "Cannot save")
            out["data"] = [self.encode(v, where) for v in values]
        else:
            raise _unsupported(where, f"arrays of dtype {dtype} are not stored")
        return out

    def estimator(self, est: BaseEstimator, where: str) -> dict:
        name = _name_of(type(est))
        if name is None:
            raise _unsupported_estimator(type(est).__name__, where or "it", est)
        params = est.get_params(deep=False)
        if isinstance(est, Pipeline):
            # joblib's cache holds pickles, so load refuses a memory: refuse it
            # here too rather than write a file that never loads. Saving it as
            # None instead would silently change a parameter.
            if est.memory is not None:
                raise ValueError(
                    f"Cannot save {where or 'Pipeline'} with memory="
                    f"{est.memory!r}: a loaded Pipeline must have memory=None "
                    "(a cache directory holds pickles). Call "
                    "set_params(memory=None) before saving; the cache is used "
                    "during fit only."
                )
            for step_name, step in est.steps:
                if isinstance(step, BaseEstimator) and _name_of(type(step)) is None:
                    raise _unsupported_estimator(
                        "the Pipeline", f"its step {step_name!r}", step
                    )
            _check_steps(est, f"Cannot save {where or 'Pipeline'}: invalid steps:")
        skip = set(params) | {"net_", "_metadata_request"}
        if isinstance(est, _BaseRNN):
            if params.get("callbacks"):
                raise TypeError(
                    f"Cannot save {type(est).__name__} with callbacks: skorch "
                    "callbacks are objects, not data. They are used during fit "
                    "only; call set_params(callbacks=None) before saving."
                )
            skip |= {attr for attr, method in _DERIVED.items() if hasattr(est, method)}
        label = type(est).__name__ if where == "" else where
        out = {
            "class": name,
            "params": {k: self.encode(v, f"{label}.{k}") for k, v in params.items()},
            "state": {
                k: self.encode(v, f"{label}.{k}")
                for k, v in vars(est).items()
                if k not in skip
            },
        }
        if "_metadata_request" in vars(est):
            out["requests"] = _encode_requests(est._metadata_request, label)
        if isinstance(est, _BaseRNN) and hasattr(est, "net_"):
            out["net"] = self.net(est.net_, label)
        return out

    def net(self, net, label: str) -> dict:
        module = {
            name: self.tensor(value, f"{label}.net_.module_.{name}")
            for name, value in net.module_.state_dict().items()
        }
        optimizer = None
        if self.include_optimizer:
            optimizer = self.encode(
                net.optimizer_.state_dict(), f"{label}.net_.optimizer_"
            )
        # Per-batch records (losses and sizes of every batch) would grow the
        # JSON header with the length of training, past safetensors' limit
        # on long fits: only the per-epoch records are kept. Callbacks read
        # past epochs through their per-epoch entries (train_batch_count).
        epochs = [
            {**epoch, "batches": []} if "batches" in epoch else epoch
            for epoch in net.history
        ]
        history = self.encode(epochs, f"{label}.net_.history")
        return {"module": module, "optimizer": optimizer, "history": history}


def save(estimator, path, *, include_optimizer: bool = True) -> None:
    """Save a fitted (or unfitted) estimator to a file, without pickle.

    The file is a single `safetensors` file: the network weights and numeric
    arrays are its tensors; the class, constructor parameters, fitted
    attributes and training history are JSON in its metadata header, with
    the format version and the versions of sklearn_rnn, scikit-learn, torch,
    skorch and numpy that wrote it. :func:`load` reads it back.

    Parameters
    ----------
    estimator : estimator
        An :class:`~sklearn_rnn.RNNClassifier`,
        :class:`~sklearn_rnn.RNNRegressor`,
        :class:`~sklearn_rnn.SequenceForecaster`,
        :class:`~sklearn_rnn.TextTokenizer`,
        :class:`~sklearn_rnn.SequenceWindower`,
        :class:`~sklearn_rnn.SequenceScaler`, one of scikit-learn's
        ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` or
        ``RobustScaler``, or a ``Pipeline`` of these.
    path : str or os.PathLike
        Where to write. The file is written next to it first and then moved
        into place, so an interrupted save leaves any previous file intact.
    include_optimizer : bool, default=True
        Whether to store the optimizer state (for Adam, two tensors the size
        of the weights), so that a ``warm_start`` fit of the loaded estimator
        continues exactly as the original would. Without it the file is
        smaller and the loaded optimizer starts afresh.

    Raises
    ------
    TypeError
        If the estimator, a pipeline step, a parameter or a fitted attribute
        cannot be stored as data: a class other than those above, a callable
        ``tokenizer`` other than ``str.split``, an ``optimizer`` class outside
        ``torch.optim``, skorch ``callbacks``, a pandas object (pass a list or
        array instead). The message names the value.
    ValueError
        If a ``Pipeline`` has a ``memory`` (set ``memory=None``: a cache is
        used during fit only), or a fixed-width string array is padded far
        beyond its longest value (more than 64 MiB in all).

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    Parameters that are classes or functions are stored by name only when
    they are on a fixed allow-list (the optimizers of ``torch.optim``, and
    ``str.split``); anything else is refused rather than pickled. skorch
    ``callbacks`` are used during ``fit`` only: set ``callbacks=None`` before
    saving.

    The per-epoch history of ``net_`` is kept, so ``n_iter_``, ``history_``
    and ``warm_start`` continue as they would on the original. The per-batch
    records of each epoch (``net_.history[i]["batches"]``, one entry per
    training and validation batch) are not stored, so that long trainings do
    not outgrow the file's header: they load as empty lists.

    Metadata requests set with ``set_fit_request`` and the like are kept.

    A :class:`~sklearn_rnn.SequenceForecaster` keeps the end of each training
    series and its time index: pandas time stamps (with their unit and time
    zone), periods and frequencies are stored as text (a frequency by its
    alias, such as ``"h"`` or ``"W-SUN"``) and read back with pandas' own
    parsers, so ``forecast`` after loading returns the same index. A
    frequency without an alias that reads back as itself (a
    ``CustomBusinessDay`` with holidays, a ``DateOffset(months=1, days=2)``)
    is refused with a ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> from tempfile import TemporaryDirectory
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn.persistence import load, save
    >>> X = np.random.RandomState(0).normal(size=(20, 5, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> with TemporaryDirectory() as tmp:
    ...     save(clf, f"{tmp}/model.safetensors")
    ...     loaded = load(f"{tmp}/model.safetensors")
    >>> bool((loaded.predict(X) == clf.predict(X)).all())
    True
    """
    save_file = _safetensors().torch.save_file
    writer = _Writer(include_optimizer)
    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"save expects a scikit-learn estimator, got {type(estimator).__name__}."
        )
    payload = writer.encode(estimator, "")
    metadata = {
        "format": _FORMAT,
        "format_version": str(FORMAT_VERSION),
        "sklearn_rnn_version": _library_version(),
        "environment": json.dumps(_environment()),
        "estimator": json.dumps(payload, allow_nan=False, separators=(",", ":")),
    }
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_rnn-", suffix=".tmp")
    os.close(fd)
    try:
        save_file(writer.tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _Reader:
    """Rebuild values from the JSON data and the tensors of a file."""

    def __init__(self, tensors: dict, device):
        self.tensors = tensors
        self.used: set[str] = set()
        self.device = device

    def take(self, key, where: str) -> torch.Tensor:
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
        if len(data) != 1 or not next(iter(data)).startswith("__"):
            return {
                k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in data.items()
            }
        ((tag, body),) = data.items()
        if tag not in _TAGS:
            raise ValueError(f"{where} has an unknown tag {tag!r}.")
        try:
            return getattr(self, f"_{tag.strip('_')}")(body, where, depth + 1)
        except ValueError:
            raise
        except (TypeError, KeyError, AttributeError, IndexError, RuntimeError) as exc:
            raise ValueError(f"{where} holds an invalid {tag} entry: {exc}") from exc

    def _tuple(self, body, where, depth):
        body = _typed(body, list, where)
        if len(body) == 2 and type(body[0]) is str:
            where = _step(where, body[0])
        return tuple(self.decode(v, where, depth) for v in body)

    def _items(self, body, where, depth):
        out = {}
        for item in _typed(body, list, where):
            key, value = _typed(item, list, where)
            out[self.decode(key, where, depth)] = self.decode(value, where, depth)
        return out

    def _float(self, body, where, depth):
        if body not in ("nan", "inf", "-inf"):
            raise ValueError(f"{where} holds an invalid float {body!r}.")
        return float(body)

    def _bytes(self, body, where, depth):
        return base64.b64decode(_typed(body, str, where), validate=True)

    def _scalar(self, body, where, depth):
        dtype = _dtype(body["dtype"], "biufUS", where)
        return dtype.type(self.decode(body["value"], where, depth))

    def _dtype(self, body, where, depth):
        return _dtype(body, _ARRAY_KINDS, where)

    def _ndarray(self, body, where, depth):
        dtype = _dtype(body["dtype"], _ARRAY_KINDS, where)
        shape = tuple(_typed(body["shape"], list, where))
        if not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError(f"{where} has an invalid array shape {list(shape)}.")
        if "tensor" in body:
            array = self.take(body["tensor"], where).numpy()
            if array.dtype != dtype.newbyteorder("=") or array.shape != shape:
                raise ValueError(
                    f"{where}: the file says an array of dtype {dtype} and shape "
                    f"{shape}, but its tensor has dtype {array.dtype} and shape "
                    f"{array.shape}."
                )
            return array.astype(dtype)
        values = [
            self.decode(v, where, depth) for v in _typed(body["data"], list, where)
        ]
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

    def _tensor(self, body, where, depth):
        return self.take(body, where).clone()

    def _device(self, body, where, depth):
        return torch.device(_typed(body, str, where))

    def _random_state(self, body, where, depth):
        state = np.random.RandomState()
        state.set_state(self.decode(body, where, depth))
        return state

    def _ref(self, body, where, depth):
        if type(body) is not str or body not in _REFERENCES:
            raise ValueError(
                f"{where} refers to {body!r}, which is not an allowed class or "
                "function (allowed: torch.optim optimizers, str.split)."
            )
        return _REFERENCES[body]

    def _namedtuple(self, body, where, depth):
        if type(body) is not dict or set(body) != {"type", "fields"}:
            raise ValueError(f"{where} holds an invalid named tuple {body!r}.")
        name, fields = body["type"], _typed(body["fields"], dict, where)
        if type(name) is not str or name not in _NAMED_TUPLES:
            raise ValueError(
                f"{where} holds a named tuple of type {name!r}, which "
                "sklearn_rnn.persistence does not load."
            )
        cls = _NAMED_TUPLES[name]
        if list(fields) != list(cls._fields):
            raise ValueError(
                f"{where} holds a {cls.__name__} with fields {list(fields)}, "
                f"expected {list(cls._fields)}."
            )
        value = cls(*(self.decode(v, f"{where}.{k}", depth) for k, v in fields.items()))
        _check_named_tuple(value, where)
        return value

    def _timestamp(self, body, where, depth):
        return _decode_timestamp(body, where)

    def _period(self, body, where, depth):
        return _decode_period(body, where)

    def _offset(self, body, where, depth):
        return _decode_offset(body, where)

    def _estimator(self, body, where, depth):
        _typed(body, dict, where)
        name = body.get("class")
        if type(name) is not str or name not in _ESTIMATORS:
            raise ValueError(
                f"{where or 'The file'} holds an estimator of class {name!r}, which "
                "sklearn_rnn.persistence does not load."
            )
        cls, required = _ESTIMATORS[name]
        label = cls.__name__ if where == "" else where
        keys = {"class", "params", "state", "requests"} | (
            {"net"} if issubclass(cls, _BaseRNN) else set()
        )
        if not set(body) <= keys:
            raise ValueError(
                f"{label} has unexpected entries {sorted(set(body) - keys)}."
            )
        params = {
            k: self.decode(v, f"{label}.{k}", depth)
            for k, v in _typed(body["params"], dict, label).items()
        }
        unknown = set(params) - set(cls._get_param_names())
        if unknown:
            raise ValueError(f"{label} has unknown parameter(s) {sorted(unknown)}.")
        if self.device is not None and issubclass(cls, _BaseRNN):
            params["device"] = self.device
        est = cls(**params)
        try:
            est._validate_params()
        except ValueError as exc:
            raise ValueError(f"{label} has an invalid parameter: {exc}") from exc

        state = _typed(body["state"], dict, label)
        missing = [attr for attr in required if attr not in state]
        net = body.get("net")
        if (state or net is not None) and missing:
            raise ValueError(
                f"{label} is missing the fitted attribute(s) {missing} in the file."
            )
        if issubclass(cls, _BaseRNN) and bool(state) != (net is not None):
            raise ValueError(
                f"{label} has fitted attributes but no network, or the reverse."
            )
        for attr, value in state.items():
            if (
                not attr.isidentifier()
                or attr.startswith("__")
                or attr in params
                or attr == "net_"
                or hasattr(cls, attr)
            ):
                raise ValueError(f"{label} has an invalid attribute name {attr!r}.")
            setattr(est, attr, self.decode(value, f"{label}.{attr}", depth))
        if net is not None:
            _upgrade_v01_network(est, params)
            _restore_net(est, _typed(net, dict, label), self, label)
        if state:
            _check_fitted_state(est, label)
        if isinstance(est, Pipeline):
            if est.memory is not None:
                # joblib's cache directory holds pickles: a file must not pick it.
                raise ValueError(f"{label}: a loaded Pipeline must have memory=None.")
            _check_steps(est, f"{label} has invalid steps:")
        if "requests" in body:
            est._metadata_request = _decode_requests(body["requests"], est, label)
        return est


def _check_steps(pipeline: Pipeline, message: str) -> None:
    """Check the steps as ``Pipeline.fit`` does (names, transformers, last step)."""
    try:
        pipeline._validate_steps()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{message} {exc}") from exc


def _is_step(value) -> bool:
    return (
        len(value) == 2
        and type(value[0]) is str
        and isinstance(value[1], BaseEstimator)
    )


def _step(where: str, name: str) -> str:
    return f"{where.rpartition('[')[0]}[{name!r}]"


def _typed(value, kind, where):
    if type(value) is not kind:
        raise ValueError(
            f"{where}: expected a JSON {kind.__name__}, got {type(value).__name__}."
        )
    return value


def _dtype(text, kinds: str, where: str) -> np.dtype:
    try:
        dtype = np.dtype(_typed(text, str, where))
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


def _request_methods(requests: MetadataRequest) -> dict:
    """The per-method requests (``fit``, ``score``, ...) of a MetadataRequest."""
    return {name: value for name, value in vars(requests).items() if name != "owner"}


def _encode_requests(requests, label: str) -> dict:
    """The metadata requests of ``set_fit_request`` and the like, as JSON."""
    where = f"{label}._metadata_request"
    if type(requests) is not MetadataRequest:
        raise _unsupported(where, f"a {type(requests).__qualname__} is not stored")
    out = {}
    for method, request in _request_methods(requests).items():
        values = dict(request.requests)
        for param, alias in values.items():
            if type(param) is not str or not (
                alias is None or type(alias) in (bool, str)
            ):
                raise _unsupported(where, f"the request {param!r}: {alias!r}")
        out[method] = values
    return out


def _decode_requests(data, est, label: str) -> MetadataRequest:
    """Rebuild metadata requests, checked as ``set_fit_request`` checks them."""
    where = f"{label}._metadata_request"
    requests = MetadataRequest(owner=est)
    methods = _request_methods(requests)
    for method, values in _typed(data, dict, where).items():
        if method not in methods:
            raise ValueError(f"{where} has requests for an unknown method {method!r}.")
        for param, alias in _typed(values, dict, f"{where}.{method}").items():
            if not param.isidentifier() or not (
                alias is None or type(alias) in (bool, str)
            ):
                raise ValueError(
                    f"{where}.{method} has an invalid request {param!r}: {alias!r}."
                )
            try:
                methods[method].add_request(param=param, alias=alias)
            except ValueError as exc:
                raise ValueError(f"{where}.{method}: {exc}") from exc
    return requests


def _exact(value, decode, body, where: str):
    """Return ``body`` if ``decode`` gives ``value`` back exactly, else refuse."""
    try:
        back = decode(body, where)
    except ValueError:
        back = None
    if (
        type(back) is not type(value)
        or back != value
        or str(getattr(back, "tz", None)) != str(getattr(value, "tz", None))
        or getattr(back, "unit", None) != getattr(value, "unit", None)
    ):
        raise _unsupported(where, f"{value!r} cannot be stored exactly")
    return body


def _encode_timestamp(value: pd.Timestamp, where: str) -> dict:
    body = {"iso": value.isoformat(), "unit": value.unit, "tz": None}
    if value.tz is not None:
        # The offset in the ISO text is enough for fixed-offset time zones;
        # others are stored by name.
        try:
            fixed = str(_decode_timestamp(body, where).tz) == str(value.tz)
        except ValueError:
            fixed = False
        if not fixed:
            body["tz"] = str(value.tz)
    return _exact(value, _decode_timestamp, body, where)


def _decode_timestamp(body, where: str) -> pd.Timestamp:
    if type(body) is not dict or set(body) != {"iso", "unit", "tz"}:
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    iso, unit, tz = body["iso"], body["unit"], body["tz"]
    if (
        type(iso) is not str
        or type(unit) is not str
        or unit not in _TIME_UNITS
        or not (tz is None or (type(tz) is str and _TIME_ZONE.fullmatch(tz)))
    ):
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    try:
        value = pd.Timestamp(iso)
        if tz is not None:
            value = value.tz_convert(tz)
        value = value.as_unit(unit)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(
            f"{where} holds an invalid time stamp {body!r}: {exc}"
        ) from exc
    if type(value) is not pd.Timestamp:  # NaT
        raise ValueError(f"{where} holds an invalid time stamp {body!r}.")
    return value


def _decode_period(body, where: str) -> pd.Period:
    if (
        type(body) is not dict
        or set(body) != {"ordinal", "freq"}
        or type(body["ordinal"]) is not int
        or type(body["freq"]) is not str
    ):
        raise ValueError(f"{where} holds an invalid period {body!r}.")
    try:
        value = pd.Period(ordinal=body["ordinal"], freq=body["freq"])
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"{where} holds an invalid period {body!r}: {exc}") from exc
    if type(value) is not pd.Period:  # NaT
        raise ValueError(f"{where} holds an invalid period {body!r}.")
    return value


def _decode_offset(body, where: str) -> BaseOffset:
    try:
        value = to_offset(_typed(body, str, where))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"{where} holds an unknown frequency {body!r}: {exc}") from exc
    if not isinstance(value, BaseOffset):
        raise ValueError(f"{where} holds an unknown frequency {body!r}.")
    return value


def _float_array(value, ndim: int) -> bool:
    return (
        type(value) is np.ndarray
        and value.dtype == np.float64
        and value.ndim == ndim
        and bool(np.isfinite(value).all())
    )


def _check_named_tuple(value, where: str) -> None:
    """Check the fields of a named tuple read from a file."""
    if type(value) is _Stats:
        center, scale, fallback = value
        if not (
            type(center) is float
            and math.isfinite(center)
            and type(scale) is float
            and math.isfinite(scale)
            and scale > 0
            and _float_array(fallback, 1)
            and len(fallback)
        ):
            raise ValueError(
                f"{where} holds an invalid _Stats: center and scale must be "
                "finite floats (scale positive) and fallback a non-empty 1-D "
                f"float64 array of finite values; got {value!r}."
            )


def _invalid_state(label: str):
    """A ``require(condition, what)`` that raises a ValueError naming ``label``."""

    def require(condition, what):
        if not condition:
            raise ValueError(f"{label} has an invalid fitted state: {what}.")

    return require


def _count(value) -> bool:
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and value >= 0
    )


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )


# Scaler attributes that are None when the parameter that asks for them is off.
_SCALER_OPTIONAL = {
    StandardScaler: {"mean_": "with_mean", "var_": "with_std", "scale_": "with_std"},
    RobustScaler: {"center_": "with_centering", "scale_": "with_scaling"},
}


def _check_fitted_state(est, label: str) -> None:
    """Check that a loaded estimator's fitted attributes fit together.

    A file whose fitted state is inconsistent raises here rather than loading
    an estimator that fails (or predicts garbage) later.
    """
    require = _invalid_state(label)
    if isinstance(est, SequenceForecaster):
        _check_forecaster(est, label)
    elif isinstance(est, _BaseRNN):
        _check_network_state(est, label)
    elif isinstance(est, Pipeline):
        pass  # Its steps are checked as they load, and as a whole after.
    elif isinstance(est, SequenceScaler):
        _check_sequence_scaler(est, label)
    elif isinstance(est, TextTokenizer):
        vocab = est.vocabulary_
        require(
            type(est.n_features_in_) is int and est.n_features_in_ == 1,
            "n_features_in_ must be 1",
        )
        require(
            type(vocab) is dict
            and len(vocab)
            and all(type(t) is str for t in vocab)
            and all(type(i) is int and i >= 2 for i in vocab.values())
            and len(set(vocab.values())) == len(vocab),
            "vocabulary_ must map tokens to distinct int ids of 2 and more",
        )
    else:
        n = est.n_features_in_
        require(_count(n) and n >= 1, "n_features_in_ must be a positive int")
        _, attrs = _ESTIMATORS[_name_of(type(est))]
        optional = _SCALER_OPTIONAL.get(type(est), {})
        for name in attrs:
            value = getattr(est, name)
            if name == "n_samples_seen_":
                # An int, or a float with sample weights (StandardScaler); one
                # per feature when the data had missing values.
                seen = np.asarray(value) if _is_number(value) else value
                require(
                    type(seen) is np.ndarray
                    and seen.dtype.kind in "iuf"
                    and seen.shape in ((), (n,))
                    and bool(np.all(seen >= 0)),
                    "n_samples_seen_ must be a count, or one count per feature",
                )
            elif name != "n_features_in_" and not (
                value is None and name in optional and not getattr(est, optional[name])
            ):
                require(
                    type(value) is np.ndarray
                    and value.dtype.kind == "f"
                    and value.shape == (n,),
                    f"{name} must be a float array of n_features_in_ values",
                )
    if "feature_names_in_" in vars(est):
        names = est.feature_names_in_
        require(
            type(names) is np.ndarray
            and names.shape == (est.n_features_in_,)
            and all(type(name) is str for name in names),
            "feature_names_in_ must hold n_features_in_ strings",
        )


def _check_sequence_scaler(est, label: str) -> None:
    """Check a SequenceScaler's statistics against its parameters and kind."""
    require = _invalid_state(label)
    n, kind, step = est.n_features_in_, est._fitted_kind, est._n_step_features
    require(_count(n) and n >= 1, "n_features_in_ must be a positive int")
    require(
        kind in ("table", "sequences"),
        "_fitted_kind must be 'table' or 'sequences'",
    )
    require(
        _count(step) and step == (1 if kind == "table" else n),
        "_n_step_features must be 1 for 2-D input, else n_features_in_",
    )
    require(
        kind == "table" or "feature_names_in_" not in vars(est),
        "feature_names_in_ is defined only for 2-D input",
    )
    for name, wanted in (
        ("mean_", est.with_mean),
        ("var_", est.with_std),
        ("scale_", est.with_std),
    ):
        value = getattr(est, name)
        if not wanted:
            require(value is None, f"{name} must be None when it is not used")
            continue
        require(
            _float_array(value, 1) and value.shape == (step,),
            f"{name} must be a finite float64 array of one value per feature",
        )
    if est.with_std:
        require(bool((est.var_ >= 0).all()), "var_ must not be negative")
        require(bool((est.scale_ > 0).all()), "scale_ must be positive")


def _check_network_state(est, label: str) -> None:
    """Check that a classifier's or regressor's fitted state fits its network."""
    require = _invalid_state(label)

    arch = est._fitted_architecture
    n_outputs = arch.get("n_outputs")
    kind = est._fitted_kind
    require(kind in ("table", "sequences", "ids"), "unknown input kind")
    require(
        type(est._n_step_features) is int
        and est._n_step_features == arch.get("n_features"),
        "features per step differ from the network's",
    )
    n_in = est.n_features_in_
    require(type(n_in) is int and n_in >= 1, "n_features_in_ must be a positive int")
    if kind == "ids":
        require(
            n_in == 1 and est.vocab_size_ == arch.get("vocab_size"),
            "the vocabulary size differs from the network's",
        )
    elif kind == "sequences":
        require(n_in == est._n_step_features, "n_features_in_ differs")
    for name in ("n_iter_", "best_epoch_"):
        value = getattr(est, name, 0)
        require(type(value) is int and value >= 0, f"{name} must be an int")
    if isinstance(est, RNNClassifier):
        classes = est.classes_
        require(
            isinstance(classes, np.ndarray)
            and classes.ndim == 1
            and len(classes) == n_outputs,
            "classes_ must hold one label per network output",
        )
    else:
        for name in ("_y_mean", "_y_scale"):
            value = getattr(est, name)
            require(
                isinstance(value, np.ndarray)
                and value.shape == (n_outputs,)
                and np.isfinite(value).all(),
                f"{name} must hold one finite value per network output",
            )
        require(bool((est._y_scale > 0).all()), "_y_scale must be positive")
        require(
            est._y_ndim == 2 or (est._y_ndim == 1 and n_outputs == 1),
            "_y_ndim does not fit the network's outputs",
        )


def _check_forecaster(est, label: str) -> None:
    """Check that the fitted state of a SequenceForecaster fits together."""
    require = _invalid_state(label)

    def positions(value, n):
        return (
            type(value) is np.ndarray
            and value.ndim == 1
            and value.dtype.kind in "iu"
            and bool(((value >= 0) & (value < n)).all())
        )

    def position(value, n):
        return type(value) is int and 0 <= value < n

    n = est.n_features_in_
    require(type(n) is int and n >= 1, "n_features_in_ must be a positive int")
    require(
        type(est.normalize_) is str and est.normalize_ in ("window", "none"),
        "normalize_ must be window/none",
    )
    require(
        est.target_column_ is None or position(est.target_column_, n),
        "target_column_ must be None or a column position",
    )
    require(
        positions(est.known_columns_, n) and positions(est._features, n),
        "known_columns_ and _features must be arrays of column positions",
    )
    n_channels = len(est._features)
    require(n_channels >= 1, "_features must not be empty")
    require(
        type(est._known_ch) is list
        and all(position(c, n_channels) for c in est._known_ch)
        and (est._target_ch is None or position(est._target_ch, n_channels)),
        "_known_ch and _target_ch must be channel positions",
    )
    require(
        type(est._n_step_features) is int
        and est._n_step_features == n_channels + len(est._known_ch),
        "_n_step_features does not match _features and _known_ch",
    )
    require(
        all(
            _float_array(v, 1) and len(v) == n_channels
            for v in (est._x_mean, est._x_scale)
        ),
        "_x_mean and _x_scale must be float64 arrays, one value per channel",
    )
    quantiles = est.quantiles_
    require(
        quantiles is None
        or (
            _float_array(quantiles, 1)
            and len(quantiles)
            and bool(np.all((quantiles > 0) & (quantiles < 1)))
            and bool(np.all(np.diff(quantiles) > 0))
        ),
        "quantiles_ must be None or increasing levels in (0, 1)",
    )
    n_outputs = 1 + (0 if quantiles is None else len(quantiles))
    require(
        type(est._n_outputs) is int and est._n_outputs == n_outputs,
        "_n_outputs does not match quantiles_",
    )
    stats = est._series_stats
    require(
        type(stats) is dict
        and all(type(s) is _Stats for s in (*stats.values(), est._global_stats))
        and all(
            len(s.fallback) == n_outputs for s in (*stats.values(), est._global_stats)
        ),
        "_series_stats and _global_stats must be _Stats with one fallback per output",
    )
    tails, index = est._tails, est._index
    require(
        type(tails) is dict
        and len(tails)
        and all(_float_array(t, 2) and t.shape[1] == n for t in tails.values()),
        "_tails must map series to float64 tables of n_features_in_ columns",
    )
    require(
        type(index) is dict
        and set(index) == set(tails)
        and all(
            info is None
            or (
                type(info) is tuple
                and len(info) == 2
                and type(info[0]) in (pd.Timestamp, pd.Period)
                and isinstance(info[1], BaseOffset)
            )
            for info in index.values()
        ),
        "_index must map the series of _tails to None or (time stamp, frequency)",
    )
    if not hasattr(est, "_series_pos"):
        # Files written before the forecaster recorded "no series column".
        require(est.series_column is None, "_series_pos is needed with series_column")
        est._series_pos = None
    if est._series_pos is not None:
        require(
            position(est._series_pos, n)
            and type(getattr(est, "series_ids_", None)) is np.ndarray,
            "_series_pos must be a column position, with series_ids_",
        )
    for name in ("window", "horizon"):
        if not hasattr(est, f"{name}_"):
            # Files written before the fitted values were kept apart from the
            # parameters, which then held them.
            setattr(est, f"{name}_", getattr(est, name))
        value = getattr(est, f"{name}_")
        require(type(value) is int and value >= 1, f"{name}_ must be a positive int")


# Parameters added after version 0.1, with the value that describes a
# network fitted by 0.1 (which had no such option).
_V01_NETWORK = {"conv_layers": 0, "input_norm": None}
_V01_CLASSIFIER = {"label_smoothing": 0.0, "temperature_scaling": False}


def _upgrade_v01_network(est, params: dict) -> None:
    """Describe a network saved by version 0.1 in today's terms.

    Its architecture has no front-end or input scaling, and its parameters
    no value for them: the new defaults would not describe the network
    (nor let a warm start continue it).
    """
    architecture = getattr(est, "_fitted_architecture", None)
    if type(architecture) is not dict or "conv_layers" in architecture:
        return
    est._fitted_architecture = {**architecture, **_V01_NETWORK}
    added = dict(_V01_NETWORK)
    if isinstance(est, RNNClassifier):
        added.update(_V01_CLASSIFIER)
    for name, value in added.items():
        if name not in params and name in est._get_param_names():
            setattr(est, name, value)


def _restore_net(est, net_data: dict, reader: _Reader, label: str) -> None:
    """Rebuild ``est.net_`` from the saved architecture, weights and history."""
    from skorch.history import History

    architecture = est._fitted_architecture
    if type(architecture) is not dict:
        raise ValueError(f"{label}._fitted_architecture must be a dict.")
    try:
        device = est._resolve_device()
    except ValueError as exc:
        raise ValueError(
            f"{label}: {exc} To load the model on this machine, pass "
            "load(..., device='cpu')."
        ) from exc
    weights = _typed(net_data.get("module"), dict, f"{label}.net_.module_")
    loops = [
        architecture.get("num_layers"),
        architecture.get("conv_layers", 0),
        len(architecture.get("head_hidden_sizes", ())),
    ]
    if not all(type(n) is int and n <= len(weights) for n in loops):
        raise ValueError(
            f"{label}: the saved architecture {architecture!r} does not match the "
            f"{len(weights)} saved weights."
        )
    try:
        net = est._build_net(dict(architecture), device, [])
        # Shapes first, on the meta device: no memory is taken for a network
        # that the weights in the file do not fill.
        with torch.device("meta"):
            expected = net.module(**net.get_params_for("module")).state_dict()
    except (TypeError, ValueError, KeyError, RuntimeError, OverflowError) as exc:
        raise ValueError(
            f"{label}: the network cannot be rebuilt from the saved architecture "
            f"{architecture!r}: {exc}"
        ) from exc
    if set(weights) != set(expected):
        raise ValueError(
            f"{label}: the saved weights do not match the network: missing "
            f"{sorted(set(expected) - set(weights))}, unexpected "
            f"{sorted(set(weights) - set(expected))}."
        )
    state = {}
    for name, current in expected.items():
        tensor = reader.take(weights[name], f"{label}.net_.module_.{name}")
        if tensor.shape != current.shape or tensor.dtype != current.dtype:
            raise ValueError(
                f"{label}: weight {name!r} has shape {tuple(tensor.shape)} and "
                f"dtype {tensor.dtype} in the file, but the network expects "
                f"{tuple(current.shape)} and {current.dtype}."
            )
        state[name] = tensor
    # Initializing draws random weights: keep the caller's random state.
    with torch.random.fork_rng(devices=[]):
        net.initialize()
    net.module_.load_state_dict(state)

    optimizer = net_data.get("optimizer")
    if optimizer is not None:
        where = f"{label}.net_.optimizer_"
        _load_optimizer(net.optimizer_, reader.decode(optimizer, where), where)
    history = reader.decode(net_data.get("history"), f"{label}.net_.history")
    if type(history) is not list or not all(type(h) is dict for h in history):
        raise ValueError(f"{label}.net_.history must be a list of dicts.")
    net.history = History(history)
    est.net_ = net
    for attr, method in _DERIVED.items():
        if hasattr(est, method):
            setattr(est, attr, getattr(est, method)())


def _load_optimizer(optimizer, state, where: str) -> None:
    """Check a saved optimizer state against ``optimizer``, then load it."""
    current = optimizer.state_dict()
    if type(state) is not dict or set(state) != {"state", "param_groups"}:
        raise ValueError(f"{where} must hold 'state' and 'param_groups'.")
    groups = state["param_groups"]
    if type(groups) is not list or len(groups) != len(current["param_groups"]):
        raise ValueError(f"{where} has the wrong number of parameter groups.")
    for group, mine in zip(groups, current["param_groups"]):
        # Schedulers add entries (initial_lr, max_lr, ...) to the groups.
        if type(group) is not dict or not set(mine) <= set(group):
            raise ValueError(f"{where} has parameter groups of another optimizer.")
        if group["params"] != mine["params"]:
            raise ValueError(f"{where} has parameter groups of another network.")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    # LBFGS keeps flat vectors over all parameters (some in lists), filed
    # under the first parameter.
    lbfgs = isinstance(optimizer, torch.optim.LBFGS)
    flat = (sum(p.numel() for p in params),)
    per_param = state["state"]
    if type(per_param) is not dict:
        raise ValueError(f"{where}['state'] must be a dict.")
    for index, values in per_param.items():
        if type(index) is not int or not 0 <= index < len(params):
            raise ValueError(f"{where} has state for unknown parameter {index!r}.")
        if type(values) is not dict:
            raise ValueError(f"{where}['state'][{index}] must be a dict.")
        expected = flat if lbfgs and index == 0 else params[index].shape
        for key, value in values.items():
            tensors = value if lbfgs and type(value) is list else [value]
            for tensor in tensors:
                if (
                    isinstance(tensor, torch.Tensor)
                    and tensor.ndim
                    and tensor.shape != expected
                ):
                    raise ValueError(
                        f"{where}: state {key!r} of parameter {index} has shape "
                        f"{tuple(tensor.shape)}, expected {tuple(expected)}."
                    )
    try:
        optimizer.load_state_dict(state)
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"{where} cannot be loaded: {exc}") from exc


def load(path, *, device=None):
    """Load an estimator saved by :func:`save`, without pickle.

    Nothing in the file is executed or imported: estimator classes and
    parameter classes are looked up in fixed allow-lists, weights are read
    by safetensors, and the network is rebuilt from its saved architecture.

    Parameters
    ----------
    path : str or os.PathLike
        The file written by :func:`save`.
    device : str, torch.device or None, default=None
        If given, replaces the ``device`` parameter of every network in the
        file, for instance ``"cpu"`` to load on a machine without the GPU the
        model was trained on.

    Returns
    -------
    estimator : estimator
        The estimator, with the parameters, fitted attributes, weights,
        training history and (if saved) optimizer state of the original.

    Raises
    ------
    ValueError
        If the file is not a safetensors file, is truncated, was not written
        by :func:`save`, has another format version, or does not match what
        it describes (unknown class or reference, missing fitted attributes,
        weights of the wrong shape or dtype, stray tensors).

    See Also
    --------
    save : Write the file.

    Notes
    -----
    A file written by another version of sklearn_rnn loads when its format
    version is the same, with a ``UserWarning``; parameters added to the
    estimators since then take their default values.

    Examples
    --------
    >>> from tempfile import TemporaryDirectory
    >>> from sklearn_rnn import TextTokenizer
    >>> from sklearn_rnn.persistence import load, save
    >>> tok = TextTokenizer().fit(["the cat sat", "the dog"])
    >>> with TemporaryDirectory() as tmp:
    ...     save(tok, f"{tmp}/tokenizer.safetensors")
    ...     load(f"{tmp}/tokenizer.safetensors").transform(["the dog sat"])
    array([[2, 4, 5]])
    """
    safetensors = _safetensors()
    path = os.fspath(path)
    try:
        with safetensors.safe_open(path, framework="pt") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except safetensors.SafetensorError as exc:
        raise ValueError(
            f"{path!r} is not a sklearn_rnn model file: it is not a readable "
            f"safetensors file (truncated, corrupted or another format): {exc}"
        ) from exc
    if metadata.get("format") != _FORMAT:
        raise ValueError(
            f"{path!r} is not a sklearn_rnn model file: a safetensors file "
            "without the sklearn_rnn metadata (not written by "
            "sklearn_rnn.persistence.save)."
        )
    version = metadata.get("format_version")
    written_by = metadata.get("sklearn_rnn_version", "an unknown version")
    if version != str(FORMAT_VERSION):
        raise ValueError(
            f"{path!r} has format version {version!r} (written by sklearn_rnn "
            f"{written_by}), but this sklearn_rnn ({_library_version()}) reads "
            f"format version {FORMAT_VERSION} only. Load it with the sklearn_rnn "
            "version that wrote it."
        )
    if written_by != _library_version():
        warnings.warn(
            f"{path!r} was written by sklearn_rnn {written_by}; this is "
            f"sklearn_rnn {_library_version()}. Check its predictions.",
            UserWarning,
            stacklevel=2,
        )

    def reject_constant(name):
        raise ValueError(f"invalid JSON constant {name}")

    try:
        payload = json.loads(metadata.get("estimator"), parse_constant=reject_constant)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{path!r} has an unreadable estimator description: {exc}")
    if type(payload) is not dict or set(payload) != {"__estimator__"}:
        raise ValueError(f"{path!r} does not describe an estimator.")
    reader = _Reader(tensors, device)
    try:
        estimator = reader.decode(payload, "")
    except RecursionError as exc:
        raise ValueError(f"{path!r} is nested too deeply.") from exc
    unused = sorted(set(tensors) - reader.used)
    if unused:
        raise ValueError(
            f"{path!r} holds tensors its description does not use: {unused[:5]}."
        )
    return estimator


def _safetensors():
    try:
        import safetensors
        import safetensors.torch
    except ImportError as exc:
        raise ImportError(
            "Saving and loading models needs the safetensors package: "
            "pip install safetensors"
        ) from exc
    return safetensors


def _library_version() -> str:
    # Imported here: the package imports this module while it initializes.
    import sklearn_rnn

    return sklearn_rnn.__version__


def _environment() -> dict:
    import safetensors
    import sklearn
    import skorch

    return {
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
    }
