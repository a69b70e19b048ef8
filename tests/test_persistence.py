# SPDX-License-Identifier: BSD-3-Clause
"""Tests of saving and loading estimators with sklearn_rnn.persistence."""

import io
import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal, assert_series_equal
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from skorch.history import History

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceForecaster,
    SequenceScaler,
    SequenceWindower,
    TextTokenizer,
    persistence,
)
from sklearn_rnn.persistence import FORMAT_VERSION, _load_optimizer, load, save
from sklearn_rnn.persistence._file import content_digest

safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402


def _save_signed(weights, path, metadata):
    """Write an edited file with the digest of its new content, as save would."""
    metadata = {**metadata, "digest": content_digest(metadata["estimator"], weights)}
    save_file(weights, path, metadata=metadata)


TINY = {"hidden_size": 4, "max_epochs": 2, "batch_size": 64, "random_state": 0}
TEXTS = ["the cat sat", "a dog ran far", "the dog sat", "cats and dogs", "a cat"] * 4


def _data(kind, n=24, seed=0):
    """Small inputs of the given kind: 3-D, 2-D table, ragged list or token ids."""
    rng = np.random.RandomState(seed)
    if kind == "3d":
        return rng.normal(size=(n, 5, 2)).astype(np.float32)
    if kind == "table":
        return rng.normal(size=(n, 6))
    if kind == "ragged":
        return [rng.normal(size=(rng.randint(2, 7), 2)) for _ in range(n)]
    return rng.randint(0, 9, size=(n, 6))


def _assert_params_equal(a, b):
    params_a, params_b = a.get_params(deep=False), b.get_params(deep=False)
    assert params_a.keys() == params_b.keys()
    for key, value in params_a.items():
        other = params_b[key]
        if isinstance(value, BaseEstimator):
            _assert_params_equal(value, other)
        elif isinstance(value, np.random.RandomState):
            assert_array_equal(value.get_state()[1], other.get_state()[1])
        elif key == "steps":
            assert [n for n, _ in value] == [n for n, _ in other]
            for (_, step), (_, step_other) in zip(value, other):
                _assert_params_equal(step, step_other)
        elif isinstance(value, (np.ndarray, torch.Tensor)):
            assert type(value) is type(other)
            assert_array_equal(np.asarray(value), np.asarray(other))
        else:
            assert type(value) is type(other), key
            assert value == other, key


def _round_trip(estimator, tmp_path, **kwargs):
    path = tmp_path / "model.safetensors"
    save(estimator, path, **kwargs)
    loaded = load(path)
    assert type(loaded) is type(estimator)
    _assert_params_equal(estimator, loaded)
    return loaded


def _assert_same_rnn(est, loaded, X):
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert_array_equal(loaded.transform(X), est.transform(X))
    for attr in ("n_features_in_", "n_iter_", "best_epoch_", "_fitted_architecture"):
        assert getattr(loaded, attr) == getattr(est, attr)
    assert_frame_equal(loaded.history_, est.history_)
    assert list(loaded.net_.history) == _epochs_only(est.net_.history)


def _epochs_only(history):
    """The history as save stores it: per-epoch records, no per-batch ones."""
    return [{**epoch, "batches": []} for epoch in history]


@pytest.mark.parametrize(
    "kind, labels",
    [
        ("3d", np.array(["down", "up"])),
        ("table", np.array([3, -1, 7], dtype=np.int32)),
        ("ragged", np.array([-1.0, 3.0])),
        ("ids", np.array(["x", "yy", "z"], dtype=object)),
        ("3d", np.array([False, True])),
    ],
)
def test_save_load_classifier_round_trip(kind, labels, tmp_path):
    """Check that a loaded classifier predicts identically, classes_ dtype kept."""
    X = _data(kind)
    y = labels[np.arange(len(X)) % len(labels)]
    clf = RNNClassifier(**TINY, class_weight="balanced").fit(X, y)
    loaded = _round_trip(clf, tmp_path)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert_array_equal(loaded.classes_, clf.classes_)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    _assert_same_rnn(clf, loaded, X)


@pytest.mark.parametrize("kind", ["3d", "table", "ragged", "ids"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_save_load_regressor_round_trip(kind, n_outputs, tmp_path):
    """Check that a loaded regressor predicts identically, single and multi-output."""
    X = _data(kind)
    y = np.random.RandomState(1).normal(size=(len(X), n_outputs)) * 50 + 3
    y = y[:, 0] if n_outputs == 1 else y
    reg = RNNRegressor(**TINY).fit(X, y)
    loaded = _round_trip(reg, tmp_path)
    assert loaded.predict(X).shape == y.shape
    _assert_same_rnn(reg, loaded, X)


def test_save_load_architecture_and_embeddings(tmp_path):
    """Check a bidirectional LSTM with head, projection and frozen embeddings."""
    X = _data("ids")
    y = np.arange(len(X)) % 2
    embeddings = np.random.RandomState(0).normal(size=(12, 3)).astype(np.float32)
    clf = RNNClassifier(
        **TINY,
        cell="lstm",
        bidirectional=True,
        num_layers=2,
        pooling="mean",
        head_hidden_sizes=(3,),
        projection_size=5,
        pretrained_embeddings=embeddings,
        freeze_embeddings=True,
    ).fit(X, y)
    loaded = _round_trip(clf, tmp_path)
    assert loaded.vocab_size_ == clf.vocab_size_ == 12
    assert not loaded.net_.module_.embedding.weight.requires_grad
    _assert_same_rnn(clf, loaded, X)


def test_save_load_conv_branch(tmp_path):
    """Check that the convolutional branch and its batch statistics round-trip."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 70, 2)).astype(np.float32)
    y = np.arange(len(X)) % 2
    reg = RNNRegressor(**TINY, conv_branch=True).fit(X, y.astype(float))
    assert reg.net_.module_.branch is not None
    loaded = _round_trip(reg, tmp_path)
    assert loaded.net_.module_.branch.stride == reg.net_.module_.branch.stride
    torch.testing.assert_close(
        loaded.net_.module_.branch.norms[0].running_mean,
        reg.net_.module_.branch.norms[0].running_mean,
    )
    _assert_same_rnn(reg, loaded, X)


def test_save_load_parameter_values(tmp_path):
    """Check optimizer classes, RandomState, devices and dict keys of any type."""
    X, y = _data("3d"), np.arange(24) % 3
    clf = RNNClassifier(
        **{**TINY, "random_state": np.random.RandomState(3)},
        optimizer=torch.optim.SGD,
        device=torch.device("cpu"),
        class_weight={np.int64(0): 1.0, 1: 2.5, 2: 1.0},
        clip_grad_norm=None,
    ).fit(X, y)
    loaded = _round_trip(clf, tmp_path)
    assert loaded.optimizer is torch.optim.SGD
    assert type(next(iter(loaded.class_weight))) is np.int64
    assert_array_equal(loaded.predict(X), clf.predict(X))


def test_save_load_pipelines(tmp_path):
    """Check a text pipeline and a windowing pipeline with a scikit-learn scaler."""
    text = make_pipeline(
        TextTokenizer(max_len=5), RNNClassifier(**TINY, embedding_dim=3)
    ).fit(TEXTS, np.arange(len(TEXTS)) % 2)
    loaded = _round_trip(text, tmp_path)
    new = ["the cat ran", "unknown words here"]
    assert_array_equal(loaded.predict_proba(new), text.predict_proba(new))

    rng = np.random.RandomState(0)
    table = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    series = make_pipeline(
        StandardScaler(),
        MinMaxScaler(),
        SequenceWindower(window=4),
        RNNRegressor(**TINY),
    ).fit(table, rng.normal(size=30))
    loaded = _round_trip(series, tmp_path)
    assert_array_equal(loaded.predict(table), series.predict(table))
    assert_array_equal(loaded[0].feature_names_in_, ["a", "b"])


@pytest.mark.parametrize(
    "transformer, X",
    [
        (TextTokenizer(tokenizer=str.split, max_len=3, min_freq=2), TEXTS),
        (TextTokenizer(analyzer="char", padding="pre"), TEXTS),
        (SequenceWindower(window=3), pd.DataFrame({"u": [1.0, 2, 3], "v": [4, 5, 6]})),
    ],
)
def test_save_load_transformers(transformer, X, tmp_path):
    """Check that loaded transformers transform identically, and unfitted ones load."""
    loaded = _round_trip(transformer, tmp_path)
    assert not hasattr(loaded, "n_features_in_")
    transformer.fit(X)
    loaded = _round_trip(transformer, tmp_path)
    assert_array_equal(loaded.transform(X), transformer.transform(X))
    for attr in ("vocabulary_", "feature_names_in_"):
        if hasattr(transformer, attr):
            assert_array_equal(getattr(loaded, attr), getattr(transformer, attr))


def test_save_load_plain_data_values(tmp_path):
    """Check that fitted attributes of plain data come back equal, types kept."""
    values = {
        "floats": [float("nan"), float("inf"), -float("inf"), 0.1, 10**30],
        "nested": ({"__tuple__": 1}, {3: "a", None: b"\x00\xff"}, [[], ()]),
        "scalars": [np.float32(0.1), np.str_("x"), np.bool_(True), np.uint64(2**63)],
        "arrays": [
            np.array(2.5),
            np.zeros((0, 3), dtype=np.int16),
            np.arange(3, dtype=">f8"),
            np.array([[1, "a"], [None, 2.5]], dtype=object),
            np.array([b"ab", b"c"]),
            np.array([2**64 - 1], dtype=np.uint64),
        ],
        "dtype": np.dtype("<U3"),
    }
    est = SequenceWindower().fit(np.zeros((3, 2)))
    est.extra_ = values
    loaded = _round_trip(est, tmp_path)
    assert repr(loaded.extra_) == repr(values)
    for array, other in zip(values["arrays"], loaded.extra_["arrays"]):
        assert array.dtype == other.dtype
        assert_array_equal(array, other)
    assert [type(v) for v in loaded.extra_["scalars"]] == [
        type(v) for v in values["scalars"]
    ]


@pytest.mark.parametrize("include_optimizer", [True, False])
def test_save_load_warm_start_continues(include_optimizer, tmp_path):
    """Check that warm_start training continues from the saved weights and state."""
    X, y = _data("3d"), np.arange(24) % 2
    # A schedule adds entries to the optimizer state; early stopping a score.
    clf = RNNClassifier(**TINY, lr_schedule="onecycle", early_stopping=True)
    clf.fit(X, y)
    loaded = _round_trip(clf, tmp_path, include_optimizer=include_optimizer)
    for est in (clf, loaded):
        est.set_params(warm_start=True, max_epochs=3).fit(X, y)
    assert loaded.n_iter_ == clf.n_iter_ == 5
    assert len(loaded.history_) == 5
    if include_optimizer:
        assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    else:
        assert not np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_save_load_lbfgs_warm_start_continues(tmp_path):
    """Check that LBFGS's flat state (over all parameters) saves and loads."""
    X, y = _data("3d"), np.arange(24) % 2
    clf = RNNClassifier(**TINY, optimizer=torch.optim.LBFGS, lr=0.5).fit(X, y)
    assert clf.net_.optimizer_.state
    loaded = _round_trip(clf, tmp_path)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    for est in (clf, loaded):
        est.set_params(warm_start=True, max_epochs=2).fit(X, y)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_load_refuses_flat_state_outside_lbfgs(tmp_path):
    """Check that only LBFGS's first parameter may hold flat state vectors."""
    X, y = _data("3d"), np.arange(24) % 2
    adam = RNNClassifier(**TINY).fit(X, y)
    lbfgs = RNNClassifier(**TINY, optimizer=torch.optim.LBFGS, lr=0.5).fit(X, y)
    for est, index, key in ((adam, 1, "exp_avg"), (lbfgs, 0, "old_dirs")):
        state = est.net_.optimizer_.state_dict()
        flat = sum(p.numel() for p in est.net_.module_.parameters())
        values = state["state"][index]
        values[key] = (
            [torch.zeros(flat + 1)] if key == "old_dirs" else torch.zeros(flat)
        )
        with pytest.raises(ValueError, match=f"state '{key}' of parameter {index}"):
            _load_optimizer(est.net_.optimizer_, state, "optimizer")


def test_save_load_device_override(tmp_path):
    """Check that load(device=...) replaces the device of the networks."""
    X, y = _data("3d"), np.arange(24) % 2
    clf = RNNClassifier(**TINY, device="cuda" if torch.cuda.is_available() else "cpu")
    clf.fit(X, y)
    save(make_pipeline(StandardScaler().fit(X[:, :, 0]), clf), tmp_path / "m")
    loaded = load(tmp_path / "m", device="cpu")
    assert loaded[-1].device == "cpu"
    assert next(loaded[-1].net_.module_.parameters()).device.type == "cpu"
    assert_array_equal(loaded[-1].predict(X), clf.predict(X))


def test_save_load_pickle_and_joblib_still_work(tmp_path):
    """Check that pickle and joblib round trips keep working beside save/load."""
    X, y = _data("ragged"), np.arange(24) % 2
    clf = RNNClassifier(**TINY).fit(X, y)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    for copy in (pickle.loads(pickle.dumps(clf)), joblib.load(buffer)):
        assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))


def test_load_uses_no_pickle(tmp_path, monkeypatch):
    """Check that loading never unpickles nor calls torch.load."""
    X, y = _data("3d"), np.arange(24) % 2
    save(RNNClassifier(**TINY).fit(X, y), tmp_path / "m")

    def forbidden(*args, **kwargs):
        raise AssertionError("unpickling on the load path")

    for module, name in [(pickle, "load"), (pickle, "loads"), (torch, "load")]:
        monkeypatch.setattr(module, name, forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    load(tmp_path / "m").predict(X)


class _MyAdam(torch.optim.Adam):
    pass


class _Custom(BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize(
    "estimator, match",
    [
        (TextTokenizer(tokenizer=lambda doc: doc.split()), "TextTokenizer.tokenizer"),
        (RNNRegressor(callbacks=[("x", object())]), "callbacks=None"),
        (TextTokenizer(token_pattern=np.datetime64("2020")), "datetime64"),
        (
            RNNClassifier(pretrained_embeddings=pd.DataFrame(np.ones((3, 2)))),
            "RNNClassifier.pretrained_embeddings: a pandas DataFrame",
        ),
        (
            SequenceForecaster(known_columns=pd.Index(["cal"])),
            "SequenceForecaster.known_columns: a pandas Index",
        ),
        (SequenceForecaster(quantiles=pd.Series([0.1, 0.9])), "a pandas Series"),
    ],
)
def test_save_refuses_unsupported_values(estimator, match, tmp_path):
    """Check that save refuses what it cannot store as data, naming it."""
    _assert_save_refused(estimator, TypeError, match, tmp_path)


def _assert_save_refused(estimator, error, match, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"previous")
    with pytest.raises(error, match=match):
        save(estimator, path)
    # The previous file is left as it was, with no temporary file beside it.
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_save_keeps_per_epoch_history_only(tmp_path):
    """Check that per-batch records are not stored, so long fits stay small."""
    X, y = _data("3d"), np.arange(24) % 2
    clf = RNNClassifier(**TINY, lr_schedule="onecycle").fit(X, y)
    original = list(clf.net_.history)
    # As after a long training: many batches per epoch (shared records keep
    # the test's memory small; the file would hold them one by one).
    batch = {"train_loss": 0.5, "train_batch_size": 24}
    clf.net_.history = History(
        [{**epoch, "batches": [batch] * 100_000} for epoch in original]
    )
    path = tmp_path / "m"
    save(clf, path)
    with safe_open(path, "pt") as file:
        header = file.metadata()["estimator"]
    assert len(header) < 20_000
    assert len(clf.net_.history[0]["batches"]) == 100_000
    loaded = load(path)
    assert list(loaded.net_.history) == _epochs_only(original)
    assert_frame_equal(loaded.history_, clf.history_)
    assert loaded.net_.history[:, "train_batch_count"] == [1, 1]
    # A warm start continues the epochs (and the schedule's batch count).
    loaded.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert loaded.n_iter_ == 3
    assert list(loaded.history_["epoch"]) == [1, 2, 3]
    assert len(loaded.net_.history[-1]["batches"]) == 1


@pytest.mark.parametrize("dtype", ["<U300", "<U20000"])
def test_save_load_wide_string_labels(dtype, tmp_path):
    """Check that labels of a wide fixed-width string dtype load, dtype kept."""
    X = _data("3d")
    y = np.array(["down", "up"], dtype=dtype)[np.arange(len(X)) % 2]
    clf = RNNClassifier(**TINY).fit(X, y)
    assert clf.classes_.dtype == np.dtype(dtype)
    loaded = _round_trip(clf, tmp_path)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert_array_equal(loaded.predict(X), clf.predict(X))


def test_save_load_memmap_parameter(tmp_path):
    """Check that a memory-mapped array parameter is saved as an array."""
    np.save(tmp_path / "emb.npy", np.random.RandomState(0).normal(size=(12, 3)))
    embeddings = np.load(tmp_path / "emb.npy", mmap_mode="r")
    assert type(embeddings) is np.memmap
    X = _data("ids")
    clf = RNNClassifier(**TINY, pretrained_embeddings=embeddings)
    clf.fit(X, np.arange(len(X)) % 2)
    save(clf, tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert type(loaded.pretrained_embeddings) is np.ndarray
    assert_array_equal(loaded.pretrained_embeddings, embeddings)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "estimator, match",
    [
        (
            make_pipeline(StandardScaler(), memory="cache"),
            "Cannot save Pipeline with memory='cache'.*set_params\\(memory=None\\)",
        ),
        (
            make_pipeline(make_pipeline(StandardScaler(), memory="cache")),
            "Cannot save Pipeline.steps\\['pipeline'\\] with memory",
        ),
        (Pipeline([]), "Cannot save Pipeline: invalid steps: The pipeline is empty"),
        (
            Pipeline([("a", StandardScaler()), ("a", RNNRegressor())]),
            "invalid steps: Names provided are not unique",
        ),
        (
            Pipeline([("a", "scale"), ("b", RNNRegressor())]),
            "invalid steps",
        ),
    ],
)
def test_save_refuses_invalid_estimators(estimator, match, tmp_path):
    """Check that save refuses, with a ValueError, what load would refuse."""
    _assert_save_refused(estimator, ValueError, match, tmp_path)


def test_save_refuses_strings_padded_beyond_what_load_reads(tmp_path, monkeypatch):
    """Check that save refuses the padded string arrays that load would refuse."""
    monkeypatch.setattr(persistence._arrays, "_MAX_PADDED_BYTES", 20_000)
    est = SequenceWindower().fit(np.zeros((3, 1)))
    est.extra_ = np.array(["a", "b"], dtype="<U2000")  # 16 000 bytes: kept
    loaded = _round_trip(est, tmp_path)
    assert loaded.extra_.dtype == est.extra_.dtype
    est.extra_ = np.array(["a", "b", "c"], dtype="<U2000")  # 24 000 bytes
    with pytest.raises(ValueError, match="Cannot save SequenceWindower.extra_: its"):
        save(est, tmp_path / "m")
    # A file that holds one anyway is refused on load too.
    est.extra_ = np.array(["a", "b", "c"])
    save(est, tmp_path / "m")
    with safe_open(tmp_path / "m", "pt") as file:
        meta = dict(file.metadata())
    meta["estimator"] = meta["estimator"].replace('"<U1"', '"<U2000"')
    _save_signed({}, tmp_path / "m", meta)
    with pytest.raises(ValueError, match="far wider than its longest value"):
        load(tmp_path / "m")


def test_save_load_metadata_requests(tmp_path):
    """Check that set_fit_request and the like survive a save and load."""
    X, y = _data("table"), np.arange(24) % 2
    weights = np.linspace(0.5, 1.5, len(X))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            RNNClassifier(**TINY)
            .set_fit_request(sample_weight="weights")
            .set_score_request(sample_weight=True),
        )
        pipe.fit(X, y, weights=weights)
        loaded = _round_trip(pipe, tmp_path)
        assert str(loaded.get_metadata_routing()) == str(pipe.get_metadata_routing())
        for est, other in zip(pipe, loaded):
            assert str(other.get_metadata_routing()) == str(est.get_metadata_routing())
        assert loaded.score(X, y, sample_weight=weights) == pipe.score(
            X, y, sample_weight=weights
        )
        # An unfitted estimator keeps its requests too.
        unfitted = RNNRegressor().set_fit_request(sample_weight=True)
        loaded = _round_trip(unfitted, tmp_path)
        assert loaded.get_metadata_routing().fit.requests == {"sample_weight": True}
    # Without requests, none is stored and the class defaults apply.
    assert "_metadata_request" not in vars(_round_trip(StandardScaler(), tmp_path))


def _edit_saved(estimator, tmp_path, edit):
    """Save ``estimator``, then apply ``edit`` to its JSON description."""
    path = tmp_path / "m"
    save(estimator, path)
    with safe_open(path, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    data = json.loads(meta["estimator"])
    edit(data["__estimator__"])
    meta["estimator"] = json.dumps(data)
    _save_signed(weights, path, meta)
    return path


def _array(values, dtype="<f8"):
    return {"__ndarray__": {"dtype": dtype, "shape": [len(values)], "data": values}}


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d.update(requests=[]), "expected a JSON dict"),
        (lambda d: d.update(requests={"fly": {}}), "unknown method 'fly'"),
        (
            lambda d: d.update(requests={"fit": {"sample_weight": "not valid"}}),
            "_metadata_request.fit",
        ),
        (
            lambda d: d.update(requests={"fit": {"sample_weight": 3}}),
            "invalid request 'sample_weight': 3",
        ),
        (
            lambda d: d.update(requests={"fit": {"sample_weight": "$UNUSED$"}}),
            "_metadata_request.fit",
        ),
    ],
)
def test_load_rejects_tampered_requests(edit, match, tmp_path):
    """Check that metadata requests read from a file are checked."""
    path = _edit_saved(StandardScaler(), tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)


_TABLE = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [0.0, 1.0, 1.0]})


@pytest.mark.parametrize(
    "estimator, edit, match",
    [
        (
            StandardScaler().fit(_TABLE),
            lambda d: d["state"].update(mean_=_array([0.0])),
            "mean_ must be a float array of n_features_in_ values",
        ),
        (
            StandardScaler().fit(_TABLE),
            lambda d: d["state"].update(scale_=None),
            "scale_ must be a float array",
        ),
        (
            MinMaxScaler().fit(_TABLE),
            lambda d: d["state"].update(n_features_in_=3),
            "must be a float array of n_features_in_ values",
        ),
        (
            MaxAbsScaler().fit(_TABLE),
            lambda d: d["state"].update(max_abs_=_array(["x", "y"], "<U1")),
            "max_abs_ must be a float array",
        ),
        (
            MaxAbsScaler().fit(_TABLE),
            lambda d: d["state"].update(n_samples_seen_=-1),
            "n_samples_seen_ must be a count",
        ),
        (
            RobustScaler().fit(_TABLE),
            lambda d: d["state"].update(n_features_in_=0),
            "n_features_in_ must be a positive int",
        ),
        (
            StandardScaler().fit(_TABLE),
            lambda d: d["state"].update(
                feature_names_in_=_array(["a", "b", "c"], "|O")
            ),
            "feature_names_in_ must hold n_features_in_ strings",
        ),
        (
            TextTokenizer().fit(TEXTS),
            lambda d: d["state"].update(vocabulary_={"cat": 2, "dog": 2}),
            "vocabulary_ must map tokens to distinct int ids",
        ),
        (
            TextTokenizer().fit(TEXTS),
            lambda d: d["state"].update(vocabulary_={"cat": 1}),
            "vocabulary_ must map",
        ),
        (
            TextTokenizer().fit(TEXTS),
            lambda d: d["state"].update(n_features_in_=2),
            "n_features_in_ must be 1",
        ),
        (
            SequenceWindower().fit(_TABLE),
            lambda d: d["state"].update(n_features_in_="2"),
            "n_features_in_ must be a positive int",
        ),
        (
            make_pipeline(StandardScaler(), MinMaxScaler()).fit(_TABLE),
            lambda d: d["params"]["steps"][1]["__tuple__"].__setitem__(
                0, "standardscaler"
            ),
            "Pipeline has invalid steps: Names provided are not unique",
        ),
        (
            make_pipeline(StandardScaler(), MinMaxScaler()).fit(_TABLE),
            lambda d: d["params"]["steps"][1]["__tuple__"][1]["__estimator__"][
                "state"
            ].update(data_min_=_array([0.0])),
            r"Pipeline.steps\['minmaxscaler'\] has an invalid fitted state: data_min_",
        ),
    ],
)
def test_load_rejects_inconsistent_transformers(estimator, edit, match, tmp_path):
    """Check that a transformer's or pipeline's fitted state is checked on load."""
    path = _edit_saved(estimator, tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)


@pytest.mark.parametrize(
    "scaler, fit_params",
    [
        (StandardScaler(with_mean=False, with_std=False), {}),
        (StandardScaler(with_std=False), {}),
        (StandardScaler(), {"sample_weight": np.array([1.0, 2.0, 0.5])}),
        (RobustScaler(with_centering=False, with_scaling=False), {}),
        (MinMaxScaler(), {}),
    ],
)
def test_save_load_scalers(scaler, fit_params, tmp_path):
    """Check that scalers in each of their fitted forms load, NaN-aware counts too."""
    for X in (_TABLE, _TABLE.where(_TABLE > 0.5).astype("float32")):
        scaler.fit(X, **fit_params)
        loaded = _round_trip(scaler, tmp_path)
        assert_array_equal(loaded.transform(X), scaler.transform(X))


def _nan_padded(n=6, seed=0):
    """3-D float32 sequences of 2 to 5 steps, padded with trailing NaN steps."""
    rng = np.random.RandomState(seed)
    X = rng.normal(5.0, 2.0, size=(n, 5, 2)).astype(np.float32)
    for i, length in enumerate(rng.randint(2, 6, size=n)):
        X[i, length:] = np.nan
    return X


def _assert_same_transform(scaler, loaded, X):
    out, back = scaler.transform(X), loaded.transform(X)
    if isinstance(out, list):
        assert len(out) == len(back)
        for a, b in zip(out, back):
            assert a.dtype == b.dtype
            assert_array_equal(a, b)
    else:
        assert out.dtype == back.dtype
        assert_array_equal(out, back)


@pytest.mark.parametrize(
    "scaler, X, fit_params",
    [
        (SequenceScaler(), _nan_padded(), {}),
        (SequenceScaler(), _data("ragged"), {}),
        (SequenceScaler(), _TABLE, {}),
        (SequenceScaler(with_mean=False), _data("3d"), {}),
        (SequenceScaler(with_std=False), _data("table"), {}),
        (SequenceScaler(with_mean=False, with_std=False), _nan_padded(), {}),
        (SequenceScaler(), _nan_padded(), {"sample_weight": [1, 2, 0, 1, 1, 3]}),
    ],
)
def test_save_load_sequence_scaler(scaler, X, fit_params, tmp_path):
    """Check that a SequenceScaler loads in each fitted form and transforms alike."""
    loaded = _round_trip(scaler, tmp_path)
    assert not hasattr(loaded, "n_features_in_")
    scaler.fit(X, **fit_params)
    loaded = _round_trip(scaler, tmp_path)
    _assert_same_transform(scaler, loaded, X)
    for attr in ("n_features_in_", "mean_", "var_", "scale_", "feature_names_in_"):
        if getattr(scaler, attr, None) is None:
            assert getattr(loaded, attr, None) is None
        else:
            assert_array_equal(getattr(loaded, attr), getattr(scaler, attr))


def test_save_load_sequence_scaler_pipeline(tmp_path):
    """Check a SequenceScaler + RNNRegressor pipeline on NaN-padded sequences."""
    X = _nan_padded(24)
    y = np.nansum(X[:, :, 0], axis=1)
    pipe = make_pipeline(SequenceScaler(), RNNRegressor(**TINY)).fit(X, y)
    loaded = _round_trip(pipe, tmp_path)
    assert_array_equal(loaded.predict(X), pipe.predict(X))


_SCALER_3D = SequenceScaler().fit(_nan_padded())


@pytest.mark.parametrize(
    "estimator, edit, match",
    [
        (
            _SCALER_3D,
            lambda d: d["state"].update(mean_=_array([0.0])),
            "mean_ must be a finite float64 array of one value per feature",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(scale_=_array([1.0, {"__float__": "nan"}])),
            "scale_ must be a finite float64 array",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(scale_=_array([1.0, 0.0])),
            "scale_ must be positive",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(var_=_array([1.0, -1.0])),
            "var_ must not be negative",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(var_=_array([1.0, 2.0], "<f4")),
            "var_ must be a finite float64 array",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(scale_=None),
            "scale_ must be a finite float64 array",
        ),
        (
            _SCALER_3D,
            lambda d: d["params"].update(with_mean=False),
            "mean_ must be None when it is not used",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(n_features_in_=3),
            "_n_step_features must be 1 for 2-D input, else n_features_in_",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(_fit_input_kind="ids"),
            "_fit_input_kind must be 'table' or 'sequences'",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].update(feature_names_in_=_array(["a", "b"], "|O")),
            "feature_names_in_ is defined only for 2-D input",
        ),
        (
            _SCALER_3D,
            lambda d: d["state"].pop("_n_step_features"),
            r"missing the fitted attribute\(s\) \['_n_step_features'\]",
        ),
        (
            SequenceScaler().fit(_TABLE),
            lambda d: d["state"].update(_n_step_features=2),
            "_n_step_features must be 1 for 2-D input",
        ),
        (
            SequenceScaler().fit(_TABLE),
            lambda d: d["state"].update(
                feature_names_in_=_array(["a", "b", "c"], "|O")
            ),
            "feature_names_in_ must hold n_features_in_ strings",
        ),
        (
            SequenceScaler().fit(_TABLE),
            lambda d: d["params"].update(with_std="yes"),
            "SequenceScaler has an invalid parameter",
        ),
    ],
)
def test_load_rejects_inconsistent_sequence_scaler(estimator, edit, match, tmp_path):
    """Check that a SequenceScaler's fitted state is checked on load."""
    path = _edit_saved(estimator, tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory):
    """A file holding a fitted TextTokenizer + RNNClassifier pipeline."""
    pipe = make_pipeline(
        TextTokenizer(),
        RNNClassifier(**TINY, embedding_dim=3, optimizer=torch.optim.SGD),
    )
    path = tmp_path_factory.mktemp("saved") / "pipe.safetensors"
    save(pipe.fit(TEXTS, np.arange(len(TEXTS)) % 2), path)
    return path


def _rewrite(source, target, payload=None, tensors=None, metadata=None):
    """Copy a saved file, editing its JSON payload, tensors or metadata."""
    with safe_open(source, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    if payload is not None:
        data = json.loads(meta["estimator"])
        payload(data["__estimator__"]["params"]["steps"][1])
        meta["estimator"] = json.dumps(data)
    if tensors is not None:
        tensors(weights)
    if metadata is not None:
        metadata(meta)
    _save_signed(weights, target, meta)
    return target


def _clf(data):
    return data["__tuple__"][1]["__estimator__"]


def _set_weight(weights, shape=None, dtype=torch.float32):
    key = next(k for k in weights if k.endswith("head.0.weight"))
    weights[key] = torch.zeros(shape or weights[key].shape, dtype=dtype)


@pytest.mark.parametrize(
    "payload, tensors, match",
    [
        (lambda d: _clf(d).update({"class": "os.system"}), None, "class 'os.system'"),
        (
            lambda d: _clf(d)["params"].update(
                {"optimizer": {"__ref__": "builtins.eval"}}
            ),
            None,
            "'builtins.eval', which is not an allowed",
        ),
        (
            lambda d: _clf(d)["params"].update({"optimizer": {"__pickle__": "x"}}),
            None,
            "unknown tag '__pickle__'",
        ),
        (lambda d: _clf(d)["params"].update({"shell": 1}), None, "unknown parameter"),
        (
            lambda d: _clf(d)["params"].update({"hidden_size": -1}),
            None,
            "invalid param",
        ),
        (lambda d: _clf(d)["state"].pop("classes_"), None, "missing the fitted"),
        (
            lambda d: _clf(d)["state"].update({"__class__": 1}),
            None,
            "invalid attribute",
        ),
        (lambda d: _clf(d)["state"].update({"predict": 1}), None, "invalid attribute"),
        (lambda d: _clf(d).pop("net"), None, "no network"),
        (
            lambda d: _clf(d)["state"]["_fitted_architecture"].update(
                {"hidden_size": 5}
            ),
            None,
            "weight 'rnn.weight_ih_l0' has shape",
        ),
        (
            lambda d: _clf(d)["state"]["_fitted_architecture"].update(
                {"num_layers": 10**40}
            ),
            None,
            "does not match the 7 saved weights",
        ),
        (
            lambda d: _clf(d)["state"]["_fitted_architecture"].update(
                {"hidden_size": 10**6}
            ),
            None,
            "weight 'rnn.weight_ih_l0' has shape",
        ),
        (None, lambda w: _set_weight(w, shape=(2, 7)), r"shape \(2, 7\)"),
        (None, lambda w: _set_weight(w, dtype=torch.float64), "torch.float64"),
        (None, lambda w: w.update({"extra": torch.zeros(1)}), "does not use"),
        (None, lambda w: w.pop(next(iter(w))), "missing from the file"),
        (
            lambda d: _clf(d)["net"]["optimizer"].update({"param_groups": []}),
            None,
            "number of parameter groups",
        ),
        (lambda d: _clf(d)["net"].update({"history": {"a": 1}}), None, "history must"),
        (
            lambda d: _clf(d)["state"].update(
                {"classes_": {"__ndarray__": {"dtype": "<M8[s]", "shape": [1]}}}
            ),
            None,
            "unsupported dtype",
        ),
        (
            lambda d: _clf(d)["state"].update(
                {
                    "classes_": {
                        "__ndarray__": {"dtype": "<i8", "shape": [3], "data": [0, 1, 2]}
                    }
                }
            ),
            None,
            "one label per network output",
        ),
        (
            lambda d: _clf(d)["state"].update(
                {
                    "classes_": {
                        "__ndarray__": {
                            "dtype": "<U50000000",
                            "shape": [2],
                            "data": ["a", "b"],
                        }
                    }
                }
            ),
            None,
            "far wider than its longest value",
        ),
        (
            lambda d: _clf(d)["state"].update({"_n_step_features": 3}),
            None,
            "features per step",
        ),
        (
            lambda d: _clf(d)["state"].update({"n_iter_": "many"}),
            None,
            "n_iter_ must be an int",
        ),
        (
            lambda d: _clf(d)["state"].update({"_fit_input_kind": "banana"}),
            None,
            "unknown input kind",
        ),
    ],
)
def test_load_rejects_tampered_file(saved_pipeline, payload, tensors, match, tmp_path):
    """Check that an edited file raises a ValueError naming the problem."""
    path = _rewrite(saved_pipeline, tmp_path / "m", payload=payload, tensors=tensors)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_load_rejects_pipeline_memory(saved_pipeline, tmp_path):
    """Check that a file cannot point a Pipeline at a (pickle) cache directory."""
    with safe_open(saved_pipeline, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    data = json.loads(meta["estimator"])
    data["__estimator__"]["params"]["memory"] = str(tmp_path / "cache")
    meta["estimator"] = json.dumps(data)
    _save_signed(weights, tmp_path / "m", meta)
    with pytest.raises(ValueError, match="memory=None"):
        load(tmp_path / "m")


def test_load_rejects_optimizer_state_of_wrong_shape(saved_pipeline, tmp_path):
    """Check that optimizer state tensors are checked against the weights."""
    with safe_open(saved_pipeline, "pt") as file:
        state = json.loads(file.metadata()["estimator"])
    optimizer = _clf(state["__estimator__"]["params"]["steps"][1])["net"]["optimizer"]
    momentum = {"__tensor__": "momentum"}
    optimizer["state"] = {"__items__": [[0, {"momentum_buffer": momentum}]]}

    def edit(weights):
        weights["momentum"] = torch.zeros(3, 3)

    def payload(data):
        _clf(data)["net"]["optimizer"] = optimizer

    path = _rewrite(saved_pipeline, tmp_path / "m", payload=payload, tensors=edit)
    with pytest.raises(ValueError, match="momentum_buffer"):
        load(path)


def test_load_rejects_foreign_truncated_and_version(saved_pipeline, tmp_path):
    """Check files that are truncated, not ours, or of another format version."""
    data = saved_pipeline.read_bytes()
    cases = {
        "truncated": data[: len(data) - 10],
        "empty": b"",
        "pickle": pickle.dumps({"a": 1}),
        "header only": data[:200],
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match="not a sklearn_rnn model file"):
            load(path)

    save_file({"w": torch.zeros(2)}, tmp_path / "foreign", metadata={"a": "b"})
    with pytest.raises(ValueError, match="without the sklearn_rnn metadata"):
        load(tmp_path / "foreign")

    def newer(meta):
        meta["format_version"] = str(FORMAT_VERSION + 1)

    path = _rewrite(saved_pipeline, tmp_path / "newer", metadata=newer)
    with pytest.raises(ValueError, match=f"format version '{FORMAT_VERSION + 1}'"):
        load(path)

    def garbled(meta):
        meta["estimator"] = meta["estimator"][:-5]

    path = _rewrite(saved_pipeline, tmp_path / "garbled", metadata=garbled)
    with pytest.raises(ValueError, match="unreadable estimator description"):
        load(path)


def test_load_warns_on_other_library_version(saved_pipeline, tmp_path):
    """Check that a file from another sklearn_rnn version loads with a warning."""

    def older(meta):
        meta["sklearn_rnn_version"] = "0.0.1"

    path = _rewrite(saved_pipeline, tmp_path / "older", metadata=older)
    with pytest.warns(UserWarning, match="written by sklearn_rnn 0.0.1"):
        pipe = load(path)
    assert pipe.predict(TEXTS).shape == (len(TEXTS),)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_load_cuda_model_without_cuda(saved_pipeline, tmp_path):
    """Check that a GPU model on a CPU-only machine points to device='cpu'."""

    def on_cuda(data):
        _clf(data)["params"]["device"] = "cuda"

    path = _rewrite(saved_pipeline, tmp_path / "cuda", payload=on_cuda)
    with pytest.raises(ValueError, match="load\\(..., device='cpu'\\)"):
        load(path)
    assert load(path, device="cpu")[-1].device == "cpu"


def test_load_meta_device_raises(saved_pipeline):
    """Check that load(device='meta') is refused, not deferred to predict."""
    with pytest.raises(ValueError, match="device='meta' holds no data"):
        load(saved_pipeline, device="meta")


# -- SequenceForecaster -------------------------------------------------------


def _series_frame(index, seed=0):
    """A table indexed by ``index``: the observed target and a known column."""
    t = np.arange(len(index))
    rng = np.random.RandomState(seed)
    load = 100 + t + 10 * np.sin(t / 2) + rng.normal(size=len(t))
    return pd.DataFrame({"load": load, "cal": t % 2.0}, index=index)


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2024-01-01", periods=40, freq="h"),
        # Frequency inferred, time zone kept.
        pd.DatetimeIndex(list(pd.date_range("2024-03-30", periods=40, freq="D")))
        .tz_localize("Europe/Paris")
        .as_unit("ns"),
        pd.period_range("2020-01", periods=40, freq="M"),
        None,
    ],
    ids=["hourly", "daily-tz-inferred", "monthly-period", "array"],
)
def test_save_load_forecaster_round_trip(index, tmp_path):
    """Check forecast, predict and quantiles of a loaded forecaster, index kept."""
    X = _series_frame(range(40) if index is None else index)
    y = X["load"]
    if index is None:
        X, y = X.to_numpy(), y.to_numpy()
    fc = SequenceForecaster(
        window=4, horizon=2, known_columns=1, quantiles=(0.1, 0.5, 0.9), **TINY
    ).fit(X, y)
    loaded = _round_trip(fc, tmp_path)
    future = X[:5]
    out = fc.forecast(5, X_future=future)
    if index is None:
        assert_array_equal(loaded.forecast(5, X_future=future), out)
    else:
        assert isinstance(out, pd.Series) and out.name == "load"
        assert_series_equal(loaded.forecast(5, X_future=future), out)
        assert_array_equal(loaded.feature_names_in_, fc.feature_names_in_)
    for got, expected in zip(
        loaded.forecast(2, X_future=future[:2], return_quantiles=True),
        fc.forecast(2, X_future=future[:2], return_quantiles=True),
    ):
        assert_array_equal(np.asarray(got), np.asarray(expected))
    assert_array_equal(loaded.predict(X), fc.predict(X))
    assert_array_equal(loaded.predict_quantiles(X), fc.predict_quantiles(X))
    assert_array_equal(loaded.predict_interval(X), fc.predict_interval(X))
    assert loaded._global_stats.center == fc._global_stats.center
    assert type(loaded._global_stats) is type(fc._global_stats)
    assert loaded._series_clock == fc._series_clock
    assert_frame_equal(loaded.history_, fc.history_)


@pytest.mark.parametrize("ids", [["a", "b", "c"], [7, -1, 3]])
def test_save_load_forecaster_several_series(ids, tmp_path):
    """Check a forecaster of several series: each one continues identically."""
    index = pd.date_range("2024-01-01", periods=30, freq="D")
    parts = [
        _series_frame(index, seed=i).assign(id=key, load=lambda d, i=i: d.load * i)
        for i, key in enumerate(ids, start=1)
    ]
    X = pd.concat(parts).drop(columns="cal")
    fc = SequenceForecaster(window=4, series_column="id", **TINY).fit(X, X["load"])
    loaded = _round_trip(fc, tmp_path)
    assert_array_equal(loaded.series_ids_, fc.series_ids_)
    assert loaded.series_ids_.dtype == object
    assert_array_equal(loaded.predict(X), fc.predict(X))
    for key in ids:
        assert_series_equal(loaded.forecast(3, series=key), fc.forecast(3, series=key))
    history = X[X["id"] == ids[1]]
    assert_series_equal(
        loaded.forecast(2, history=history), fc.forecast(2, history=history)
    )
    with pytest.raises(ValueError, match="series=<id>"):
        loaded.forecast(3)


def test_save_load_forecaster_warm_start_continues(tmp_path):
    """Check that warm_start training of a loaded forecaster continues identically."""
    X = _series_frame(pd.date_range("2024-01-01", periods=40, freq="h"))
    fc = SequenceForecaster(window=4, known_columns="cal", quantiles=(0.2, 0.8), **TINY)
    fc.fit(X, X["load"])
    loaded = _round_trip(fc, tmp_path)
    for est in (fc, loaded):
        est.set_params(warm_start=True, max_epochs=2).fit(X[:30], X["load"][:30])
    assert loaded.n_iter_ == fc.n_iter_ == 4
    assert_array_equal(loaded.predict_quantiles(X), fc.predict_quantiles(X))
    # The scaling of the first fit is kept; the tails are those of the last.
    assert loaded._global_stats.scale == fc._global_stats.scale
    future = X[:3]
    assert_series_equal(
        loaded.forecast(3, X_future=future), fc.forecast(3, X_future=future)
    )


def test_save_load_forecaster_in_pipeline(tmp_path):
    """Check a pipeline of a scikit-learn scaler and a forecaster."""
    X = _series_frame(range(40))
    pipe = make_pipeline(
        StandardScaler(), SequenceForecaster(window=4, target_column=None, **TINY)
    ).fit(X, X["load"])
    loaded = _round_trip(pipe, tmp_path)
    assert_array_equal(loaded.predict(X), pipe.predict(X))
    assert loaded[-1].normalize_ == "none"


def test_save_load_pandas_time_values(tmp_path):
    """Check time stamps, periods and frequencies, and refuse inexact ones."""
    values = [
        pd.Timestamp("2024-01-02 03:04:05.000000006"),
        pd.Timestamp("2024-01-02", tz="UTC").as_unit("s"),
        pd.Timestamp("2024-07-01 12:00", tz="America/Argentina/Buenos_Aires"),
        pd.Timestamp("2024-01-02 03:00+05:30"),
        pd.Period("2024-03", freq="M"),
        pd.Period("2024-03-01 10:00", freq="2h"),
        pd.Period("2024Q1", freq="Q-MAR"),
        *(
            pd.tseries.frequencies.to_offset(freq)
            for freq in ("h", "15min", "2D", "B", "W-SUN", "MS", "QS-JAN")
        ),
    ]
    est = SequenceWindower().fit(np.zeros((3, 2)))
    est.extra_ = {value: [value] for value in values}
    loaded = _round_trip(est, tmp_path)
    assert list(loaded.extra_) == values
    for value, (key, (item,)) in zip(values, loaded.extra_.items()):
        for got in (key, item):
            assert type(got) is type(value)
            assert str(getattr(got, "tz", None)) == str(getattr(value, "tz", None))
            assert getattr(got, "unit", None) == getattr(value, "unit", None)

    holidays = pd.offsets.CustomBusinessDay(holidays=["2024-01-03"])
    for value, match in [
        (holidays, "cannot be stored exactly"),
        (pd.DateOffset(months=1, days=2), "cannot be stored exactly"),
        (pd.NaT, "NaTType"),
        (pd.Timedelta("1h"), "Timedelta"),
    ]:
        est.extra_ = {"value": value}
        with pytest.raises(TypeError, match=match):
            save(est, tmp_path / "refused")


@pytest.fixture(scope="module")
def saved_forecaster(tmp_path_factory):
    """A file holding a fitted forecaster of a tz-aware hourly series."""
    index = pd.date_range("2024-01-01", periods=30, freq="h", tz="Europe/Paris")
    X = _series_frame(index)
    fc = SequenceForecaster(window=4, quantiles=(0.1, 0.9), **TINY)
    path = tmp_path_factory.mktemp("saved") / "forecaster.safetensors"
    save(fc.fit(X, X["load"]), path)
    return path


def _stats(state):
    return state["_global_stats"]["__namedtuple__"]


def _last(state):
    return state["_series_clock"]["__items__"][0][1]["__tuple__"]


def _set_time(kind, body):
    def edit(state):
        _last(state)[0] = {kind: body}

    return edit


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda s: _stats(s)["fields"].pop("scale"), "with fields"),
        (lambda s: _stats(s)["fields"].update(extra=1), "with fields"),
        (
            lambda s: _stats(s).update(
                fields=dict(reversed(_stats(s)["fields"].items()))
            ),
            "with fields",
        ),
        (lambda s: _stats(s)["fields"].update(center="x"), "invalid _Stats"),
        (lambda s: _stats(s)["fields"].update(scale=-1.0), "invalid _Stats"),
        (
            lambda s: _stats(s)["fields"].update(scale={"__float__": "nan"}),
            "invalid _Stats",
        ),
        (lambda s: _stats(s)["fields"].update(fallback=[1.0]), "invalid _Stats"),
        (lambda s: _stats(s).update(type="os.system"), "type 'os.system'"),
        (lambda s: _stats(s).update(code="x"), "invalid named tuple"),
        (lambda s: _last(s).__setitem__(1, {"__offset__": "nope"}), "unknown freq"),
        (lambda s: _last(s).__setitem__(1, {"__offset__": 3}), "expected a JSON str"),
        (
            _set_time("__timestamp__", {"iso": "x", "unit": "us", "tz": None}),
            "invalid time stamp",
        ),
        (
            _set_time("__timestamp__", {"iso": "NaT", "unit": "us", "tz": None}),
            "invalid time stamp",
        ),
        (
            _set_time(
                "__timestamp__",
                {"iso": "2024-01-01T00:00:00+01:00", "unit": "us", "tz": "../x"},
            ),
            "invalid time stamp",
        ),
        (
            _set_time(
                "__timestamp__",
                {"iso": "2024-01-01T00:00:00+01:00", "unit": "us", "tz": "No/Zone"},
            ),
            "invalid time stamp",
        ),
        (
            _set_time("__timestamp__", {"iso": "2024-01-01", "unit": "D", "tz": None}),
            "invalid time stamp",
        ),
        (_set_time("__period__", {"ordinal": 1, "freq": "nope"}), "invalid period"),
        (_set_time("__period__", {"ordinal": "1", "freq": "M"}), "invalid period"),
        (lambda s: _last(s).append(None), "_series_clock must map"),
        (lambda s: s["_series_clock"]["__items__"].clear(), "_series_clock must map"),
        (lambda s: s.update(_n_outputs=2), "_n_outputs does not match"),
        (lambda s: s.update(normalize_="both"), "normalize_"),
        (lambda s: s.update(target_column_=5), "target_column_"),
        (lambda s: s.update(_known_channels=[3]), "_known_channels"),
        (lambda s: s.pop("_series_tails"), "missing the fitted"),
        (lambda s: s.update(window_=-3), "window_ must be a positive int"),
        (lambda s: s.update(horizon_="x"), "horizon_ must be a positive int"),
        (lambda s: s.update(_series_pos=7), "_series_pos must be a column"),
        (
            lambda s: s.pop("window_"),
            r"missing the fitted attribute\(s\) \['window_'\]",
        ),
    ],
)
def test_load_rejects_tampered_forecaster(saved_forecaster, edit, match, tmp_path):
    """Check that an edited forecaster file raises a ValueError naming the problem."""
    with safe_open(saved_forecaster, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    data = json.loads(meta["estimator"])
    edit(data["__estimator__"]["state"])
    meta["estimator"] = json.dumps(data)
    path = tmp_path / "m"
    _save_signed(weights, path, meta)
    with pytest.raises(ValueError, match=match):
        load(path)


@pytest.mark.parametrize("input_norm", [None, "global", "sequence"])
def test_save_load_front_end_and_training_settings(tmp_path, input_norm):
    """Check that convolutions, input statistics and batch size round-trip."""
    rng = np.random.RandomState(0)
    X = [3.0 + 4.0 * rng.normal(size=(rng.randint(70, 140), 2)) for _ in range(40)]
    y = np.arange(40) % 2
    est = RNNClassifier(
        hidden_size=4, max_epochs=2, input_norm=input_norm, random_state=0
    ).fit(X, y)
    assert est._fitted_architecture["conv_layers"] == 1
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded._fitted_architecture == est._fitted_architecture
    assert loaded.net_.batch_size == est.net_.batch_size == 8
    assert loaded.net_.criterion_.label_smoothing == 0.1
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    if input_norm is not None:
        assert_array_equal(
            loaded.net_.module_.input_scale, est.net_.module_.input_scale
        )


def test_load_refuses_format_version_1(saved_pipeline, tmp_path):
    """Check that a file of format version 1 is refused, naming both versions."""

    def version_1(meta):
        meta["format_version"] = "1"

    path = _rewrite(saved_pipeline, tmp_path / "v1", metadata=version_1)
    with pytest.raises(
        ValueError,
        match="written with file format version '1'.*reads format version 2 only"
        ".*re-save it with save",
    ):
        load(path)


def test_load_checks_fitted_state_before_building_the_network(tmp_path):
    """Check a bad fitted attribute is named, not met while building the net."""
    y = np.sin(np.arange(60.0) / 3)
    est = SequenceForecaster(
        window=4, hidden_size=4, max_epochs=1, quantiles=(0.1, 0.9), random_state=0
    ).fit(y[:, None], y)
    path = tmp_path / "f.safetensors"
    save(est, path)
    with safe_open(path, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    data = json.loads(meta["estimator"])
    data["__estimator__"]["state"]["quantiles_"] = [0.1, 0.9]
    meta["estimator"] = json.dumps(data)
    _save_signed(weights, tmp_path / "edited", meta)
    with pytest.raises(ValueError, match="quantiles_"):
        load(tmp_path / "edited")
