# SPDX-License-Identifier: BSD-3-Clause
"""Watching and steering training: verbose output, history, schedules, summary."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import CHEAP_PARAMS
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor

ESTIMATORS = [RNNClassifier, RNNRegressor]
FAST_PARAMS = {**CHEAP_PARAMS, "max_epochs": 4}


def _target(Estimator, X):
    values = X[:, :, 0].mean(axis=1)
    if Estimator is RNNClassifier:
        return (values > 0).astype(int)
    return 10.0 * values


class _CountEpochs(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


class _InterruptAt(Callback):
    """Raise KeyboardInterrupt at the end of an epoch, like Ctrl-C."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("lr_schedule", [None, "plateau", "cosine", "onecycle"])
def test_estimator_verbose_zero_is_silent(Estimator, lr_schedule, sequences_3d, capsys):
    """Check that verbose=0 prints nothing, whatever else is switched on."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(
        **FAST_PARAMS, verbose=0, early_stopping=True, lr_schedule=lr_schedule
    )
    est.fit(X, y).predict(X)
    est.score(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_verbose_progress_and_table(Estimator, sequences_3d, capsys):
    """Check that verbose=1 shows a progress bar and a per-epoch table."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    Estimator(**FAST_PARAMS, verbose=1, early_stopping=True).fit(X, y)
    captured = capsys.readouterr()
    header = captured.out.strip().splitlines()[0].split()
    for column in ["epoch", "train_loss", "valid_loss", "valid_score", "lr", "dur"]:
        assert column in header
    lines = captured.out.strip().splitlines()[2:]
    epochs = [line.split()[0] for line in lines if line.split()[0].isdigit()]
    assert epochs == ["1", "2", "3", "4"]
    # Besides the epochs: skorch's note when the best epoch's weights return.
    others = [line for line in lines if not line.split()[0].isdigit()]
    assert all(line.startswith("Restoring best model") for line in others)
    # tqdm writes the bar to stderr, with the batch count of one epoch.
    n_batches = -(-72 // FAST_PARAMS["batch_size"]) + -(-8 // FAST_PARAMS["batch_size"])
    assert f"/{n_batches}" in captured.err


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_estimator_history_(Estimator, early_stopping, sequences_3d):
    """Check that history_ holds one row per epoch with the expected columns."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, early_stopping=early_stopping).fit(X, y)
    history = est.history_
    assert isinstance(history, pd.DataFrame)
    assert len(history) == est.n_iter_ == FAST_PARAMS["max_epochs"]
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    expected = ["epoch", "train_loss", "lr", "dur"]
    if early_stopping:
        expected[2:2] = ["valid_loss", "valid_score"]
    assert list(history.columns) == expected
    assert np.all(history["lr"] == FAST_PARAMS["lr"])
    assert np.allclose(history["train_loss"], est.net_.history[:, "train_loss"])

    monitor = "valid_loss" if early_stopping else "train_loss"
    best = history.loc[history["epoch"] == est.best_epoch_, monitor].item()
    assert best == history[monitor].min()


def test_rnn_classifier_valid_score_is_accuracy(sequences_3d):
    """Check that valid_score at the best epoch is the restored model's accuracy."""
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state

    X, y = sequences_3d
    clf = RNNClassifier(**{**FAST_PARAMS, "max_epochs": 8}, early_stopping=True)
    clf.fit(X, y)
    # The validation split fit makes: the same seed, drawn from random_state.
    seed = check_random_state(0).randint(np.iinfo(np.int32).max)
    _, valid = train_test_split(
        np.arange(len(y)), test_size=0.1, random_state=seed, stratify=y
    )
    history = clf.history_.set_index("epoch")
    expected = history.loc[clf.best_epoch_, "valid_score"]
    assert clf.score(X[valid], y[valid]) == pytest.approx(expected)


def test_estimators_without_fit_have_no_history(sequences_3d):
    """Check that history_ and best_epoch_ exist only after fit."""
    est = RNNRegressor(**FAST_PARAMS)
    assert not hasattr(est, "history_")
    assert not hasattr(est, "best_epoch_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_lr_schedule_changes_lr(Estimator, sequences_3d):
    """Check that each named schedule moves the learning rate as it should."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    params = {**FAST_PARAMS, "max_epochs": 6, "lr": 0.01}

    cosine = Estimator(**params, lr_schedule="cosine").fit(X, y).history_["lr"]
    assert cosine.iloc[0] == pytest.approx(0.01)
    assert np.all(np.diff(cosine) < 0)

    onecycle = Estimator(**params, lr_schedule="onecycle").fit(X, y).history_["lr"]
    peak = int(np.argmax(onecycle))
    assert onecycle.iloc[0] < onecycle.iloc[peak] <= 0.01 + 1e-12
    assert 0 < peak < len(onecycle) - 1
    assert onecycle.iloc[-1] < onecycle.iloc[peak]

    # A tolerance no epoch can meet: every epoch after the first is a plateau,
    # so the rate halves after epoch 4, before early stopping ends epoch 5.
    plateau = Estimator(
        **params, lr_schedule="plateau", tol=1e3, n_iter_no_change=4
    ).fit(X, y)
    assert plateau.n_iter_ == 5
    assert plateau.history_["lr"].tolist() == [0.01] * 4 + [0.005]
    constant = Estimator(**params).fit(X, y).history_["lr"]
    assert np.all(constant == 0.01)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_callbacks_param(Estimator, sequences_3d):
    """Check that extra skorch callbacks run, on copies of the objects given."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    counter = _CountEpochs()
    est = Estimator(**FAST_PARAMS, callbacks=[("count", counter)]).fit(X, y)
    assert dict(est.net_.callbacks_)["count"].epochs_ == FAST_PARAMS["max_epochs"]
    assert not hasattr(counter, "epochs_")
    assert est.get_params()["callbacks"][0][1] is counter


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_estimator_keyboard_interrupt_keeps_model(Estimator, early_stopping):
    """Check that Ctrl-C during fit leaves a usable model that can resume."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 12, 3)).astype(np.float32)
    y = _target(Estimator, X)
    est = Estimator(
        **{**FAST_PARAMS, "max_epochs": 20},
        early_stopping=early_stopping,
        n_iter_no_change=50,
        callbacks=[("interrupt", _InterruptAt(3))],
    ).fit(X, y)
    assert est.n_iter_ == 3
    assert np.all(np.isfinite(est.predict(X)))
    if early_stopping:
        # The best epoch's weights are restored, as at the end of a full fit.
        assert est.best_epoch_ == est.history_["valid_loss"].idxmin() + 1

    est.set_params(warm_start=True, callbacks=None, max_epochs=2).fit(X, y)
    assert est.n_iter_ == 5


@pytest.mark.parametrize(
    "params, n_frozen",
    [
        ({}, 0),
        ({"bidirectional": True, "num_layers": 2, "head_hidden_sizes": (5,)}, 0),
        ({"cell": "lstm", "projection_size": 6, "pooling": "mean"}, 0),
    ],
)
def test_estimator_summary(params, n_frozen, sequences_3d):
    """Check that summary() lists the layers and the module's parameter count."""
    X, y = sequences_3d
    clf = RNNClassifier(**{**FAST_PARAMS, "max_epochs": 1}, **params).fit(X, y)
    lines = []
    clf.summary(print_fn=lines.append)
    total = sum(p.numel() for p in clf.net_.module_.parameters())
    assert f"Total params: {total:,}" in lines
    assert f"Trainable params: {total - n_frozen:,}" in lines
    assert f"Non-trainable params: {n_frozen:,}" in lines
    rows = lines[4:-4]
    assert sum(int(row.split()[-1].replace(",", "")) for row in rows) == total
    # The head's output: data-dependent batch size, one logit per class.
    assert any("(None, 2)" in row for row in rows)


def test_estimator_summary_frozen_embedding(capsys):
    """Check that frozen pretrained embeddings count as non-trainable."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(40, 6))
    y = (X[:, 0] > 6).astype(int)
    weights = rng.normal(size=(12, 5))
    clf = RNNClassifier(
        **{**FAST_PARAMS, "max_epochs": 1},
        pretrained_embeddings=weights,
        freeze_embeddings=True,
    ).fit(X, y)
    clf.summary()
    out = capsys.readouterr().out
    assert "embedding (Embedding)" in out
    assert "(None, None, 5)" in out
    assert f"Non-trainable params: {weights.size:,}" in out


def test_estimator_summary_not_fitted():
    """Check that summary() before fit raises NotFittedError."""
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RNNRegressor().summary()


def test_estimator_module_eval_state_kept_by_summary(sequences_3d):
    """Check that summary() leaves the module's train/eval mode as it was."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, dropout=0.5).fit(X, y)
    clf.net_.module_.train()
    clf.summary(print_fn=lambda line: None)
    assert clf.net_.module_.training
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("early_stopping", [False, True])
def test_plot_history_returns_axes(early_stopping, sequences_3d, tmp_path):
    """Check that plot_history draws the losses and saves as a PNG."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_rnn.plotting import plot_history

    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, early_stopping=early_stopping).fit(X, y)
    ax = plot_history(clf)
    assert isinstance(ax, matplotlib.axes.Axes)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert np.allclose(lines["train_loss"].get_ydata(), clf.history_["train_loss"])
    assert ("valid_loss" in lines) == early_stopping
    path = tmp_path / "history.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    _, given = plt.subplots()
    assert plot_history(clf, columns=["lr"], ax=given) is given
    assert [line.get_label() for line in plot_history(clf, columns="lr").get_lines()][
        0
    ] == "lr"
    with pytest.raises(ValueError, match="no column 'nope'"):
        plot_history(clf, columns=["nope"])
    plt.close("all")


def _plateau_problem():
    """Labels read from the first of 60 steps: a long first plateau of the loss."""
    rng = np.random.RandomState(0)
    X = 0.3 * rng.normal(size=(64, 60, 1)).astype(np.float32)
    y = rng.randint(0, 2, len(X))
    X[:, 0, 0] = np.where(y == 1, 1.0, -1.0)
    return X, y


def test_rnn_classifier_default_stop_rule_trains_past_plateau():
    """Check that the default stop rule does not stop on the first plateau.

    A patience of 10 epochs of 2 batches (the former defaults) stops while the
    training loss still sits near log(2); the default patience of at least 200
    optimizer steps trains on until the network has found the first step.
    """
    X, y = _plateau_problem()
    params = {
        "hidden_size": 8,
        "pooling": "last",
        "conv_layers": 0,
        "input_norm": None,
        "label_smoothing": 0.0,
        "max_epochs": 500,
        "random_state": 0,
    }
    short = RNNClassifier(
        **params, n_iter_no_change=10, batch_size=32, lr_schedule=None
    ).fit(X, y)
    assert short.score(X, y) < 0.7
    est = RNNClassifier(**params).fit(X, y)
    assert est.n_iter_ < params["max_epochs"]
    assert est.score(X, y) > 0.9
    assert est.history_["train_loss"].min() < 0.5 * np.log(2)


@pytest.mark.parametrize("n_samples, expected", [(20, 67), (64, 25), (800, 10)])
def test_rnn_classifier_auto_patience_counts_steps(n_samples, expected):
    """Check that n_iter_no_change='auto' waits 200 steps or 10 epochs."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 4, 1)).astype(np.float32)
    y = np.arange(n_samples) % 2
    est = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0).fit(X, y)
    stopper = dict(est.net_.callbacks_)["early_stopping"]
    assert stopper.patience == expected
    # a tenth of the samples per batch, within [8, 32]
    assert est.net_.batch_size == min(max(n_samples // 10, 8), 32)


@pytest.mark.parametrize(
    "n_samples, early_stopping, holds_out",
    [
        (999, "auto", False),
        (1000, "auto", True),
        (999, True, True),
        (2000, False, False),
    ],
)
def test_rnn_regressor_early_stopping_auto(n_samples, early_stopping, holds_out):
    """Check that early_stopping='auto' holds out data from 1,000 samples on."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 3, 1)).astype(np.float32)
    y = X[:, -1, 0]
    est = RNNRegressor(
        hidden_size=2, max_epochs=1, early_stopping=early_stopping, random_state=0
    ).fit(X, y)
    assert ("valid_loss" in est.history_) is holds_out


def _noisy_regression(n=1200):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 5, 3)).astype(np.float32)
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1] + rng.normal(scale=1.0, size=n)
    return X, y


def test_rnn_regressor_stops_on_held_out_loss_and_restores_best():
    """Check that a large noisy fit stops on held-out loss with the best weights.

    Refitting with max_epochs set to the best epoch retraces the same path, so
    its predictions are those of the restored weights.
    """
    X, y = _noisy_regression()
    params = {"hidden_size": 16, "n_iter_no_change": 5, "random_state": 0}
    est = RNNRegressor(**params).fit(X, y)
    history = est.history_
    assert "valid_loss" in history
    assert est.n_iter_ < est.max_epochs
    best = int(history["valid_loss"].to_numpy().argmin()) + 1
    assert est.best_epoch_ == best < est.n_iter_
    at_best = RNNRegressor(**params, max_epochs=best).fit(X, y)
    np.testing.assert_allclose(est.predict(X[:50]), at_best.predict(X[:50]), atol=1e-6)


def test_rnn_classifier_raising_max_epochs_never_shortens_training():
    """Check that a larger max_epochs trains at least as many epochs."""
    X, y = _plateau_problem()
    params = {"hidden_size": 4, "conv_layers": 0, "random_state": 0}
    epochs = [
        RNNClassifier(**params, max_epochs=m).fit(X[:32, :20], y[:32]).n_iter_
        for m in (5, 20, 60, 400)
    ]
    assert epochs == sorted(epochs)
    assert epochs[:2] == [5, 20]
    # The stop rule, not the cap, ended the longest fit.
    assert epochs[-1] < 400


def test_rnn_regressor_convergence_warning_only_when_cut_short():
    """Check that the ConvergenceWarning is raised exactly when max_epochs cut."""
    X, y = _noisy_regression(200)
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        RNNRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = RNNRegressor(hidden_size=4, tol=0.01, n_iter_no_change=3, random_state=0)
        est.fit(X, y)
    assert est.n_iter_ < est.max_epochs


def test_rnn_classifier_warm_start_keeps_auto_conv_layers():
    """Check that a warm start on shorter sequences keeps the fitted front-end."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 300, 1)).astype(np.float32)
    y = np.arange(40) % 2
    est = RNNClassifier(hidden_size=4, max_epochs=1, warm_start=True).fit(X, y)
    assert est._fitted_architecture["conv_layers"] == 3
    est.fit(X[:, :20], y)
    assert est._fitted_architecture["conv_layers"] == 3
    assert est.n_iter_ == 2
    fresh = RNNClassifier(hidden_size=4, max_epochs=1).fit(X[:, :20], y)
    assert fresh._fitted_architecture["conv_layers"] == 0


@pytest.mark.parametrize(
    "n_steps, token_ids, expected",
    [
        (20, False, (0, "last", "global")),
        (64, False, (0, "last", "global")),
        (65, False, (1, "max", "sequence")),
        (300, False, (3, "max", "sequence")),
        (20, True, (0, "max", None)),
    ],
)
def test_rnn_classifier_auto_architecture_follows_length(n_steps, token_ids, expected):
    """Check the 'auto' front-end, pooling and scaling for each kind of input."""
    rng = np.random.RandomState(0)
    if token_ids:
        X = rng.randint(2, 30, size=(24, n_steps))
    else:
        X = rng.normal(size=(24, n_steps, 2)).astype(np.float32)
    y = np.arange(24) % 2
    est = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0).fit(X, y)
    arch = est._fitted_architecture
    assert (arch["conv_layers"], arch["pooling"], arch["input_norm"]) == expected
    assert est.get_params()["pooling"] == "auto"


def test_rnn_classifier_last_epoch_has_valid_score():
    """Check that the epoch that triggers early stopping records its score."""
    X, y = _noisy_regression(300)
    y = (y > 0).astype(int)
    est = RNNClassifier(
        hidden_size=4, early_stopping=True, n_iter_no_change=2, random_state=0
    ).fit(X, y)
    assert est.n_iter_ < est.max_epochs
    assert est.history_["valid_score"].notna().all()


def test_rnn_classifier_auto_conv_layers_not_for_token_ids():
    """Check that long texts (token ids) get no convolutions by default."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 50, size=(20, 200))
    y = np.arange(20) % 2
    est = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0).fit(X, y)
    assert est._fitted_architecture["conv_layers"] == 0
