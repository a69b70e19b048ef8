# SPDX-License-Identifier: BSD-3-Clause
"""ONNX export: the exported graph predicts like the estimator."""

import numpy as np
import pandas as pd
import pytest
from conftest import CHEAP_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor, SequenceForecaster, TextTokenizer

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from sklearn_rnn.export import onnx_inputs, to_onnx  # noqa: E402

FAST = {**CHEAP_PARAMS, "max_epochs": 3}


def _ragged(n, n_features, max_len, seed):
    rng = np.random.RandomState(seed)
    return [
        rng.normal(size=(rng.randint(1, max_len + 1), n_features)).astype(np.float32)
        for _ in range(n)
    ]


def _session(est, tmp_path):
    return ort.InferenceSession(to_onnx(est, tmp_path / "model.onnx"))


@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_to_onnx_classifier_matches_predict_proba(
    cell, bidirectional, pooling, tmp_path
):
    """Check that the exported classifier matches predict_proba at any length."""
    X = _ragged(60, 3, 12, seed=0)
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    clf = RNNClassifier(
        **FAST, cell=cell, bidirectional=bidirectional, pooling=pooling
    ).fit(X, y)
    session = _session(clf, tmp_path)
    for n, max_len, seed in [(1, 5, 1), (7, 3, 2), (33, 40, 3)]:
        X_new = _ragged(n, 3, max_len, seed)
        inputs, rows = onnx_inputs(clf, X_new)
        proba = session.run(None, inputs)[0]
        assert_allclose(proba, clf.predict_proba(X_new)[rows], atol=1e-5)


@pytest.mark.parametrize("input_norm", [None, "global", "sequence"])
@pytest.mark.parametrize("conv_layers", [0, 2])
@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_to_onnx_front_end_matches_predict_proba(
    pooling, conv_layers, input_norm, tmp_path
):
    """Check that convolutions and input scaling export with the same outputs."""
    X = [5.0 * x + 3.0 for x in _ragged(60, 3, 20, seed=0)]
    y = np.array([int(x[:, 0].mean() > 3) for x in X])
    clf = RNNClassifier(
        **FAST, pooling=pooling, conv_layers=conv_layers, input_norm=input_norm
    ).fit(X, y)
    session = _session(clf, tmp_path)
    for n, max_len, seed in [(1, 5, 1), (7, 3, 2), (33, 40, 3)]:
        X_new = [5.0 * x + 3.0 for x in _ragged(n, 3, max_len, seed)]
        inputs, rows = onnx_inputs(clf, X_new)
        proba = session.run(None, inputs)[0]
        assert_allclose(proba, clf.predict_proba(X_new)[rows], atol=1e-5)


@pytest.mark.parametrize("conv_layers", [0, 1])
def test_to_onnx_conv_branch_matches_predict_proba(conv_layers, tmp_path):
    """Check that the convolutional branch exports with the same outputs."""
    X = [5.0 * x + 3.0 for x in _ragged(60, 3, 20, seed=0)]
    y = np.array([int(x[:, 0].mean() > 3) for x in X])
    clf = RNNClassifier(
        **FAST, conv_layers=conv_layers, conv_branch=True, input_norm="sequence"
    ).fit(X, y)
    assert clf.net_.module_.branch is not None
    session = _session(clf, tmp_path)
    for n, max_len, seed in [(1, 5, 1), (7, 3, 2), (33, 40, 3)]:
        X_new = [5.0 * x + 3.0 for x in _ragged(n, 3, max_len, seed)]
        inputs, rows = onnx_inputs(clf, X_new)
        proba = session.run(None, inputs)[0]
        assert_allclose(proba, clf.predict_proba(X_new)[rows], atol=1e-5)


def test_to_onnx_token_ids(tmp_path):
    """Check that the exported embedding path matches, unseen ids included."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 30, size=(60, 8))
    X[::3, 5:] = 0
    y = (X[:, 0] > 15).astype(int)
    clf = RNNClassifier(**FAST, embedding_dim=6).fit(X, y)
    session = _session(clf, tmp_path)
    X_new = rng.randint(0, 60, size=(9, 20))
    inputs, _ = onnx_inputs(clf, X_new)
    assert inputs["X"].dtype == np.int64
    assert_allclose(session.run(None, inputs)[0], clf.predict_proba(X_new), atol=1e-5)


def test_to_onnx_regressor_multi_output(tmp_path):
    """Check that the exported regressor matches predict on the original scale."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 10, 2)).astype(np.float32)
    y = np.column_stack([1000 * X[:, -1, 0], X[:, :, 1].sum(1) - 50])
    reg = RNNRegressor(**FAST, num_layers=2, head_hidden_sizes=(5,)).fit(X, y)
    session = _session(reg, tmp_path)
    X_new = rng.normal(size=(13, 17, 2)).astype(np.float32)
    out = session.run(None, onnx_inputs(reg, X_new)[0])[0]
    assert_allclose(out, reg.predict(X_new), rtol=1e-5, atol=1e-3)


def test_to_onnx_forecaster(tmp_path):
    """Check that the exported forecaster matches predict and its quantiles."""
    rng = np.random.RandomState(0)
    t = np.arange(300)
    y = 500 + 2 * t + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(size=300)
    X = pd.DataFrame({"y": y, "month": t % 12})
    fc = SequenceForecaster(
        window=12, horizon=2, known_columns=["month"], quantiles=(0.1, 0.9), **FAST
    ).fit(X, y)
    session = _session(fc, tmp_path)
    inputs, rows = onnx_inputs(fc, X.iloc[:100])
    # The first horizon rows have no history, hence no window.
    np.testing.assert_array_equal(rows, np.arange(2, 100))
    out = session.run(None, inputs)[0]
    assert_allclose(out[:, 0], fc.predict(X.iloc[:100])[rows], rtol=1e-5)
    quantiles = np.sort(out[:, 1:], axis=1)
    assert_allclose(quantiles, fc.predict_quantiles(X.iloc[:100])[rows], rtol=1e-5)


def test_to_onnx_rejects_other_objects(tmp_path):
    """Check that exporting an unsupported or unfitted object raises clearly."""
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LinearRegression

    with pytest.raises(NotFittedError):
        to_onnx(RNNRegressor(), tmp_path / "m.onnx")
    lin = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="to_onnx takes a fitted RNNClassifier"):
        to_onnx(lin, tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="onnx_inputs takes a fitted RNNClassifier"):
        onnx_inputs(lin, [[0.0]])
    with pytest.raises(NotFittedError):
        onnx_inputs(RNNClassifier(), [[0.0]])
    pipe = make_pipeline(StandardScaler(), lin)
    with pytest.raises(TypeError, match="not LinearRegression"):
        onnx_inputs(pipe, [[0.0]])


def test_onnx_inputs_pipeline(tmp_path):
    """Check that onnx_inputs runs a Pipeline's first steps, so that the graph of
    its last step predicts like the Pipeline; to_onnx points there."""
    texts = ["good film", "bad film", "a good story", "awful plot", "good", "bad"]
    y = [1, 0, 1, 0, 1, 0]
    pipe = make_pipeline(TextTokenizer(), RNNClassifier(**FAST, embedding_dim=4))
    pipe.fit(texts * 5, y * 5)
    with pytest.raises(TypeError, match=r"to_onnx\(pipeline\[-1\], path\)"):
        to_onnx(pipe, tmp_path / "m.onnx")
    session = _session(pipe[-1], tmp_path)
    new = ["a good plot", "bad bad film unseen", "nothing known here"]
    inputs, rows = onnx_inputs(pipe, new)
    assert_array_equal(rows, np.arange(3))
    assert_allclose(session.run(None, inputs)[0], pipe.predict_proba(new), atol=1e-5)
    # Nested, and with a step left out.
    nested = Pipeline([("skip", "passthrough"), ("model", pipe)])
    for key, value in onnx_inputs(nested, new)[0].items():
        assert_array_equal(value, inputs[key])


def test_to_onnx_without_lengths_takes_x_alone(tmp_path):
    """Check that a graph exported with lengths=False runs on X alone."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 9, 2)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    clf = RNNClassifier(**FAST, conv_layers=1).fit(X, y)
    path = to_onnx(clf, tmp_path / "clf.onnx", lengths=False)
    session = ort.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == ["X"]
    X_new = rng.normal(size=(5, 14, 2)).astype(np.float32)
    inputs, _ = onnx_inputs(clf, X_new, lengths=False)
    assert list(inputs) == ["X"]
    assert_allclose(
        session.run(None, {"X": X_new})[0], clf.predict_proba(X_new), atol=1e-5
    )
    with pytest.raises(ValueError, match="different lengths"):
        onnx_inputs(clf, _ragged(4, 2, 6, seed=1), lengths=False)


def test_to_onnx_without_lengths_token_ids_padded_after(tmp_path):
    """Check that ids padded after the tokens need no lengths input."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 30, size=(60, 8))
    X[::3, 5:] = 0
    y = (X[:, 0] > 15).astype(int)
    clf = RNNClassifier(**FAST, embedding_dim=6).fit(X, y)
    path = to_onnx(clf, tmp_path / "ids.onnx", lengths=False)
    session = ort.InferenceSession(str(path))
    X_new = rng.randint(2, 30, size=(9, 12))
    X_new[::2, 7:] = 0
    assert_allclose(
        session.run(None, {"X": X_new})[0], clf.predict_proba(X_new), atol=1e-5
    )


def test_to_onnx_lengths_false_refused_for_forecaster(tmp_path):
    """Check that the forecaster's graph keeps its lengths input."""
    t = np.arange(80.0)
    est = SequenceForecaster(window=6, hidden_size=4, max_epochs=1, random_state=0)
    est.fit(np.sin(t / 3)[:, None], np.sin(t / 3))
    with pytest.raises(ValueError, match="lengths=False"):
        to_onnx(est, tmp_path / "f.onnx", lengths=False)
    with pytest.raises(ValueError, match="lengths=False"):
        onnx_inputs(est, np.sin(t / 3)[:, None], lengths=False)
