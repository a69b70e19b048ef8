# SPDX-License-Identifier: BSD-3-Clause
"""Successive halving over training epochs: many architectures, few full trainings.

``HalvingGridSearchCV`` with ``resource="max_epochs"`` trains every candidate
for a few epochs, keeps the better half, doubles their epochs, and so on, so
that only the last survivors train for the full budget. Here: 8 recurrent
architectures (cell x hidden_size x bidirectional) on scikit-learn's
handwritten digits read as sequences (each 8x8 image is 8 time steps of 8
pixels), with 2, 4, 8 and then 16 epochs, on 2 worker processes.

The data ship with scikit-learn; nothing is downloaded. Took 70 seconds on
2 CPU cores shared with other busy processes (load average 5.5); less on
idle ones::

    python examples/halving_search.py
"""

import warnings
from time import perf_counter

import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, train_test_split

from sklearn_rnn import RNNClassifier

# The final refit runs in this process: small nets train fastest on one
# thread, and more threads only spin-wait when other processes are busy.
torch.set_num_threads(1)

digits = load_digits()
X = digits.images / 16.0  # (1797, 8, 8), pixels scaled to [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

# The early rounds stop after a few epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

search = HalvingGridSearchCV(
    RNNClassifier(random_state=0),
    {
        "cell": ["gru", "lstm"],
        "hidden_size": [32, 64],
        "bidirectional": [False, True],
    },
    # The resource is set on the estimator: max_epochs = 2, 4, 8, 16.
    resource="max_epochs",
    min_resources=2,
    max_resources=16,
    factor=2,
    cv=3,
    # Each loky worker gets its share of the cores (OMP_NUM_THREADS), so two
    # fits at a time do not fight over the threads.
    n_jobs=2,
    random_state=0,
)
start = perf_counter()
search.fit(X_train, y_train)
seconds = perf_counter() - start

print(f"Digits: {len(X_train)} train / {len(X_test)} test sequences of shape 8x8")
for i, (n, epochs) in enumerate(zip(search.n_candidates_, search.n_resources_)):
    print(f"  round {i}: {n} candidate(s) trained for {epochs} epochs")
print(f"Best params: {search.best_params_}")
print(f"Best mean CV accuracy: {search.best_score_:.3f}")
print(f"Held-out accuracy:     {search.score(X_test, y_test):.3f}")
print(f"Search and refit took {seconds:.1f}s")
