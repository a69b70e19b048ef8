# SPDX-License-Identifier: BSD-3-Clause
"""The forecaster's inference graph and its inputs, for ONNX export."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..modules import InferenceGraph
from ._columns import validate_table
from ._continuation import index_labels
from ._windows import graph_inputs

__all__ = ["_ExportMixin"]


def _needs_lengths(with_lengths: bool) -> None:
    if not with_lengths:
        raise ValueError(
            "lengths=False is for RNNClassifier and RNNRegressor: the "
            "forecaster's windows are shorter at the start of a series, so its "
            "graph takes their lengths."
        )


class _ExportMixin:
    """How :class:`SequenceForecaster` describes its graph to ``export``."""

    def _inference_graph(self, module, with_lengths: bool = True):
        """The fitted module and its output mapping, for ONNX export.

        Returns the graph, the names of its inputs and of its output.
        """
        _needs_lengths(with_lengths)
        graph = InferenceGraph(
            module, "affine", with_level=True, n_blocks=len(self._leads())
        )
        return graph, ["X", "lengths", "level", "scale", "offset"], "forecasts"

    def _export_inputs(self, X, with_lengths: bool = True):
        """The exported graph's inputs for ``X``, and the rows they cover."""
        _needs_lengths(with_lengths)
        return self._graph_inputs(X)

    def _graph_inputs(self, X) -> tuple[dict, np.ndarray]:
        """The exported graph's inputs for the rows of ``X`` that have history.

        ``predict(X)[rows] == (net(X_w, lengths) + level) * scale + offset``.
        """
        check_is_fitted(self)
        values, ids, _ = validate_table(self, X, reset=False)
        return graph_inputs(self, values, ids, index_labels(X))
