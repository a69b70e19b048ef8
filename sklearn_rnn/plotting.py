# SPDX-License-Identifier: BSD-3-Clause
"""Plots of training, with matplotlib (an optional dependency).

Install it with ``pip install "sklearn-rnn[plot]"``. The functions draw on an
``Axes`` (a new one unless given) and return it; they never call ``show``.
"""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted


def _axes(ax):
    """Return ``ax``, or the axes of a new figure, importing matplotlib late."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install 'sklearn-rnn[plot]'."
        ) from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_history(estimator, *, columns=None, ax=None):
    """Plot the per-epoch training curves of a fitted estimator.

    Parameters
    ----------
    estimator : RNNClassifier or RNNRegressor
        A fitted estimator; its ``history_`` is drawn.
    columns : list of str or None, default=None
        Columns of ``history_`` to draw. None draws the losses
        (``train_loss``, and ``valid_loss`` when there is one); the validation
        score, when present, goes on a second y axis.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> from sklearn_rnn.plotting import plot_history
    >>> X = np.random.RandomState(0).normal(size=(40, 5, 1)).astype("float32")
    >>> reg = RNNRegressor(hidden_size=4, max_epochs=3, random_state=0)
    >>> ax = plot_history(reg.fit(X, X[:, -1, 0]))
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['train_loss']
    """
    check_is_fitted(estimator)
    history = estimator.history_
    if isinstance(columns, str):
        columns = [columns]
    ax = _axes(ax)
    score_ax = None
    if columns is None:
        columns = [c for c in ("train_loss", "valid_loss") if c in history]
        if "valid_score" in history:
            score_ax = ax.twinx()
            score_ax.plot(
                history["epoch"],
                history["valid_score"],
                color="tab:green",
                linestyle="--",
                label="valid_score",
            )
            score_ax.set_ylabel("validation score")
    missing = [c for c in columns if c not in history]
    if missing:
        raise ValueError(
            f"history_ has no column {missing[0]!r}; it has {list(history.columns)}."
        )
    for column in columns:
        ax.plot(history["epoch"], history[column], marker=".", label=column)
    best = getattr(estimator, "best_epoch_", None)
    if best is not None:
        ax.axvline(best, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if all(c.endswith("loss") for c in columns) else "value")
    handles, labels = ax.get_legend_handles_labels()
    if score_ax is not None:
        more = score_ax.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="center right")
    ax.set_title(f"{type(estimator).__name__} training")
    return ax
