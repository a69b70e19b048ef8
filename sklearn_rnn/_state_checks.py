# SPDX-License-Identifier: BSD-3-Clause
"""Predicates for the checks of fitted state read back from a file.

Each estimator checks its own loaded state (``_check_loaded_state``, next to
the ``fit`` that makes it) with these; a failed check raises a
``ValueError`` saying what is wrong, which the loader prefixes with the
estimator's name.
"""

from __future__ import annotations

import numpy as np

__all__ = ["is_count", "is_float_array", "is_number", "require", "require_attributes"]


def require(condition, what: str) -> None:
    """Raise a ``ValueError`` saying ``what`` unless ``condition`` holds."""
    if not condition:
        raise ValueError(what)


def require_attributes(est, names) -> None:
    """Raise a ``ValueError`` naming the fitted attributes ``est`` lacks."""
    missing = [name for name in names if name not in vars(est)]
    require(not missing, f"missing the fitted attribute(s) {missing} in the file")


def is_count(value) -> bool:
    """Whether ``value`` is a non-negative integer (not a bool)."""
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and value >= 0
    )


def is_number(value) -> bool:
    """Whether ``value`` is a real number (not a bool)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )


def is_float_array(value, ndim: int) -> bool:
    """Whether ``value`` is a float64 array of ``ndim`` dimensions, all finite."""
    return (
        type(value) is np.ndarray
        and value.dtype == np.float64
        and value.ndim == ndim
        and bool(np.isfinite(value).all())
    )
