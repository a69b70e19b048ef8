# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks on every public estimator."""

from conftest import CHEAP_PARAMS
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import RNNClassifier, RNNRegressor

ESTIMATORS = [RNNClassifier(**CHEAP_PARAMS), RNNRegressor(**CHEAP_PARAMS)]

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "RNNClassifier": {},
    "RNNRegressor": {},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the estimator passes scikit-learn's estimator checks."""
    check(estimator)
