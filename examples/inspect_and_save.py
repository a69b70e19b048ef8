# SPDX-License-Identifier: BSD-3-Clause
"""Watch a network train, inspect it, save it safely and export it to ONNX.

The data: scikit-learn's handwritten digits read as sequences (8 time steps
of 8 pixels), as in the quickstart. The script

1. trains an LSTM with early stopping and a cosine learning-rate schedule,
   printing the per-epoch table (``verbose=1`` also draws a progress bar);
2. prints the Keras-style ``summary()`` and the last rows of ``history_``;
3. draws the training curves with ``plot_history`` into a PNG;
4. saves the model with ``sklearn_rnn.save`` (JSON + safetensors, no pickle),
   loads it back and checks that predictions are identical;
5. exports it to ONNX and compares onnxruntime's probabilities with
   ``predict_proba`` (skipped when onnxruntime is not installed).

Nothing is downloaded; about 15 seconds on 2 CPU cores::

    pip install "sklearn-rnn[plot,onnx]"
    python examples/inspect_and_save.py --plot docs/training_curves.png
"""

import argparse
import os
import tempfile

import matplotlib
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import sklearn_rnn
from sklearn_rnn import RNNClassifier
from sklearn_rnn.plotting import plot_history

matplotlib.use("Agg")  # files only, no window

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--plot", default="training_curves.png", help="PNG to write")
args = parser.parse_args()
torch.set_num_threads(1)

digits = load_digits()
X = (digits.images / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)

clf = RNNClassifier(
    cell="lstm",
    hidden_size=48,
    max_epochs=25,
    lr=0.01,
    lr_schedule="cosine",
    early_stopping=True,
    validation_fraction=0.15,
    random_state=0,
    verbose=1,
)
print("Training (one row per epoch):")
clf.fit(X_train, y_train)
print(f"\nTest accuracy: {clf.score(X_test, y_test):.3f}\n")

clf.summary()
print("\nLast epochs of history_:")
print(clf.history_.tail(3).round(4).to_string(index=False))
print(f"best_epoch_ = {clf.best_epoch_}, n_iter_ = {clf.n_iter_}")

ax = plot_history(clf)
ax.figure.savefig(args.plot, dpi=110, bbox_inches="tight")
print(f"\nTraining curves written to {args.plot}")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "digits.safetensors")
    sklearn_rnn.save(clf, path)
    loaded = sklearn_rnn.load(path)
    same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    print(
        f"Saved {os.path.getsize(path) / 1024:.0f} KiB without pickle; "
        f"reloaded predictions identical: {same}"
    )
    try:
        import onnxruntime
    except ImportError:
        print("onnxruntime not installed: ONNX export skipped")
    else:
        from sklearn_rnn.export import onnx_inputs, to_onnx

        session = onnxruntime.InferenceSession(
            to_onnx(clf, os.path.join(tmp, "digits.onnx"))
        )
        inputs, _ = onnx_inputs(clf, X_test)
        proba = session.run(None, inputs)[0]
        gap = np.abs(proba - clf.predict_proba(X_test)).max()
        print(f"ONNX export: largest difference from predict_proba {gap:.1e}")
