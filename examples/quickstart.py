# SPDX-License-Identifier: BSD-3-Clause
"""Quickstart: RNNClassifier and RNNRegressor on real data, against baselines.

1. Classification: scikit-learn's handwritten digits read as sequences, each
   8x8 image being 8 time steps (rows) of 8 features (pixels). Baseline:
   logistic regression on the flattened image.
2. Regression: yearly sunspot counts (1700-2008, shipped with statsmodels),
   forecasting next year's count from the previous 10. The last 20% of the
   years are held out. Baselines: repeat the last value; ridge on the window.

Both data sets ship inside the installed packages; nothing is downloaded.
Needs statsmodels for the sunspots. Takes about 10 seconds on 2 idle CPU cores::

    pip install statsmodels
    python examples/quickstart.py [--cell gru] [--random-state 1]
"""

import argparse
from time import perf_counter

import numpy as np
import statsmodels.api as sm
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "--cell", default="lstm", choices=["lstm", "gru", "rnn", "rnn_relu"]
)
parser.add_argument("--random-state", type=int, default=0, help="seed of the networks")
args = parser.parse_args()
CELL = args.cell.upper()


def fit_timed(name, model, X, y):
    start = perf_counter()
    model.fit(X, y)
    print(f"  {name:<22} fit in {perf_counter() - start:5.1f}s", end="")
    return model


# -- Classification: digits as 8 steps of 8 pixels --------------------------
digits = load_digits()
X = digits.images / 16.0  # (1797, 8, 8), pixels scaled to [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
print(f"Digits: {len(X_train)} train / {len(X_test)} test sequences of shape 8x8")

# The baseline sees the same pixels as one flat vector of 64.
flat = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
fit_timed("LogisticRegression", flat, X_train.reshape(len(X_train), -1), y_train)
print(f"  accuracy {flat.score(X_test.reshape(len(X_test), -1), y_test):.3f}")

# Reading rows in both directions lets each step see the whole digit.
clf = RNNClassifier(cell=args.cell, bidirectional=True, random_state=args.random_state)
fit_timed(f"RNNClassifier (Bi{CELL})", clf, X_train, y_train)
print(f"  accuracy {clf.score(X_test, y_test):.3f}")

# -- Regression: next year's sunspot count from the previous 10 -------------
counts = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)
window = 10
# Each 2-D row is one univariate sequence of `window` steps.
X = np.lib.stride_tricks.sliding_window_view(counts[:-1], window)
y = counts[window:]
n_test = len(y) // 5  # hold out the most recent years, no shuffling
X_train, X_test, y_train, y_test = X[:-n_test], X[-n_test:], y[:-n_test], y[-n_test:]
print(f"\nSunspots: {len(X_train)} train / {len(X_test)} test windows of {window}")


def report(pred):
    mae, r2 = mean_absolute_error(y_test, pred), r2_score(y_test, pred)
    print(f"  MAE {mae:5.2f}  R2 {r2:.3f}")


print(f"  {'Last value':<22} {'':>13}", end="")
report(X_test[:, -1])
ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
report(fit_timed("RidgeCV on window", ridge, X_train, y_train).predict(X_test))
# Few samples: early stopping on a held-out 15% keeps the network from overfitting.
reg = make_pipeline(
    StandardScaler(),
    RNNRegressor(
        hidden_size=32,
        batch_size=16,
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=20,
        cell=args.cell,
        random_state=args.random_state,
    ),
)
report(fit_timed(f"RNNRegressor ({CELL})", reg, X_train, y_train).predict(X_test))
print(f"  ({CELL} stopped after {reg[-1].n_iter_} epochs)")
