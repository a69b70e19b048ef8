# SPDX-License-Identifier: BSD-3-Clause
"""Forecasting time-ordered tables with a recurrent network.

:class:`SequenceForecaster` reads a table whose rows are time steps. It cuts
the windows itself, so ``fit(X, y)``, ``predict(X)`` and ``score(X, y)`` keep
one row per time step and the estimator works unchanged with scikit-learn's
model selection (``cross_val_score`` with ``TimeSeriesSplit``,
``GridSearchCV``) and its scorers.

The package, in the order its modules import each other:

- ``_series``: splitting rows into series, per-series target scaling
  (``_Stats``) and time stamps;
- ``_columns``: the roles of the columns and the table's validation;
- ``_windows``: cutting windows and reading the network's outputs;
- ``_quantiles``, ``_forecast``: quantile predictions and ``forecast``;
- ``_scores``: the validation R^2 on the network's outputs;
- ``_state``: checks of a fitted state read from a file;
- ``_forecaster``: the estimator.
"""

from ._forecaster import SequenceForecaster

# The file format of sklearn_rnn.persistence names the per-series statistics
# "sklearn_rnn.forecasting._Stats", and older pickles find them here.
from ._series import _Stats  # noqa: F401

__all__ = ["SequenceForecaster"]
