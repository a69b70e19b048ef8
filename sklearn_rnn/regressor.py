# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural network regressor."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils import check_array

from ._compat import _fit_context
from ._docs import _ARCHITECTURE_DOC, _ATTRIBUTES_DOC, _INPUT_NOTES, _TRAINING_DOC
from ._scores import r2_of_outputs
from ._sequence_estimator import _SequenceEstimator
from ._state_checks import require, require_attributes
from .modules import InferenceGraph

__all__ = ["RNNRegressor"]


class RNNRegressor(RegressorMixin, _SequenceEstimator):
    __doc__ = f"""Recurrent neural network regressor for sequences.

    A recurrent network (simple RNN, LSTM or GRU; stacked, bidirectional)
    reads each sequence, pools its outputs over time and maps the pooled vector
    to one or several targets. Training runs through skorch with a squared
    error loss on standardized targets, so targets on any scale train with the
    default learning rate; predictions are on the original scale.

    Parameters
    ----------
{_ARCHITECTURE_DOC}
{_TRAINING_DOC}
    Attributes
    ----------
{_ATTRIBUTES_DOC}
    See Also
    --------
    RNNClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : A feed-forward network on vectors.

    Notes
    -----
{_INPUT_NOTES}
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 10, 2)).astype("float32")
    >>> y = 100 * X[:, -3:, 0].sum(axis=1)
    >>> reg = RNNRegressor(hidden_size=16, max_epochs=30, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.8
    True
    >>> reg.predict(X[:2]).dtype
    dtype('float64')
    """

    @staticmethod
    def _criterion(holds_out: bool = False):
        return torch.nn.MSELoss

    @staticmethod
    def _valid_score(y_pred, target):
        """R^2 averaged over outputs, as ``score``.

        Targets are standardized per output, which leaves each R^2 unchanged.
        """
        n = len(target)
        return r2_of_outputs(y_pred.reshape(n, -1), target.reshape(n, -1))

    def _encode_targets(self, y, sample_weight):
        """Targets standardized per output (by the first fit's moments)."""
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        y_2d = y.reshape(len(y), -1)
        if self._is_warm():
            if y_2d.shape[1] != len(self._y_mean):
                raise ValueError(
                    "warm_start=True needs the same number of targets as the "
                    f"previous fit (so does partial_fit): got {y_2d.shape[1]}, "
                    f"expected {len(self._y_mean)}."
                )
        else:
            # Weighted, so that a weight of k acts like k copies of a sample.
            self._y_mean = np.average(y_2d, axis=0, weights=sample_weight)
            variance = np.average(
                (y_2d - self._y_mean) ** 2, axis=0, weights=sample_weight
            )
            self._y_scale = np.where(variance > 0, np.sqrt(variance), 1.0)
        self._y_ndim = y.ndim
        y_scaled = ((y_2d - self._y_mean) / self._y_scale).astype(np.float32)
        return y_scaled, sample_weight, y_2d.shape[1], None

    def _check_loaded_state(self) -> None:
        super()._check_loaded_state()
        require_attributes(self, ("_y_mean", "_y_scale", "_y_ndim"))
        n_outputs = self._fitted_architecture.get("n_outputs")
        for name in ("_y_mean", "_y_scale"):
            value = getattr(self, name)
            require(
                isinstance(value, np.ndarray)
                and value.shape == (n_outputs,)
                and np.isfinite(value).all(),
                f"{name} must hold one finite value per network output",
            )
        require(bool((self._y_scale > 0).all()), "_y_scale must be positive")
        require(
            self._y_ndim == 2 or (self._y_ndim == 1 and n_outputs == 1),
            "_y_ndim does not fit the network's outputs",
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None) -> RNNRegressor:
        """Train the network for one epoch on a chunk of the data.

        For data that arrives in chunks or does not fit in memory at once,
        as ``SGDRegressor.partial_fit``. The first call builds the network
        for its chunk and standardizes the targets (and inputs) with that
        chunk's statistics; later calls train on from it at the current
        ``lr``, without ``lr_schedule`` or held-out data. After ``fit``, it
        trains on from the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            A chunk of training sequences, in the form of the first call.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets, with as many outputs as on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : RNNRegressor
            The regressor, trained one more epoch.
        """
        return self._partial_fit(X, y, sample_weight)

    def _inference_graph(self, module, with_lengths: bool = True):
        """The fitted module and its mapping to the original scale, for ONNX.

        Returns the graph, the names of its inputs and of its output.
        """
        graph = InferenceGraph(
            module,
            "affine",
            scale=self._y_scale,
            offset=self._y_mean,
            with_lengths=with_lengths,
        )
        return graph, ["X", "lengths"][: 1 + with_lengths], "predictions"

    def predict(self, X) -> np.ndarray:
        """Predict targets for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in float64, with the shape of ``y`` in ``fit``.
        """
        out = self._network_output(X).astype(np.float64) * self._y_scale + self._y_mean
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
