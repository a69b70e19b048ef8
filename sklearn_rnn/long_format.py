# SPDX-License-Identifier: BSD-3-Clause
"""Sequences from a long table: one row per (sequence id, time step).

Sequence data often arrives long, as sktime and tsfresh call it: an id
column, perhaps a time column, value columns and a label repeated on every
row of a sequence. :func:`sequences_from_long` turns such a table into the
list of ``(n_timesteps_i, n_features)`` arrays the estimators accept, with one
label per sequence.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from ._compat import validate_params

__all__ = ["sequences_from_long"]


def _columns(frame: pd.DataFrame, names, param: str) -> list:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{param}: {missing!r} not among the columns of frame "
            f"({list(frame.columns)!r})."
        )
    return list(names)


def _value_columns(frame, value_columns, roles: list) -> list:
    if value_columns is None:
        names = [c for c in frame.columns if c not in roles]
    else:
        names = (
            list(value_columns)
            if isinstance(value_columns, (list, tuple))
            else [value_columns]
        )
        names = _columns(frame, names, "value_columns")
    if not names:
        raise ValueError("frame has no value columns besides the id, time and label.")
    overlap = [name for name in names if name in roles]
    if overlap:
        raise ValueError(
            f"value_columns {overlap!r} are also the id, time or label column."
        )
    text = [name for name in names if not pd.api.types.is_numeric_dtype(frame[name])]
    if text:
        raise ValueError(
            f"value_columns must be numeric; {text!r} are not (dtypes "
            f"{[str(frame[name].dtype) for name in text]}). Encode them first, "
            "or leave them out with value_columns=[...]."
        )
    return names


@validate_params(
    {
        "frame": [pd.DataFrame],
        "id_column": [Hashable],
        "value_columns": [None, Hashable, list, tuple],
        "time_column": [None, Hashable],
        "label_column": [None, Hashable],
    },
    prefer_skip_nested_validation=True,
)
def sequences_from_long(
    frame, *, id_column, value_columns=None, time_column=None, label_column=None
):
    """Turn a long table into a list of sequences, their labels and ids.

    Each distinct value of ``id_column`` becomes one sequence, in the order in
    which ids first appear in ``frame``. Its rows are its time steps, sorted
    by ``time_column`` when one is given (else kept in table order), and its
    features are the ``value_columns``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The long table: one row per (sequence id, time step).
    id_column : hashable
        The column naming the sequence of each row. Missing ids are refused.
    value_columns : hashable or list, default=None
        The numeric columns that become the features of each step. None takes
        every column but the id, time and label columns.
    time_column : hashable, default=None
        A column to sort the steps of each sequence by (numbers or time
        stamps). A time that repeats within a sequence is refused.
    label_column : hashable, default=None
        A column holding the label of each sequence, repeated on its rows. A
        sequence whose rows hold different labels is refused.

    Returns
    -------
    X : list of ndarray of shape (n_timesteps_i, n_features)
        The sequences, float64, as ``fit`` and ``predict`` accept them.
    y : ndarray of shape (n_sequences,) or None
        The label of each sequence; None without ``label_column``.
    ids : ndarray of shape (n_sequences,)
        The id of each sequence.

    See Also
    --------
    sklearn_rnn.make_windows : Windows and targets cut from one long series.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rnn import sequences_from_long
    >>> frame = pd.DataFrame({
    ...     "id": ["b", "b", "a", "a", "a"],
    ...     "t": [2, 1, 1, 2, 3],
    ...     "value": [20.0, 10.0, 1.0, 2.0, 3.0],
    ...     "label": ["up", "up", "down", "down", "down"],
    ... })
    >>> X, y, ids = sequences_from_long(
    ...     frame, id_column="id", time_column="t", label_column="label"
    ... )
    >>> [x.ravel().tolist() for x in X]
    [[10.0, 20.0], [1.0, 2.0, 3.0]]
    >>> y.tolist(), ids.tolist()
    (['up', 'down'], ['b', 'a'])
    """
    roles = [c for c in (id_column, time_column, label_column) if c is not None]
    _columns(frame, roles, "id_column, time_column and label_column")
    values = _value_columns(frame, value_columns, roles)
    codes, ids = pd.factorize(frame[id_column], sort=False)
    if (codes < 0).any():
        raise ValueError(f"id_column {id_column!r} holds missing values.")
    keys = [codes]
    if time_column is not None:
        times = frame[time_column].to_numpy()
        if pd.isna(times).any():
            raise ValueError(f"time_column {time_column!r} holds missing values.")
        repeats = pd.Series(codes).groupby([codes, times]).size() > 1
        if repeats.any():
            where = ids[repeats[repeats].index[0][0]]
            raise ValueError(
                f"time_column {time_column!r} repeats a time within sequence "
                f"{where!r}: each row must be one step."
            )
        keys = [times, codes]
    order = np.lexsort(keys)  # the last key sorts first: ids, then times
    data = frame[values].to_numpy(dtype=np.float64)[order]
    bounds = np.cumsum(np.bincount(codes, minlength=len(ids)))[:-1]
    X = np.split(data, bounds)
    y = None
    if label_column is not None:
        y = _labels(frame[label_column], codes, ids, label_column)
    return X, y, np.asarray(ids)


def _labels(labels: pd.Series, codes, ids, label_column) -> np.ndarray:
    """The one label of each sequence, in id order."""
    per_id = labels.groupby(codes, sort=True).nunique(dropna=False)
    several = per_id[per_id > 1]
    if len(several):
        raise ValueError(
            f"label_column {label_column!r} holds several labels for sequence "
            f"{ids[several.index[0]]!r} ({len(several)} sequence(s) in all); a "
            "sequence has one label."
        )
    first = np.unique(codes, return_index=True)[1]
    return labels.to_numpy()[first]
