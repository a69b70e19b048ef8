# SPDX-License-Identifier: BSD-3-Clause
"""The one place that imports scikit-learn's private helpers.

Parameter validation (``Interval``, ``StrOptions``, ``_fit_context``) is not
public API in scikit-learn; keeping the imports here means a scikit-learn
release that moves them touches a single file.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = ["Interval", "StrOptions", "_fit_context", "validate_data"]
