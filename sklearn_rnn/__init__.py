# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural networks as scikit-learn estimators, trained with skorch."""

from .classifier import RNNClassifier
from .forecasting import SequenceForecaster
from .long_format import sequences_from_long
from .persistence import load, save
from .regressor import RNNRegressor
from .scaling import SequenceScaler
from .text import TextTokenizer
from .windowing import SequenceWindower, make_windows

__version__ = "0.1.0"

__all__ = [
    "RNNClassifier",
    "RNNRegressor",
    "SequenceForecaster",
    "SequenceScaler",
    "SequenceWindower",
    "TextTokenizer",
    "__version__",
    "load",
    "make_windows",
    "save",
    "sequences_from_long",
]
