# SPDX-License-Identifier: BSD-3-Clause
"""How the forecaster trains its network on the windows of its series.

The loss (squared error, with the pinball loss for quantiles), the
validation score, and which windows train: with early stopping or quantile
calibration the latest windows of each series are held out, after a gap of
the windows whose targets overlap theirs.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from .._scores import r2_of_outputs
from ..modules import PinballLoss
from ._windows import latest_windows

__all__ = ["_WindowTrainingMixin"]


class _WindowTrainingMixin:
    """Training of :class:`SequenceForecaster` once its windows are cut."""

    def _criterion(self, holds_out: bool = False):
        if self.quantiles_ is None:
            return torch.nn.MSELoss
        return partial(
            PinballLoss, quantiles=tuple(self.quantiles_.tolist()), point_output=True
        )

    def _valid_score(self, y_pred, target):
        """R^2 of the point forecasts of the scaled change (or level) of y.

        The network's targets are scaled per series and, with
        ``normalize="window"`` or "seasonal", relative to each window's
        level, so this is
        not the R^2 of ``score`` on the original target. Averaged over leads.
        """
        points = y_pred[:, :: self._n_outputs]
        return r2_of_outputs(points, target.reshape(len(target), -1))

    def _train_on_windows(
        self, windows, lengths, target, weights, sizes
    ) -> _WindowTrainingMixin:
        """Train the network on the windows of every series."""
        self._n_step_features = windows.shape[2]
        self._fit_input_kind = "sequences"
        calibrates = self._calibrates(sizes)
        valid_idx = unused_idx = None
        if self.early_stopping or calibrates:
            valid_idx, unused_idx = latest_windows(
                sizes, self.validation_fraction, gap=len(self._leads()) - 1
            )
        if valid_idx is not None and len(valid_idx) + len(unused_idx) >= len(target):
            raise ValueError(
                "early_stopping=True leaves no window to train on (beside the "
                "held-out windows and the horizon - 1 before them); lower "
                "validation_fraction or horizon, or pass more rows."
            )
        args = (
            windows,
            lengths,
            target.astype(np.float32),
            weights,
            self._n_outputs * len(self._leads()),
        )
        # A calibrating fit from scratch trains a second network on every
        # window, as without calibration, and keeps that one: the first,
        # which has not seen the latest windows, only measures the shifts.
        refits = calibrates and not (self.early_stopping or self._is_warm())
        with warnings.catch_warnings():
            if refits:
                # Whether the discarded network converged does not matter.
                warnings.simplefilter("ignore", ConvergenceWarning)
            self._fit_net(*args, valid_idx=valid_idx, unused_idx=unused_idx)
        shift = self.__dict__.pop("_held_out_shift", None)
        if refits:
            # Not a continuation of the first network, even with warm_start.
            del self.net_
            self._fit_net(*args)
        if shift is not None:
            self._shift_quantiles(shift)
        return self
