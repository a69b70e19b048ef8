# SPDX-License-Identifier: BSD-3-Clause
"""The one place that imports scikit-learn's private helpers.

Parameter validation (``Interval``, ``StrOptions``, ``_fit_context``) is not
public API in scikit-learn; keeping the imports here means a scikit-learn
release that moves them touches a single file.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    validate_data,
)

__all__ = [
    "Interval",
    "StrOptions",
    "_check_feature_names_in",
    "_check_sample_weight",
    "_fit_context",
    "validate_data",
    "validate_params",
    "validate_pipeline_steps",
]


def validate_pipeline_steps(pipeline) -> None:
    """Check a Pipeline's steps as its ``fit`` does (a private method)."""
    pipeline._validate_steps()


class Interval(_Interval):
    """scikit-learn's ``Interval`` constraint, refusing ``True`` and ``False``.

    ``bool`` is a subclass of ``int``, so scikit-learn's constraint takes
    ``num_layers=True`` as 1; torch then fails on it with a TypeError deep in
    a layer. A flag is never meant as a count or a rate here.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)
