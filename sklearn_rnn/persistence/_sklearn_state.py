# SPDX-License-Identifier: BSD-3-Clause
"""Checks of the fitted state of scikit-learn's own scalers, read from a file.

Our estimators check their loaded state themselves (``_check_loaded_state``);
scikit-learn's scalers have no such method, so their attributes are checked
here against what their ``fit`` makes. Each check raises a ``ValueError``
saying what is wrong; :mod:`._estimators` adds the estimator's label.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)

from .._state_checks import (
    is_count,
    is_number,
    require,
    require_attributes,
)

_COMMON = ("n_features_in_", "n_samples_seen_", "scale_")
# The fitted attributes of each scaler.
_SCALER_STATE = {
    StandardScaler: (*_COMMON, "mean_", "var_"),
    MinMaxScaler: (*_COMMON, "min_", "data_min_", "data_max_", "data_range_"),
    MaxAbsScaler: (*_COMMON, "max_abs_"),
    RobustScaler: ("n_features_in_", "center_", "scale_"),
}
# Attributes that are None when the parameter that asks for them is off.
_OPTIONAL = {
    StandardScaler: {"mean_": "with_mean", "var_": "with_std", "scale_": "with_std"},
    RobustScaler: {"center_": "with_centering", "scale_": "with_scaling"},
}


def check_scaler(est) -> None:
    """Check a scikit-learn scaler's statistics: one float per feature."""
    names = _SCALER_STATE[type(est)]
    require_attributes(est, names)
    n = est.n_features_in_
    require(is_count(n) and n >= 1, "n_features_in_ must be a positive int")
    optional = _OPTIONAL.get(type(est), {})
    for name in names[1:]:
        value = getattr(est, name)
        if name == "n_samples_seen_":
            # An int, or a float with sample weights (StandardScaler); one
            # per feature when the data had missing values.
            seen = np.asarray(value) if is_number(value) else value
            require(
                type(seen) is np.ndarray
                and seen.dtype.kind in "iuf"
                and seen.shape in ((), (n,))
                and bool(np.all(seen >= 0)),
                "n_samples_seen_ must be a count, or one count per feature",
            )
        elif not (
            value is None and name in optional and not getattr(est, optional[name])
        ):
            require(
                type(value) is np.ndarray
                and value.dtype.kind == "f"
                and value.shape == (n,),
                f"{name} must be a float array of n_features_in_ values",
            )


#: State checks by class, for scikit-learn's classes.
CHECKS = dict.fromkeys(_SCALER_STATE, check_scaler)


def check_feature_names(est) -> None:
    """Check ``feature_names_in_``, where fit set it, against ``n_features_in_``."""
    if "feature_names_in_" in vars(est):
        names = est.feature_names_in_
        require(
            type(names) is np.ndarray
            and names.shape == (getattr(est, "n_features_in_", None),)
            and all(type(name) is str for name in names),
            "feature_names_in_ must hold n_features_in_ strings",
        )
