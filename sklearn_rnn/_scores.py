# SPDX-License-Identifier: BSD-3-Clause
"""Validation scores computed on the network's outputs, in torch."""

from __future__ import annotations

import torch

__all__ = ["r2_of_outputs"]


def r2_of_outputs(y_pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Return R^2 averaged over the columns of 2-D ``target``.

    Computed in float64, as ``r2_score`` with ``multioutput="uniform_average"``
    except for a column whose target is constant: it scores 0 (nothing to
    explain) even when predicted exactly, rather than dividing by zero.

    Parameters
    ----------
    y_pred : torch.Tensor of shape (n_samples, n_outputs)
        Predictions.
    target : torch.Tensor of shape (n_samples, n_outputs)
        True values.

    Returns
    -------
    score : torch.Tensor
        A 0-dimensional float64 tensor.

    Examples
    --------
    >>> import torch
    >>> from sklearn_rnn._scores import r2_of_outputs
    >>> target = torch.tensor([[1.0], [2.0], [3.0]])
    >>> float(r2_of_outputs(target, target))
    1.0
    """
    y_pred, target = y_pred.double(), target.double()
    residual = ((target - y_pred) ** 2).sum(dim=0)
    total = ((target - target.mean(dim=0)) ** 2).sum(dim=0)
    r2 = torch.where(total > 0, 1 - residual / total.clamp_min(1e-300), 0.0)
    return r2.mean()
