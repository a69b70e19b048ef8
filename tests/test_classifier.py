# SPDX-License-Identifier: BSD-3-Clause
"""Tests of RNNClassifier."""

import numpy as np
import pytest
import torch
from conftest import CHEAP_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, log_loss, recall_score

from sklearn_rnn import RNNClassifier

FAST_PARAMS = {**CHEAP_PARAMS, "max_epochs": 3}


def _multiclass(n_classes, n_samples=90, seed=0):
    """Sequences whose label is the quantile bin of the sum of feature 0."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 10, 2)).astype(np.float32)
    total = X[:, :, 0].sum(axis=1)
    edges = np.quantile(total, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.digitize(total, edges)


def _imbalanced(seed=0):
    """Sequences with a weak signal and about 15% of the samples in class 1."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(200, 8, 2)).astype(np.float32)
    score = X[:, :, 0].mean(axis=1) + rng.normal(scale=0.3, size=200)
    y = (score > np.quantile(score, 0.85)).astype(int)
    return X, y


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_rnn_classifier_binary_and_multiclass(n_classes):
    """Check that binary and multiclass targets give one output per class."""
    X, y = _multiclass(n_classes)
    clf = RNNClassifier(**CHEAP_PARAMS).fit(X, y)
    assert_array_equal(clf.classes_, np.arange(n_classes))
    assert clf.net_.module_.head[-1].out_features == n_classes
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    pred = clf.predict(X)
    assert pred.shape == (len(X),)
    assert set(np.unique(pred)) <= set(clf.classes_)
    # The network learns more than the majority class.
    assert len(np.unique(pred)) > 1
    assert clf.score(X, y) > 1.5 / n_classes


@pytest.mark.parametrize(
    "labels", [["down", "up"], ["a", "b", "c"], [10, -3, 7], [False, True]]
)
def test_rnn_classifier_label_types(labels):
    """Check that labels of any type come back from predict as given."""
    labels = np.asarray(labels)
    X, y_int = _multiclass(len(labels))
    y = labels[y_int]

    clf = RNNClassifier(**CHEAP_PARAMS).fit(X, y)
    assert_array_equal(clf.classes_, np.sort(labels))
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype
    assert set(pred.tolist()) <= set(labels.tolist())

    # Same fit as with the label codes: only the names of the classes change.
    codes = np.searchsorted(np.sort(labels), y)
    clf_codes = RNNClassifier(**CHEAP_PARAMS).fit(X, codes)
    assert_array_equal(pred, clf.classes_[clf_codes.predict(X)])
    assert_allclose(clf.predict_proba(X), clf_codes.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_rnn_classifier_predict_proba(n_classes, kind, ragged_sequences):
    """Check that predict_proba rows sum to one and their argmax is predict."""
    if kind == "3d":
        X, y = _multiclass(n_classes)
    else:
        X, _, y_reg = ragged_sequences
        y = np.digitize(y_reg, np.quantile(y_reg, [0.25, 0.5, 0.75])[: n_classes - 1])
    clf = RNNClassifier(**{**FAST_PARAMS, "batch_size": 8}).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    assert proba.shape == (len(X), n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


def test_rnn_classifier_predict_log_proba_keeps_tiny_probabilities(sequences_3d):
    """Check that log-probabilities stay finite where probabilities underflow."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS).fit(X, y)
    with torch.no_grad():
        for p in clf.net_.module_.head.parameters():
            p.mul_(1e4)
    log_proba = clf.predict_log_proba(X)
    assert np.isfinite(log_proba).all()
    assert (clf.predict_proba(X) == 0).any()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_rnn_classifier_learns_simple_task(cell, kind, sequences_3d, ragged_sequences):
    """Check that the classifier fits a learnable task to high train accuracy."""
    if kind == "3d":
        X, y = sequences_3d
    else:
        X, y, _ = ragged_sequences
    clf = RNNClassifier(**CHEAP_PARAMS, cell=cell).fit(X, y)
    assert accuracy_score(y, clf.predict(X)) > 0.9


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 6.0}])
def test_rnn_classifier_class_weight(class_weight):
    """Check that class_weight raises the recall of the minority class."""
    X, y = _imbalanced()
    params = {**CHEAP_PARAMS, "max_epochs": 10}
    plain = RNNClassifier(**params).fit(X, y)
    weighted = RNNClassifier(**params, class_weight=class_weight).fit(X, y)

    recall_plain = recall_score(y, plain.predict(X))
    recall_weighted = recall_score(y, weighted.predict(X))
    assert recall_weighted > recall_plain + 0.2
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_rnn_classifier_class_weight_string_labels():
    """Check that a class_weight dict may be keyed by string labels."""
    X, y = _imbalanced()
    labels = np.array(["common", "rare"])[y]
    params = {**CHEAP_PARAMS, "max_epochs": 10}
    by_name = RNNClassifier(**params, class_weight={"common": 1, "rare": 6}).fit(
        X, labels
    )
    by_code = RNNClassifier(**params, class_weight={0: 1, 1: 6}).fit(X, y)
    assert_allclose(by_name.predict_proba(X), by_code.predict_proba(X))


def test_rnn_classifier_class_weight_matches_sample_weight():
    """Check that class_weight acts like the equivalent sample_weight."""
    X, y = _imbalanced()
    params = {**FAST_PARAMS, "max_epochs": 5}
    by_class = RNNClassifier(**params, class_weight={0: 1.0, 1: 4.0}).fit(X, y)
    by_sample = RNNClassifier(**params).fit(X, y, sample_weight=np.where(y, 4.0, 1.0))
    assert_allclose(by_class.predict_proba(X), by_sample.predict_proba(X), atol=1e-6)


def test_rnn_classifier_sample_weight_shifts_predictions():
    """Check that heavily weighting one class shifts predictions toward it."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 8, 2)).astype(np.float32)
    # Labels without signal: the fit can only learn how likely each class is.
    y = rng.permutation(np.repeat([0, 1], 50))
    params = {**CHEAP_PARAMS, "max_epochs": 10}
    plain = RNNClassifier(**params).fit(X, y)
    weighted = RNNClassifier(**params).fit(X, y, sample_weight=np.where(y, 20.0, 1.0))

    proba_plain = plain.predict_proba(X)[:, 1].mean()
    proba_weighted = weighted.predict_proba(X)[:, 1].mean()
    assert proba_weighted > proba_plain + 0.2
    assert np.mean(weighted.predict(X) == 1) > 0.9


def test_rnn_classifier_single_class_raises(sequences_3d):
    """Check that a target with a single class raises a ValueError."""
    X, _ = sequences_3d
    with pytest.raises(ValueError, match="only one class"):
        RNNClassifier(**FAST_PARAMS).fit(X, np.full(len(X), "spam"))


@pytest.mark.parametrize(
    "make_y, match",
    [
        (lambda y: y + np.linspace(0.1, 0.9, len(y)), "continuous"),
        (lambda y: np.column_stack([y, 1 - y]), "1d array"),
        (lambda y: np.column_stack([y, y, 1 - y]), "1d array"),
    ],
)
def test_rnn_classifier_invalid_target_raises(make_y, match, sequences_3d):
    """Check that continuous and multilabel targets raise a ValueError."""
    X, y = sequences_3d
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**FAST_PARAMS).fit(X, make_y(y))


@pytest.mark.parametrize("class_weight", ["foo", 3])
def test_rnn_classifier_invalid_class_weight_raises(class_weight, sequences_3d):
    """Check that an invalid class_weight raises a ValueError naming it."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, class_weight=class_weight)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "new_labels", [[0, 1, 2], [1, 2], ["0", "1"]], ids=["more", "other", "strings"]
)
def test_rnn_classifier_warm_start_other_classes_raises(new_labels, sequences_3d):
    """Check that warm_start with other classes raises and keeps the fit."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, warm_start=True).fit(X, y)
    before = clf.predict_proba(X)
    y_new = np.asarray(new_labels)[np.arange(len(y)) % len(new_labels)]
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, y_new)
    assert_array_equal(clf.classes_, [0, 1])
    assert_array_equal(clf.predict_proba(X), before)


def test_rnn_classifier_warm_start_same_classes(sequences_3d):
    """Check that warm_start accepts the same classes in another order."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, warm_start=True).fit(X, y)
    order = np.argsort(-y, kind="stable")
    clf.fit(X[order], y[order])
    assert clf.n_iter_ == 2 * FAST_PARAMS["max_epochs"]
    assert_array_equal(clf.classes_, [0, 1])


def test_rnn_classifier_label_smoothing_bounds_confidence(sequences_3d):
    """Check that label smoothing keeps fitted probabilities away from 0 and 1."""
    X, y = sequences_3d
    params = {"hidden_size": 16, "max_epochs": 150, "lr": 0.02, "random_state": 0}
    sharp = RNNClassifier(**params, label_smoothing=0.0).fit(X, y)
    smooth = RNNClassifier(**params, label_smoothing=0.2).fit(X, y)
    assert sharp.net_.criterion_.label_smoothing == 0.0
    assert smooth.net_.criterion_.label_smoothing == 0.2
    # With smoothing 0.2 over 2 classes the loss is lowest at p = 0.9.
    assert smooth.predict_proba(X).max() < 0.95
    assert sharp.predict_proba(X).max() > 0.99
    assert smooth.score(X, y) > 0.9


def _noisy_labels(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) + rng.normal(scale=1.5, size=n) > 0).astype(int)
    return X, y


def test_rnn_classifier_temperature_scaling_softens_without_changing_labels():
    """Check that temperature scaling lowers held-out log loss, same labels."""
    X, y = _noisy_labels(1200, 0)
    X_test, y_test = _noisy_labels(1000, 1)
    params = {
        "hidden_size": 16,
        "early_stopping": True,
        "n_iter_no_change": 30,
        "label_smoothing": 0.0,
        # Max pooling over standardized sequences is over-confident here.
        "pooling": "max",
        "input_norm": "sequence",
        "random_state": 0,
    }
    raw = RNNClassifier(**params, temperature_scaling=False).fit(X, y)
    scaled = RNNClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(raw.predict(X_test), scaled.predict(X_test))
    # Softening only: the scaled probabilities are never more extreme.
    assert scaled.predict_proba(X_test).max() <= raw.predict_proba(X_test).max()
    assert log_loss(y_test, scaled.predict_proba(X_test)) < log_loss(
        y_test, raw.predict_proba(X_test)
    )


def test_rnn_classifier_label_smoothing_auto():
    """Check that 'auto' smooths labels unless held-out data calibrates."""
    X, y = _noisy_labels(1000, 0)
    fit = {"hidden_size": 2, "max_epochs": 1, "random_state": 0}
    cases = [
        ({}, 0.0),
        ({"temperature_scaling": False}, 0.1),
        ({"early_stopping": False}, 0.1),
    ]
    for params, expected in cases:
        est = RNNClassifier(**fit, **params).fit(X, y)
        assert est.net_.criterion_.label_smoothing == expected
    # A warm start on less data (nothing held out) switches the loss.
    est = RNNClassifier(**fit, warm_start=True).fit(X, y)
    est.fit(X[:200], y[:200])
    assert est.net_.criterion_.label_smoothing == 0.1


@pytest.mark.parametrize("n_classes", [150, 2])
def test_rnn_classifier_auto_early_stopping_needs_a_stratified_split(n_classes):
    """Check that 'auto' trains on everything where no stratified split exists."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 3, 1)).astype(np.float32)
    y = np.arange(1000) % n_classes
    if n_classes == 2:
        y[0] = 2  # a class with one sample
    est = RNNClassifier(hidden_size=2, max_epochs=1, random_state=0).fit(X, y)
    assert "valid_loss" not in est.history_
    with pytest.raises(ValueError):
        RNNClassifier(hidden_size=2, max_epochs=1, early_stopping=True).fit(X, y)


@pytest.mark.parametrize(
    "n_steps, stride",
    [(20, 0), (80, 1), (600, 2), (1100, 4)],
)
def test_conv_branch_auto_follows_the_length(n_steps, stride):
    """Check "auto" adds the branch to long numeric sequences, strided to 512 steps."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, n_steps)).astype(np.float32)
    y = np.arange(10) % 2
    params = {**CHEAP_PARAMS, "max_epochs": 1, "conv_branch": "auto"}
    clf = RNNClassifier(**params).fit(X, y)
    branch = clf.net_.module_.branch
    assert (0 if branch is None else branch.stride) == stride
    assert clf._fitted_architecture["conv_branch_stride"] == stride


def test_conv_branch_never_reads_token_ids():
    """Check "auto" leaves texts alone and True refuses token ids."""
    X = np.random.RandomState(0).randint(1, 9, size=(12, 90))
    y = np.arange(12) % 2
    params = {**CHEAP_PARAMS, "max_epochs": 1}
    for branch in (False, "auto"):
        clf = RNNClassifier(**params, conv_branch=branch).fit(X, y)
        assert clf.net_.module_.branch is None
    with pytest.raises(ValueError, match="conv_branch=True"):
        RNNClassifier(**CHEAP_PARAMS, conv_branch=True).fit(X, y)


def test_conv_branch_false_and_warm_start_keep_the_network():
    """Check conv_branch=False builds none, and a warm start keeps the branch."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 80)).astype(np.float32)
    y = np.arange(10) % 2
    params = {**CHEAP_PARAMS, "max_epochs": 1}
    assert (
        RNNClassifier(**params, conv_branch=False).fit(X, y).net_.module_.branch is None
    )
    clf = RNNClassifier(**params, conv_branch=True, warm_start=True).fit(X, y)
    branch = clf.net_.module_.branch
    assert branch is not None
    clf.fit(X[:, :30], y)
    assert clf.net_.module_.branch is branch


def test_hidden_size_and_dropout_auto_follow_the_input():
    """Check that "auto" widens the network and adds dropout for token ids only.

    Numeric sequences keep 64 units without dropout, explicit values win,
    and a warm start keeps the fitted network when the parameters are set
    back to "auto".
    """
    rng = np.random.RandomState(0)
    ids = rng.randint(1, 9, size=(12, 6))
    numbers = rng.normal(size=(12, 6, 2)).astype(np.float32)
    y = np.arange(12) % 2

    def network(clf, X):
        module = clf.fit(X, y).net_.module_
        return module.rnn.hidden_size, getattr(module.dropout, "p", 0.0)

    def classifier(**params):
        return RNNClassifier(max_epochs=1, random_state=0, **params)

    assert network(classifier(), ids) == (128, 0.3)
    assert network(classifier(), numbers) == (64, 0.0)
    assert network(classifier(hidden_size=16, dropout=0.1), ids) == (16, 0.1)
    assert network(classifier(hidden_size=16, dropout=0.1), numbers) == (16, 0.1)
    clf = classifier(hidden_size=16, dropout=0.1, warm_start=True)
    network(clf, ids)
    first = clf.net_.module_
    clf.set_params(hidden_size="auto", dropout="auto")
    assert network(clf, ids[:, :3]) == (16, 0.1)
    assert clf.net_.module_ is first
