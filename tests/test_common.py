# SPDX-License-Identifier: BSD-3-Clause
"""scikit-learn's estimator checks on every public estimator."""

import pytest
from conftest import CHEAP_PARAMS
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceForecaster,
    SequenceScaler,
    SequenceWindower,
    TextTokenizer,
)

# TextTokenizer is left out: its input is text, which the checks do not make.
ESTIMATORS = [
    RNNClassifier(**CHEAP_PARAMS),
    RNNRegressor(**CHEAP_PARAMS),
    SequenceForecaster(window=3, hidden_size=4, max_epochs=5, random_state=0),
    SequenceWindower(window=1),
    SequenceWindower(window=3),
    SequenceScaler(),
    SequenceScaler(with_mean=False),
]

# Training runs in float32: fitting with integer weights and fitting on the
# repeated samples sum the same losses in a different order, and the results
# agree to about 1e-7 (float32 rounding), while this check asks for float64
# agreement (rtol=1e-7, atol=1e-9). tests/test_base.py checks the weighted loss
# itself against repeated samples.
_WEIGHT_REASON = (
    "float32 training: weighted and repeated-sample fits agree only to float32 "
    "rounding (~1e-7), below the check's float64 tolerance"
)
# Rows are time steps: row t's output reads the rows before it, so reordering
# or subsetting rows changes the windows, hence the outputs, by design.
_ORDER_REASON = "rows are time steps: a row's output reads the rows before it"
_TIME_ORDER = {
    "check_methods_sample_order_invariance": _ORDER_REASON,
    "check_methods_subset_invariance": _ORDER_REASON,
}


# The check fits a 2-D integer array and the same numbers as a DataFrame.
# token_ids="auto" reads the array as token ids (an embedding, and dropout
# 0.3 by default) and the DataFrame as numbers (a table of counts, no
# dropout): two networks, whose predictions may differ.
_IDS_REASON = (
    "an integer array is read as token ids, an integer DataFrame as numbers "
    "(token_ids='auto'): the two fits are different networks"
)


def _expected_failed_checks(estimator):
    if isinstance(estimator, RNNClassifier):
        return {
            "check_sample_weight_equivalence_on_dense_data": _WEIGHT_REASON,
            "check_classifier_data_not_an_array": _IDS_REASON,
        }
    if isinstance(estimator, RNNRegressor):
        return {"check_sample_weight_equivalence_on_dense_data": _WEIGHT_REASON}
    if isinstance(estimator, SequenceForecaster):
        return {
            **_TIME_ORDER,
            # A zero weight removes a row from the loss but not from its
            # neighbours' windows; repeating a row inserts it into them.
            "check_sample_weight_equivalence_on_dense_data": (
                "a weight acts on one row's forecast; removing or repeating the "
                "row also changes the windows of the rows after it"
            ),
        }
    if isinstance(estimator, SequenceWindower) and estimator.window > 1:
        return _TIME_ORDER
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    """Check that the estimator passes scikit-learn's estimator checks."""
    check(estimator)


@pytest.mark.parametrize(
    "estimator", [*ESTIMATORS, TextTokenizer()], ids=lambda est: type(est).__name__
)
def test_param_validation(estimator):
    """Check that every invalid parameter value gets an informative error.

    scikit-learn's own estimators run this check in their test suite;
    parametrize_with_checks leaves it out.
    """
    check_param_validation(type(estimator).__name__, estimator)
