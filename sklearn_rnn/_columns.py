# SPDX-License-Identifier: BSD-3-Clause
"""Finding the columns of a table that a parameter names.

One rule for every parameter that designates columns (``make_windows``'s
``target``, the forecaster's ``known_columns``, ``target_column`` and
``series_column``):

1. a column label, where the table has labels: a DataFrame's column names for
   ``make_windows``, ``feature_names_in_`` (strings only) for an estimator;
2. otherwise an integer is a position, negative ones counting from the end.

Labels come first, so a DataFrame with integer labels is indexed by label, as
pandas' ``df[label]`` would. A label held by several columns is ambiguous and
refused, and so are ``True`` and ``False``, which are no column.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd

__all__ = ["column_position", "column_positions"]


def column_position(
    item, names, n_columns: int, *, param: str, table: str = "X"
) -> int:
    """Return the position of the one column that ``item`` names.

    Parameters
    ----------
    item : hashable
        A column label, or an integer position.
    names : sequence or None
        The table's column labels, or None when it has none.
    n_columns : int
        Number of columns of the table.
    param : str
        The parameter's name, for error messages.
    table : str, default="X"
        The table's name, for error messages.

    Returns
    -------
    position : int
        A position in ``[0, n_columns)``.

    Raises
    ------
    ValueError
        If ``item`` is a boolean, names several columns, names none, or is a
        position out of range.

    Examples
    --------
    >>> from sklearn_rnn._columns import column_position
    >>> column_position("b", ["a", "b"], 2, param="target")
    1
    >>> column_position(-1, None, 3, param="target")
    2
    """
    if isinstance(item, bool):
        raise ValueError(
            f"{param} must name a column of {table} by position or name; got {item!r}."
        )
    if names is not None:
        matches = [i for i, name in enumerate(names) if _same_label(name, item)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(f"{param}={item!r} names several columns of {table}.")
    if isinstance(item, Integral):
        if -n_columns <= item < n_columns:
            return int(item) % n_columns
        raise ValueError(
            f"{param}={item!r} is out of range for {table} with {n_columns} "
            f"column(s); use a position in [0, {n_columns - 1}]."
        )
    known = "" if names is None else f" Known columns: {list(names)!r}."
    raise ValueError(f"{param}={item!r} is not a column of {table}.{known}")


def column_positions(
    spec, names, n_columns: int, *, param: str, table: str = "X"
) -> list[int]:
    """Return the positions of the columns that ``spec`` names, in its order.

    ``spec`` is one column (a label or a position) or a sequence of them;
    each is found by :func:`column_position`. Naming a column twice raises a
    ``ValueError``.

    Examples
    --------
    >>> from sklearn_rnn._columns import column_positions
    >>> column_positions(["c", 0], ["a", "b", "c"], 3, param="known_columns")
    [2, 0]
    """
    items = [spec] if isinstance(spec, (str, Integral)) else list(spec)
    positions = [
        column_position(item, names, n_columns, param=param, table=table)
        for item in items
    ]
    if len(set(positions)) != len(positions):
        raise ValueError(f"{param} names the same column twice: {spec!r}.")
    return positions


def _same_label(name, item) -> bool:
    """Whether a column label equals ``item`` (labels of any type compare)."""
    try:
        return bool(name == item)
    except (TypeError, ValueError):
        # Labels whose comparison gives no single truth value name no column.
        return False


def is_time_dtype(dtype) -> bool:
    """Whether a column of ``dtype`` holds dates, durations or periods."""
    if isinstance(dtype, (pd.DatetimeTZDtype, pd.PeriodDtype)):
        return True
    extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    return not extension and np.dtype(dtype).kind in "mM"
