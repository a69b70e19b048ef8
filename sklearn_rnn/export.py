# SPDX-License-Identifier: BSD-3-Clause
"""Export of fitted estimators to ONNX, for serving without Python's stack.

Export needs the ``onnx`` package and running the result onnxruntime: the
optional ``onnx`` extra (``pip install "sklearn-rnn[onnx]"``) has both. The
graph holds the network and its output mapping; what turns raw input into the network's
tensors stays in Python:

- tokenizing texts (:class:`~sklearn_rnn.TextTokenizer`), and mapping ids not
  seen in ``fit`` to 1;
- variable-length input: the graph takes zero-padded sequences plus their
  lengths (what :func:`sklearn_rnn.data.pad_sequences` and
  :func:`sklearn_rnn.data.split_nan_padding` return). A graph exported with
  ``lengths=False`` takes ``X`` alone: equal-length sequences, or token ids
  padded after the tokens;
- for :class:`~sklearn_rnn.SequenceForecaster`, cutting the table into
  scaled windows: :func:`onnx_inputs` does it.
"""

from __future__ import annotations

import copy
import inspect
import os
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._sequences import OOV_ID

# The TorchScript exporter, tested here; torch.onnx.export grew ``dynamo``.
_HAS_DYNAMO_FLAG = "dynamo" in inspect.signature(torch.onnx.export).parameters

__all__ = ["onnx_inputs", "to_onnx"]

# Warnings of torch's TorchScript-based exporter that do not apply here: it is
# the exporter that handles recurrent layers with dynamic batch and time axes
# (the torch.export-based one fails on them in torch 2.13), and the graph is
# tested with batch sizes other than the traced one.
_EXPORT_WARNINGS = (
    "You are using the legacy TorchScript-based ONNX export",
    "Exporting a model to ONNX with a batch_size other than 1",
    "The feature will be removed",
)


def _check_exportable(estimator, function: str) -> None:
    """Refuse anything but a fitted estimator whose network can be exported."""
    if isinstance(estimator, Pipeline) and function == "to_onnx":
        raise TypeError(
            "to_onnx exports the network of one estimator, not a Pipeline, whose "
            "other steps stay in Python: export its last step, "
            "to_onnx(pipeline[-1], path), and feed the graph "
            "onnx_inputs(pipeline, X), which runs the steps before it."
        )
    # Each network estimator describes its own graph (_inference_graph).
    if not hasattr(estimator, "_inference_graph"):
        raise TypeError(
            f"{function} takes a fitted RNNClassifier, RNNRegressor or "
            "SequenceForecaster (or, for onnx_inputs, a Pipeline ending in one), "
            f"not {type(estimator).__name__}."
        )
    check_is_fitted(estimator)


def _check_lengths(lengths) -> None:
    if not isinstance(lengths, bool):
        raise ValueError(f"lengths must be True or False, got {lengths!r}.")


def _graph(estimator, lengths: bool):
    _check_exportable(estimator, "to_onnx")
    _check_lengths(lengths)
    # A copy: the fitted estimator keeps its device and train/eval mode.
    module = copy.deepcopy(estimator.net_.module_).cpu().eval()
    return estimator._inference_graph(module, with_lengths=lengths)


def to_onnx(estimator, path, *, lengths: bool = True, opset_version: int = 17) -> str:
    """Write the inference graph of a fitted estimator to an ONNX file.

    Inputs of the graph: ``X``, float32 ``(batch, time, n_features)``, or
    int64 ``(batch, time)`` token ids; ``lengths``, int64 ``(batch,)``, the
    valid steps of each sequence (padding after them is ignored). The
    forecaster's graph also takes float32 ``level`` ``(batch, n_leads)``
    (one per lead the network emits), ``scale`` and ``offset`` ``(batch,)``
    (see :func:`onnx_inputs`). Batch size and sequence length are
    dynamic. With ``lengths=False`` the graph takes ``X`` alone.

    Outputs: ``probabilities`` ``(batch, n_classes)`` for a classifier, in the
    order of ``classes_``; ``predictions`` ``(batch, n_outputs)`` for a
    regressor; ``forecasts`` ``(batch, 1 + n_quantiles)`` for a forecaster
    (point forecast, then the quantiles as trained, unsorted), one such block
    per lead ``1, ..., horizon`` with ``multi_output=True``.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor or SequenceForecaster
        A fitted estimator.
    path : str or path-like
        File to write.
    lengths : bool, default=True
        Whether the graph takes the ``lengths`` input. False exports a graph
        fed with ``X`` alone, for the common case of equal-length numeric
        sequences (each read whole) or token ids padded after the tokens
        (each read up to its last non-zero id, as
        :class:`~sklearn_rnn.TextTokenizer` pads by default). Not for the
        forecaster, whose windows differ in length.
    opset_version : int, default=17
        ONNX operator set of the graph.

    Returns
    -------
    path : str
        The file written.

    Examples
    --------
    >>> import numpy as np, onnxruntime, tempfile, os
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.export import to_onnx
    >>> X = np.random.RandomState(0).normal(size=(40, 6, 2)).astype("float32")
    >>> reg = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0)
    >>> reg.fit(X, X[:, -1, 0])
    RNNRegressor(...)
    >>> path = to_onnx(reg, os.path.join(tempfile.mkdtemp(), "reg.onnx"))
    >>> session = onnxruntime.InferenceSession(path)
    >>> lengths = np.full(len(X), 6)
    >>> out = session.run(None, {"X": X, "lengths": lengths})[0]
    >>> bool(np.allclose(out[:, 0], reg.predict(X), atol=1e-5))
    True

    Equal-length sequences need no lengths:

    >>> path = to_onnx(reg, os.path.join(tempfile.mkdtemp(), "reg.onnx"),
    ...                lengths=False)
    >>> out = onnxruntime.InferenceSession(path).run(None, {"X": X})[0]
    >>> bool(np.allclose(out[:, 0], reg.predict(X), atol=1e-5))
    True
    """
    graph, input_names, output_name = _graph(estimator, lengths)
    if estimator._fit_input_kind == "ids":
        X = torch.full((2, 3), OOV_ID, dtype=torch.long)
    else:
        X = torch.zeros(2, 3, estimator._n_step_features)
    args = [X, torch.full((2,), 3, dtype=torch.long)][: 1 + lengths]
    level = torch.zeros(2, graph.n_blocks)
    args += [level, torch.ones(2), torch.zeros(2)][: len(input_names) - 2]
    dynamic_axes = {name: {0: "batch"} for name in [*input_names, output_name]}
    dynamic_axes["X"] = {0: "batch", 1: "time"}
    path = os.fspath(path)
    with warnings.catch_warnings():
        for message in _EXPORT_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        # Shape checks inside torch's recurrent layers; the graph is tested.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            graph,
            tuple(args),
            path,
            input_names=input_names,
            output_names=[output_name],
            dynamic_axes=dynamic_axes,
            opset_version=opset_version,
            # torch 2.9 made the dynamo exporter the default; older releases
            # have no such argument.
            **({"dynamo": False} if _HAS_DYNAMO_FLAG else {}),
        )
    return path


def onnx_inputs(estimator, X, *, lengths: bool = True) -> tuple[dict, np.ndarray]:
    """Return the ONNX graph's inputs for ``X``, and the rows they cover.

    For :class:`~sklearn_rnn.RNNClassifier` and
    :class:`~sklearn_rnn.RNNRegressor`, ``X`` is checked and padded as in
    ``predict``. For :class:`~sklearn_rnn.SequenceForecaster`, the table is
    cut into scaled windows, the end of the training series in front of
    rows that continue it, as ``predict`` reads them; rows without any
    history (the first ``horizon`` rows of a series that does not continue
    the training data) have no window and are left out: ``predict`` gives
    them the series' training mean.

    For a :class:`~sklearn.pipeline.Pipeline` ending in one of these, ``X``
    first goes through the ``transform`` of the steps before it (say, a
    :class:`~sklearn_rnn.TextTokenizer`): the inputs then feed the graph that
    ``to_onnx(pipeline[-1], path)`` writes.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor, SequenceForecaster or Pipeline
        A fitted estimator, or a fitted Pipeline whose last step is one.
    X : array-like
        Input, as for the estimator's (or the Pipeline's) ``predict``.
    lengths : bool, default=True
        Whether the graph takes ``lengths`` (as exported by ``to_onnx``).
        With False, ``X`` must hold sequences of one length (numeric input).

    Returns
    -------
    inputs : dict of str to ndarray
        Feed for ``onnxruntime.InferenceSession.run``.
    rows : ndarray of int
        The rows of ``X`` the graph's output rows stand for.
    """
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
        # A nested Pipeline is checked when the recursion reaches it.
        if not isinstance(final, Pipeline):
            _check_exportable(final, "onnx_inputs")
        for _, step in estimator.steps[:-1]:
            if step is not None and step != "passthrough":
                X = step.transform(X)
        return onnx_inputs(final, X, lengths=lengths)
    _check_exportable(estimator, "onnx_inputs")
    _check_lengths(lengths)
    return estimator._export_inputs(X, with_lengths=lengths)
