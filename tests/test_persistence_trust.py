# SPDX-License-Identifier: BSD-3-Clause
"""Tests of saving user-defined pieces by name, and loading them only if trusted."""

import sys
import textwrap
import uuid

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor, TextTokenizer
from sklearn_rnn.persistence import get_untrusted_types, load, save

pytest.importorskip("safetensors")

TINY = {"hidden_size": 4, "max_epochs": 2, "batch_size": 64, "random_state": 0}
TEXTS = ["The cat sat", "a Dog ran far", "the dog sat", "Cats and dogs", "a cat"] * 4


def shout(doc):
    """A custom tokenizer: upper-case words."""
    return doc.upper().split()


def double(X):
    return 2 * X


class MyAdam(torch.optim.Adam):
    pass


class Passthrough(BaseEstimator):
    def fit(self, X, y=None):
        self.seen_ = len(X)
        return self

    def transform(self, X):
        return X


def _round_trip(estimator, tmp_path, expected_names):
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    names = get_untrusted_types(path)
    assert names == sorted(expected_names)
    if names:
        with pytest.raises(ValueError, match="load\\(path, trusted="):
            load(path)
    return load(path, trusted=names)


def test_save_load_function_transformer_pipeline(tmp_path):
    """Check a FunctionTransformer with a module-level function, once trusted."""
    X = np.random.RandomState(0).normal(size=(10, 3))
    pipe = make_pipeline(FunctionTransformer(func=double), StandardScaler()).fit(X)
    loaded = _round_trip(
        pipe,
        tmp_path,
        [
            f"{__name__}.double",
            "sklearn.preprocessing._function_transformer.FunctionTransformer",
        ],
    )
    assert loaded[0].func is double
    assert_array_equal(loaded.transform(X), pipe.transform(X))


def test_save_load_custom_tokenizer(tmp_path):
    """Check a TextTokenizer with a custom tokenizer function, once trusted."""
    tok = TextTokenizer(tokenizer=shout, max_len=4).fit(TEXTS)
    loaded = _round_trip(tok, tmp_path, [f"{__name__}.shout"])
    assert loaded.tokenizer is shout
    assert loaded.vocabulary_ == tok.vocabulary_
    assert_array_equal(loaded.transform(TEXTS), tok.transform(TEXTS))


def test_save_load_grid_search(tmp_path):
    """Check a fitted GridSearchCV around an RNNClassifier: same predictions."""
    X = np.random.RandomState(0).normal(size=(24, 5, 2)).astype(np.float32)
    y = np.arange(24) % 2
    search = GridSearchCV(RNNClassifier(**TINY), {"hidden_size": [3, 4]}, cv=2)
    search.fit(X, y)
    path = tmp_path / "search.safetensors"
    save(search, path)
    names = get_untrusted_types(path)
    assert "sklearn.model_selection._search.GridSearchCV" in names
    loaded = load(path, trusted=names)
    assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    assert loaded.best_params_ == search.best_params_
    column = loaded.cv_results_["param_hidden_size"]
    assert type(column) is np.ma.MaskedArray
    assert_array_equal(column, search.cv_results_["param_hidden_size"])


@pytest.mark.parametrize(
    "estimator, names",
    [
        (RNNRegressor(optimizer=MyAdam), [f"{__name__}.MyAdam"]),
        (PCA(n_components=2), ["sklearn.decomposition._pca.PCA"]),
        (make_pipeline(Passthrough()), [f"{__name__}.Passthrough"]),
    ],
)
def test_save_load_classes_by_name(estimator, names, tmp_path):
    """Check that classes outside the allow-list round-trip once trusted."""
    loaded = _round_trip(estimator, tmp_path, names)
    assert repr(loaded) == repr(estimator)


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A module on sys.path that no one has imported yet, with a tokenizer."""
    name = f"sklearn_rnn_probe_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            def tokenize(doc):
                return doc.split()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_load_imports_nothing_untrusted(probe_module, tmp_path):
    """Check that a refused load imports no module, and partial trust is refused."""
    module = __import__(probe_module)
    tok = TextTokenizer(tokenizer=module.tokenize).fit(TEXTS)
    path = tmp_path / "tok.safetensors"
    save(tok, path)
    del sys.modules[probe_module]
    assert get_untrusted_types(path) == [f"{probe_module}.tokenize"]
    for trusted in (None, [], [f"{probe_module}.other"]):
        with pytest.raises(ValueError, match=f"'{probe_module}.tokenize'"):
            load(path, trusted=trusted)
        assert probe_module not in sys.modules
    loaded = load(path, trusted=[f"{probe_module}.tokenize"])
    assert probe_module in sys.modules
    assert_array_equal(loaded.transform(TEXTS), tok.transform(TEXTS))


def test_load_refuses_partial_trust(tmp_path):
    """Check that trusting some of a file's names is not enough, and says which."""
    pipe = make_pipeline(FunctionTransformer(func=double), PCA(n_components=1))
    pipe.fit(np.random.RandomState(0).normal(size=(6, 2)))
    path = tmp_path / "m"
    save(pipe, path)
    names = get_untrusted_types(path)
    assert len(names) == 3
    with pytest.raises(ValueError) as info:
        load(path, trusted=names[:1])
    assert all(name in str(info.value) for name in names[1:])
    assert names[0] not in str(info.value)


@pytest.mark.parametrize(
    "tokenizer",
    [lambda doc: doc.split(), "local", "".join],
    ids=["lambda", "local", "bound-method"],
)
def test_save_refuses_what_cannot_be_found_by_name(tokenizer, tmp_path):
    """Check that lambdas, local functions and bound methods are refused."""
    if tokenizer == "local":

        def tokenizer(doc):
            return doc.split()

    with pytest.raises(TypeError, match="cannot be found again by its name"):
        save(TextTokenizer(tokenizer=tokenizer), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_load_trusted_must_be_a_list_of_names(tmp_path):
    """Check that a single string is not taken for a list of names."""
    save(StandardScaler(), tmp_path / "m")
    with pytest.raises(TypeError, match="trusted must be a list of names"):
        load(tmp_path / "m", trusted="sklearn.decomposition._pca.PCA")
