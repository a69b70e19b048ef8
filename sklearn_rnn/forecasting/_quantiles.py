# SPDX-License-Identifier: BSD-3-Clause
"""Quantile forecasts: the levels, ``predict_quantiles`` and ``predict_interval``.

With ``quantiles``, the network has one output per level beside the point
forecast, trained with the pinball loss, and with ``calibrate_quantiles``
shifted afterwards by what held-out windows show.
"""

from __future__ import annotations

from functools import update_wrapper
from numbers import Real
from types import MethodType

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._windows import latest_windows

__all__ = ["_QuantileMixin", "check_quantile_levels"]

# Quantiles are calibrated on at least this many held-out windows.
_MIN_CALIBRATION_WINDOWS = 10


def check_quantile_levels(levels, *, name: str = "quantiles") -> np.ndarray:
    """Return quantile levels as a sorted float64 array.

    Raises a ``ValueError`` unless ``levels`` are distinct numbers in (0, 1),
    at least one.
    """
    try:
        quantiles = np.asarray(levels, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers in (0, 1), got {levels!r}.") from exc
    if (
        quantiles.size == 0
        or not np.all((quantiles > 0) & (quantiles < 1))
        or len(np.unique(quantiles)) != len(quantiles)
    ):
        raise ValueError(f"{name} must be distinct levels in (0, 1), got {levels!r}.")
    return np.sort(quantiles)


def _interval_columns(quantiles: np.ndarray, coverage) -> list[int]:
    """The columns of ``quantiles`` that bound a central ``coverage`` interval."""
    if isinstance(coverage, bool) or not (
        isinstance(coverage, Real) and 0 < coverage < 1
    ):
        raise ValueError(f"coverage must be a real number in (0, 1), got {coverage!r}.")
    coverage = float(coverage)
    bounds = [(1 - coverage) / 2, (1 + coverage) / 2]
    columns = []
    for level in bounds:
        match = np.flatnonzero(np.isclose(quantiles, level))
        if len(match) == 0:
            raise ValueError(
                f"coverage={coverage} needs the quantiles {bounds}, but the "
                f"forecaster was trained with quantiles={quantiles.tolist()}."
            )
        columns.append(int(match[0]))
    return columns


class _with_quantiles:
    """A method of forecasters fitted with quantiles only.

    As scikit-learn's ``available_if``: ``hasattr`` is False without
    quantiles, so duck-typing code sees no such method. Unlike it, the
    ``AttributeError`` says what to set rather than only that the attribute
    is missing.
    """

    def __init__(self, fn):
        self.fn = fn
        update_wrapper(self, fn)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        obj._check_quantiles(self.fn.__name__)
        return MethodType(self.fn, obj)


class _QuantileMixin:
    """Quantile predictions of :class:`SequenceForecaster`.

    They read ``quantiles_`` and the outputs of ``_predict_all``: the point
    forecast, then one column per level.
    """

    def _check_quantiles(self, method: str) -> None:
        # Fitted: the levels the network was trained for, whatever
        # set_params did since.
        fitted = hasattr(self, "quantiles_")
        if (self.quantiles_ if fitted else self.quantiles) is None:
            raise AttributeError(
                f"{type(self).__name__}.{method} needs quantile outputs, but "
                f"the forecaster was {'fitted' if fitted else 'built'} with "
                "quantiles=None: set quantiles, for instance "
                "quantiles=(0.1, 0.5, 0.9) for an 80% interval, and fit again."
            )

    @_with_quantiles
    def predict_quantiles(self, X, lead=None) -> np.ndarray:
        """Forecast the quantiles ``quantiles_`` of the target at each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.
        lead : int, default=None
            Steps ahead of its window (1 to ``horizon_`` with
            ``multi_output=True``); None is ``horizon_``.

        Returns
        -------
        y_quantiles : ndarray of shape (n_samples, n_quantiles)
            Column ``j`` is the forecast quantile ``quantiles_[j]``; each row
            is sorted, so quantiles never cross.
        """
        return np.sort(self._predict_all(X, lead)[:, 1:], axis=1)

    @_with_quantiles
    def predict_interval(self, X, coverage: float = 0.8, lead=None) -> np.ndarray:
        """Forecast a central interval that holds the target with ``coverage``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.
        coverage : float, default=0.8
            Probability mass of the interval, a real number in (0, 1); the
            quantiles ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` must
            be among ``quantiles``.
        lead : int, default=None
            Steps ahead of its window (1 to ``horizon_`` with
            ``multi_output=True``); None is ``horizon_``.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)
            Lower and upper bounds.
        """
        check_is_fitted(self)
        columns = _interval_columns(self.quantiles_, coverage)
        return self.predict_quantiles(X, lead)[:, columns]

    def _calibrates(self, sizes) -> bool:
        """Whether to hold out windows to calibrate the quantiles on."""
        if self.quantiles_ is None or not self.calibrate_quantiles:
            return False
        held_out, gap = latest_windows(
            sizes, self.validation_fraction, gap=len(self._leads()) - 1
        )
        n_out = len(held_out) + len(gap)
        return len(held_out) >= _MIN_CALIBRATION_WINDOWS and n_out < sizes.sum()

    def _after_training(self, X, lengths, y, sample_weight) -> None:
        """Measure the quantile shifts on the held-out windows.

        Each quantile column is to move by the quantile, at its own level,
        of the held-out targets minus its forecasts (on the network's
        scale); :meth:`_shift_quantiles` applies the shifts.
        """
        if self.quantiles_ is None or not self.calibrate_quantiles:
            return
        raw = self._predict_padded(X, lengths).astype(np.float64)
        blocks = raw.reshape(len(raw), len(self._leads()), self._n_outputs)
        residuals = y.reshape(len(y), -1, 1) - blocks[:, :, 1:]
        self._held_out_shift = np.stack(
            [
                np.quantile(residuals[:, :, j], level, axis=0)
                for j, level in enumerate(self.quantiles_)
            ],
            axis=-1,
        )

    def _shift_quantiles(self, shift) -> None:
        """Fold per-lead quantile shifts into the output layer's bias.

        ``save``, ``load`` and ONNX export then carry them.
        """
        bias = self.net_.module_.head[-1].bias
        with torch.no_grad():
            columns = bias.view(len(self._leads()), self._n_outputs)[:, 1:]
            columns += torch.as_tensor(shift, dtype=bias.dtype, device=bias.device)
