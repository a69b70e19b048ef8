# SPDX-License-Identifier: BSD-3-Clause
"""Estimators: class, constructor parameters, fitted attributes and requests.

An estimator is stored as ``{"__estimator__": {"class", "params", "state",
"requests", "net"}}`` and loaded the way scikit-learn makes one: the class is
called with its parameters, which are then validated against its
``_parameter_constraints``; the fitted attributes are set and checked with
the class's ``_check_loaded_state`` (or, for classes without it, the checks
of :mod:`._sklearn_state`).
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRequest

from .._compat import validate_pipeline_steps
from . import _sklearn_state
from ._codec import decoder, encode, typed, unsupported
from ._network import DERIVED, NetworkEstimator, encode_net, restore_net
from ._objects import check_attribute_name
from ._registry import qualified_name, resolve

_STATE_CHECKS = _sklearn_state.CHECKS


@encode.register(BaseEstimator)
def _encode_estimator(est, writer, where):
    label = type(est).__name__ if where == "" else where
    name = qualified_name(type(est), label)
    params = est.get_params(deep=False)
    if isinstance(est, Pipeline):
        _check_pipeline_to_save(est, where)
    skip = set(params) | {"net_", "_metadata_request"}
    if isinstance(est, NetworkEstimator):
        if params.get("callbacks"):
            raise TypeError(
                f"Cannot save {type(est).__name__} with callbacks: skorch "
                "callbacks are objects, not data. They are used during fit "
                "only; call set_params(callbacks=None) before saving."
            )
        skip |= {attr for attr, method in DERIVED.items() if hasattr(est, method)}
    out = {
        "class": name,
        "params": {k: writer.encode(v, f"{label}.{k}") for k, v in params.items()},
        "state": {
            k: writer.encode(v, f"{label}.{k}")
            for k, v in vars(est).items()
            if k not in skip
        },
    }
    if "_metadata_request" in vars(est):
        out["requests"] = _encode_requests(est._metadata_request, label)
    if isinstance(est, NetworkEstimator) and hasattr(est, "net_"):
        out["net"] = encode_net(writer, est.net_, label)
    return {"__estimator__": out}


def _check_pipeline_to_save(pipeline: Pipeline, where: str) -> None:
    # joblib's cache holds pickles, so load refuses a memory: refuse it here
    # too rather than write a file that never loads. Saving it as None
    # instead would silently change a parameter.
    if pipeline.memory is not None:
        raise ValueError(
            f"Cannot save {where or 'Pipeline'} with memory={pipeline.memory!r}: "
            "a loaded Pipeline must have memory=None (a cache directory holds "
            "pickles). Call set_params(memory=None) before saving; the cache "
            "is used during fit only."
        )
    _check_steps(pipeline, f"Cannot save {where or 'Pipeline'}: invalid steps:")


def _check_steps(pipeline: Pipeline, message: str) -> None:
    """Check the steps as ``Pipeline.fit`` does (names, transformers, last step)."""
    try:
        validate_pipeline_steps(pipeline)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{message} {exc}") from exc


@decoder("__estimator__")
def _decode_estimator(reader, body, where, depth):
    typed(body, dict, where)
    name, whole = body.get("class"), where or "The file"
    if type(name) is not str:
        raise ValueError(f"{whole} holds an estimator of class {name!r}.")
    cls = resolve("estimator", name, reader.trusted, whole)
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise ValueError(f"{whole}: {name!r} is not an estimator class.")
    label = cls.__name__ if where == "" else where
    network = issubclass(cls, NetworkEstimator)
    keys = {"class", "params", "state", "requests"} | ({"net"} if network else set())
    if not set(body) <= keys:
        raise ValueError(f"{label} has unexpected entries {sorted(set(body) - keys)}.")
    est = _new_estimator(reader, cls, body["params"], label, depth)
    state = typed(body["state"], dict, label)
    net = body.get("net")
    if network and bool(state) != (net is not None):
        raise ValueError(
            f"{label} has fitted attributes but no network, or the reverse."
        )
    for attr, value in state.items():
        if attr in vars(est) or attr == "net_":
            raise ValueError(f"{label} has an invalid attribute name {attr!r}.")
        check_attribute_name(cls, attr, label)
        setattr(est, attr, reader.decode(value, f"{label}.{attr}", depth))
    # The fitted state is checked before the network is built from it.
    if state:
        check_state(est, label)
    if net is not None:
        restore_net(est, typed(net, dict, label), reader, label)
    if isinstance(est, Pipeline):
        if est.memory is not None:
            # joblib's cache directory holds pickles: a file must not pick it.
            raise ValueError(f"{label}: a loaded Pipeline must have memory=None.")
        _check_steps(est, f"{label} has invalid steps:")
    if "requests" in body:
        est._metadata_request = _decode_requests(body["requests"], est, label)
    return est


def _new_estimator(reader, cls, params, label: str, depth: int):
    """Call ``cls`` with the saved parameters, validated as ``fit`` would."""
    params = {
        k: reader.decode(v, f"{label}.{k}", depth)
        for k, v in typed(params, dict, label).items()
    }
    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise ValueError(f"{label} has unknown parameter(s) {sorted(unknown)}.")
    if reader.device is not None and issubclass(cls, NetworkEstimator):
        params["device"] = reader.device
    est = cls(**params)
    # Estimators without constraints (third-party ones) have nothing to check.
    if hasattr(est, "_parameter_constraints"):
        try:
            est._validate_params()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{label} has an invalid parameter: {exc}") from exc
    return est


def check_state(est, label: str) -> None:
    """Check a loaded estimator's fitted attributes with its class's own check.

    A file whose fitted state is inconsistent raises here rather than loading
    an estimator that fails (or predicts garbage) later.
    """
    check = getattr(est, "_check_loaded_state", None)
    if check is None:
        fallback = next(
            (_STATE_CHECKS[c] for c in type(est).__mro__ if c in _STATE_CHECKS), None
        )
        check = None if fallback is None else (lambda: fallback(est))
    try:
        if check is not None:
            check()
        _sklearn_state.check_feature_names(est)
    except ValueError as exc:
        what = str(exc).rstrip(".")
        raise ValueError(f"{label} has an invalid fitted state: {what}.") from exc


def _request_methods(requests: MetadataRequest) -> dict:
    """The per-method requests (``fit``, ``score``, ...) of a MetadataRequest."""
    return {name: value for name, value in vars(requests).items() if name != "owner"}


def _encode_requests(requests, label: str) -> dict:
    """The metadata requests of ``set_fit_request`` and the like, as JSON."""
    where = f"{label}._metadata_request"
    if type(requests) is not MetadataRequest:
        raise unsupported(where, f"a {type(requests).__qualname__} is not stored")
    out = {}
    for method, request in _request_methods(requests).items():
        values = dict(request.requests)
        for param, alias in values.items():
            if type(param) is not str or not (
                alias is None or type(alias) in (bool, str)
            ):
                raise unsupported(where, f"the request {param!r}: {alias!r}")
        out[method] = values
    return out


def _decode_requests(data, est, label: str) -> MetadataRequest:
    """Rebuild metadata requests, checked as ``set_fit_request`` checks them."""
    where = f"{label}._metadata_request"
    requests = MetadataRequest(owner=est)
    methods = _request_methods(requests)
    for method, values in typed(data, dict, where).items():
        if method not in methods:
            raise ValueError(f"{where} has requests for an unknown method {method!r}.")
        for param, alias in typed(values, dict, f"{where}.{method}").items():
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
