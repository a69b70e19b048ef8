# SPDX-License-Identifier: BSD-3-Clause
"""TextTokenizer, and texts and token ids through the estimators' embedding path."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import CHEAP_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_rnn import RNNClassifier, RNNRegressor, TextTokenizer

# Tiny nets on the embedding path.
TEXT_PARAMS = {**CHEAP_PARAMS, "embedding_dim": 8}

# "a" three times, "b" and "c" twice (a tie), "d" once.
CORPUS = ["b a c a", "c a b d"]
CORPUS_VOCABULARY = {"a": 2, "b": 3, "c": 4, "d": 5}

_FILLERS = ["the", "movie", "was", "plot", "actors", "film", "story", "really"]
_POSITIVE = ["good", "great"]
_NEGATIVE = ["bad", "awful"]


def _sentiment_corpus(n_samples, seed):
    """Short reviews whose label (1 positive, 0 negative) is set by one word.

    Every review holds "the" and "movie", so that these are the two most
    frequent tokens and a vocabulary of two tokens carries no label.
    """
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    for i in range(n_samples):
        label = i % 2
        words = ["the", "movie", *rng.choice(_FILLERS, size=rng.randint(1, 6))]
        rng.shuffle(words)
        word = rng.choice(_POSITIVE if label else _NEGATIVE)
        words.insert(rng.randint(len(words) + 1), str(word))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


def _id_sequences(n_samples, seed, vocab_size=10):
    """Ragged lists of token ids in [2, vocab_size) and a label set by id 2."""
    rng = np.random.RandomState(seed)
    X = [
        list(rng.randint(2, vocab_size, size=rng.randint(1, 9)))
        for _ in range(n_samples)
    ]
    y = np.array([int(2 in seq) for seq in X])
    return X, y


def _post_padded(sequences, width):
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    for i, seq in enumerate(sequences):
        ids[i, : len(seq)] = seq
    return ids


@pytest.fixture(scope="module")
def sentiment_pipeline():
    """A tokenizer + LSTM pipeline fitted on the training reviews."""
    texts, y = _sentiment_corpus(80, seed=0)
    pipe = make_pipeline(
        TextTokenizer(max_len=50), RNNClassifier(cell="lstm", **TEXT_PARAMS)
    )
    return pipe.fit(texts, y)


# -- TextTokenizer ------------------------------------------------------------


def test_text_tokenizer_vocabulary_order():
    """Check that ids go by frequency, then token, from 2, whatever the order."""
    tok = TextTokenizer().fit(CORPUS)
    assert list(tok.vocabulary_.items()) == list(CORPUS_VOCABULARY.items())
    reordered = TextTokenizer().fit([CORPUS[1], CORPUS[0]])
    assert list(reordered.vocabulary_.items()) == list(CORPUS_VOCABULARY.items())


def test_text_tokenizer_transform_maps_unknown_tokens_to_oov():
    """Check that tokens not seen in fit become id 1 and padding is id 0."""
    tok = TextTokenizer(max_len=5).fit(CORPUS)
    assert_array_equal(tok.transform(["d zebra a"]), [[5, 1, 2, 0, 0]])
    assert_array_equal(tok.transform(["zebra yak"]), [[1, 1, 0, 0, 0]])


@pytest.mark.parametrize(
    "lowercase, expected",
    [
        (True, {"the": 2, "cat": 3}),
        (False, {"THE": 2, "The": 3, "cat": 4, "the": 5}),
    ],
)
def test_text_tokenizer_lowercase(lowercase, expected):
    """Check that lowercase merges the cases, and keeps them apart when off."""
    tok = TextTokenizer(lowercase=lowercase).fit(["The the THE cat"])
    assert tok.vocabulary_ == expected
    if lowercase:
        assert_array_equal(tok.transform(["CAT The"]), [[3, 2]])
    else:
        assert_array_equal(tok.transform(["CAT The"]), [[1, 3]])


@pytest.mark.parametrize(
    "token_pattern, expected",
    [
        (r"(?u)\b\w+\b", {"ab", "cd", "ef1", "x"}),
        (r"\S+", {"ab-cd", "ef1", "x"}),
        (r"[a-z]+", {"ab", "cd", "ef", "x"}),
        # One group: its match is the token, as in CountVectorizer.
        (r"([a-z])[a-z]", {"a", "c", "e"}),
    ],
)
def test_text_tokenizer_token_pattern(token_pattern, expected):
    """Check that token_pattern decides what a token is (one letter included)."""
    tok = TextTokenizer(token_pattern=token_pattern).fit(["ab-cd ef1 x"])
    assert set(tok.vocabulary_) == expected


def test_text_tokenizer_callable_tokenizer():
    """Check that a callable tokenizer replaces token_pattern, after lowercasing."""
    seen = []

    def split(doc):
        seen.append(doc)
        return doc.split()

    tok = TextTokenizer(tokenizer=split, token_pattern=r"[a-z]").fit(["Hi, World hi,"])
    assert seen == ["hi, world hi,"]
    assert tok.vocabulary_ == {"hi,": 2, "world": 3}
    assert_array_equal(tok.transform(["world hi"]), [[3, 1]])


def test_text_tokenizer_char_analyzer():
    """Check that analyzer="char" makes every character, space included, a token."""
    tok = TextTokenizer(analyzer="char").fit(["Abca b"])
    assert tok.vocabulary_ == {"a": 2, "b": 3, " ": 4, "c": 5}
    assert_array_equal(tok.transform(["cab!"]), [[5, 2, 3, 1]])


@pytest.mark.parametrize(
    "min_freq, expected", [(1, CORPUS_VOCABULARY), (2, {"a": 2, "b": 3, "c": 4})]
)
def test_text_tokenizer_min_freq(min_freq, expected):
    """Check that min_freq drops tokens seen fewer times in fit."""
    tok = TextTokenizer(min_freq=min_freq).fit(CORPUS)
    assert tok.vocabulary_ == expected


@pytest.mark.parametrize(
    "max_vocab, expected",
    [(1, {"a": 2}), (2, {"a": 2, "b": 3}), (10, CORPUS_VOCABULARY)],
)
def test_text_tokenizer_max_vocab(max_vocab, expected):
    """Check that max_vocab keeps the most frequent tokens, ties by token."""
    tok = TextTokenizer(max_vocab=max_vocab).fit(CORPUS)
    assert tok.vocabulary_ == expected
    assert_array_equal(
        tok.transform(["d c b a"])[0], [expected.get(t, 1) for t in "dcba"]
    )


@pytest.mark.parametrize(
    "truncating, long_expected", [("post", [2, 3, 4]), ("pre", [4, 5, 6])]
)
@pytest.mark.parametrize(
    "padding, short_expected", [("post", [2, 3, 0]), ("pre", [0, 2, 3])]
)
def test_text_tokenizer_max_len(truncating, long_expected, padding, short_expected):
    """Check that max_len cuts long documents and pads short ones at the right end."""
    tok = TextTokenizer(max_len=3, truncating=truncating, padding=padding)
    tok.fit(["a b c d e"])
    ids = tok.transform(["a b c d e", "a b", "a b c", ""])
    assert_array_equal(ids, [long_expected, short_expected, [2, 3, 4], [0, 0, 0]])


@pytest.mark.parametrize("max_len", [None, 1, 6])
def test_text_tokenizer_output_dtype_and_shape(max_len):
    """Check that transform returns a 2-D int64 array, one row per document."""
    ids = TextTokenizer(max_len=max_len).fit(CORPUS).transform(CORPUS + ["a"])
    assert ids.dtype == np.int64
    assert ids.shape == (3, 4 if max_len is None else max_len)


def test_text_tokenizer_max_len_none_pads_to_longest():
    """Check that max_len=None pads each call to its own longest document."""
    tok = TextTokenizer().fit(CORPUS)
    assert_array_equal(
        tok.transform(["a", "b c d", ""]), [[2, 0, 0], [3, 4, 5], [0, 0, 0]]
    )
    assert tok.transform(["a b c d a b"]).shape == (1, 6)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_text_tokenizer_inverse_transform(padding):
    """Check that inverse_transform gives the tokens back without the padding."""
    tok = TextTokenizer(max_len=6, padding=padding).fit(CORPUS)
    ids = tok.transform(["B a zebra", "", "d"])
    assert tok.inverse_transform(ids) == [["b", "a", "<oov>"], [], ["d"]]
    assert tok.inverse_transform([[5, 0, 4]]) == [["d", "c"]]


def test_text_tokenizer_get_feature_names_out():
    """Check that output names need max_len and name each position."""
    tok = TextTokenizer(max_len=3).fit(CORPUS)
    assert_array_equal(tok.get_feature_names_out(), ["token_0", "token_1", "token_2"])
    with pytest.raises(ValueError, match="max_len"):
        TextTokenizer().fit(CORPUS).get_feature_names_out()


def test_text_tokenizer_n_features_in_():
    """Check that the tokenizer reads one text column."""
    assert TextTokenizer().fit(CORPUS).n_features_in_ == 1


def test_text_tokenizer_not_fitted_raises():
    """Check that transform and inverse_transform need a fitted tokenizer."""
    with pytest.raises(NotFittedError):
        TextTokenizer().transform(CORPUS)
    with pytest.raises(NotFittedError):
        TextTokenizer().inverse_transform([[2, 3]])


@pytest.mark.parametrize(
    "make_input",
    [
        list,
        tuple,
        lambda docs: np.array(docs, dtype=object),
        np.array,  # fixed-width unicode dtype
        lambda docs: np.array(docs, dtype=object)[:, None],
        lambda docs: pd.Series(docs, index=np.arange(len(docs))[::-1] + 5, name="t"),
        lambda docs: pd.DataFrame({"text": docs}),
    ],
    ids=["list", "tuple", "object_array", "str_array", "column", "series", "frame"],
)
def test_text_tokenizer_input_containers(make_input):
    """Check that lists, arrays and pandas input give the same ids as a list."""
    docs = ["d a zebra", "", "c b a a b"]
    tok = TextTokenizer(max_len=4).fit(make_input(CORPUS))
    assert tok.vocabulary_ == CORPUS_VOCABULARY
    expected = [[5, 2, 1, 0], [0, 0, 0, 0], [4, 3, 2, 2]]
    assert_array_equal(tok.transform(make_input(docs)), expected)


@pytest.mark.parametrize("method", ["fit", "transform"])
@pytest.mark.parametrize(
    "X, error, match",
    [
        (["a b", None], ValueError, r"missing value .* position 1"),
        (np.array(["a b", np.nan], dtype=object), ValueError, r"missing value"),
        (pd.Series(["a", "b", None]), ValueError, r"missing value .* position 2"),
        pytest.param(
            pd.Series(["a b", None], dtype="string"),
            ValueError,
            r"missing value",
            id="pd.NA",
        ),
        (["a b", 3], TypeError, r"must contain strings; position 1 holds int"),
        ([["a", "b"]], TypeError, r"must contain strings; position 0 holds list"),
        ("a single document", ValueError, r"single string"),
        (b"a single document", ValueError, r"single string"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), ValueError, r"one text column"),
    ],
)
def test_text_tokenizer_invalid_input_raises(method, X, error, match):
    """Check that bad documents raise an error that names the problem."""
    tok = TextTokenizer()
    if method == "transform":
        tok.fit(CORPUS)
    with pytest.raises(error, match=match):
        getattr(tok, method)(X)


@pytest.mark.parametrize(
    "X, params, match",
    [
        ([], {}, "empty"),
        (np.array([], dtype=object), {}, "empty"),
        (["", "  ", "!?"], {}, "vocabulary is empty"),
        (["a b", "c"], {"min_freq": 2}, "min_freq=2"),
    ],
)
def test_text_tokenizer_empty_fit_raises(X, params, match):
    """Check that fit on no documents, or no tokens, raises a ValueError."""
    with pytest.raises(ValueError, match=match):
        TextTokenizer(**params).fit(X)


@pytest.mark.parametrize(
    "params",
    [{"max_len": 0}, {"analyzer": "sentence"}, {"padding": "both"}, {"min_freq": 0}],
)
def test_text_tokenizer_invalid_params_raise(params):
    """Check that invalid parameters are rejected at fit."""
    with pytest.raises(ValueError, match="parameter of TextTokenizer must be"):
        TextTokenizer(**params).fit(CORPUS)


@pytest.mark.parametrize("name", ["max_len", "max_vocab", "min_freq"])
def test_text_tokenizer_bool_params_raise(name):
    """Check that a bool is not taken for an int parameter."""
    tok = TextTokenizer(**{name: True})
    with pytest.raises(ValueError, match=f"'{name}' parameter of TextTokenizer must"):
        tok.fit(CORPUS)


@pytest.mark.parametrize(
    "token_pattern, problem",
    [
        (r"(a)(b)", "has 2 capturing groups"),
        (r"(\w+", "is not a valid regular expression"),
    ],
)
def test_text_tokenizer_invalid_token_pattern_raises(token_pattern, problem):
    """Check that fit refuses a token_pattern that is no regular expression, or
    that has more than one capturing group, with a ValueError naming it."""
    match = re.escape(f"token_pattern={token_pattern!r} {problem}")
    tok = TextTokenizer(token_pattern=token_pattern)
    with pytest.raises(ValueError, match=match):
        tok.fit(CORPUS)
    # Not used, hence not checked, when a tokenizer or characters decide.
    TextTokenizer(token_pattern=token_pattern, tokenizer=str.split).fit(CORPUS)
    TextTokenizer(token_pattern=token_pattern, analyzer="char").fit(CORPUS)


@pytest.mark.parametrize("container", ["list", "array", "series"])
def test_text_tokenizer_does_not_mutate_input(container):
    """Check that fit, transform and inverse_transform leave their input unchanged."""
    docs = ["The Cat sat", "a DOG", "cat cat"]
    if container == "list":
        X = list(docs)
    elif container == "array":
        X = np.array(docs, dtype=object)
    else:
        X = pd.Series(docs)
    tok = TextTokenizer(max_len=4)
    ids = tok.fit_transform(X)
    ids_orig = ids.copy()
    tok.transform(X)
    tok.inverse_transform(ids)

    assert list(X) == docs
    if container == "series":
        pd.testing.assert_series_equal(X, pd.Series(docs))
    assert_array_equal(ids, ids_orig)


# -- texts through the estimators -------------------------------------------


def test_text_tokenizer_pipeline_learns_sentiment(sentiment_pipeline):
    """Check that tokenizer + LSTM learns a word-level label on held-out texts."""
    texts, y = _sentiment_corpus(60, seed=1)
    assert sentiment_pipeline.score(texts, y) >= 0.8
    clf = sentiment_pipeline[-1]
    assert clf.n_features_in_ == 1
    # Ids come from the tokenizer's vocabulary: padding, OOV, then tokens.
    assert clf.vocab_size_ == len(sentiment_pipeline[0].vocabulary_) + 2


def test_text_tokenizer_grid_search_max_vocab():
    """Check that a grid search over max_vocab prefers a vocabulary with the label."""
    texts, y = _sentiment_corpus(80, seed=2)
    pipe = make_pipeline(
        TextTokenizer(max_len=10), RNNClassifier(cell="lstm", **TEXT_PARAMS)
    )
    search = GridSearchCV(pipe, {"texttokenizer__max_vocab": [2, None]}, cv=2)
    search.fit(texts, y)
    scores = search.cv_results_["mean_test_score"]
    # Two tokens ("the", "movie") carry no label: chance, against a clear fit.
    assert scores[1] > scores[0] + 0.2
    assert search.best_params_ == {"texttokenizer__max_vocab": None}
    assert search.best_estimator_[0].vocabulary_.keys() >= {"good", "bad"}


@pytest.mark.parametrize("column", ["review", ["review"]])
def test_text_tokenizer_column_transformer(column):
    """Check that a DataFrame text column feeds an RNN through ColumnTransformer."""
    texts, y = _sentiment_corpus(120, seed=3)
    stars = np.random.RandomState(0).randint(1, 6, size=len(y))
    df = pd.DataFrame({"review": texts, "stars": stars})
    pipe = make_pipeline(
        ColumnTransformer([("tokens", TextTokenizer(max_len=10), column)]),
        RNNClassifier(cell="lstm", **TEXT_PARAMS),
    )
    pipe.fit(df.iloc[:80], y[:80])
    assert pipe[-1].net_.module_.embedding is not None
    assert pipe.score(df.iloc[80:], y[80:]) >= 0.8


def test_text_tokenizer_pipeline_predicts_texts_without_tokens():
    """Check that a batch of texts without tokens predicts like padding-only rows."""
    texts, y = _sentiment_corpus(40, seed=0)
    pipe = make_pipeline(
        TextTokenizer(), RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 2})
    ).fit(texts, y)
    expected = pipe.predict_proba(["", "!?", "good movie"])[:2]
    assert_allclose(pipe.predict_proba(["", "!?"]), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_text_tokenizer_padding_invariance(sentiment_pipeline, padding):
    """Check that the width and side of the padding do not change predictions."""
    texts, _ = _sentiment_corpus(20, seed=4)
    train_texts, _ = _sentiment_corpus(80, seed=0)
    tok, clf = sentiment_pipeline[0], sentiment_pipeline[-1]
    wide = TextTokenizer(max_len=500, padding=padding).fit(train_texts)
    tight = TextTokenizer(max_len=None).fit(train_texts)
    assert wide.vocabulary_ == tight.vocabulary_ == tok.vocabulary_
    ids_50, ids_500 = tok.transform(texts), wide.transform(texts)
    assert ids_500.shape == (20, 500)
    proba = clf.predict_proba(ids_50)
    assert_allclose(clf.predict_proba(ids_500), proba, rtol=0, atol=1e-6)
    # Padded only up to the longest text: far fewer padding steps.
    ids_tight = tight.transform(texts)
    assert ids_tight.shape[1] < 12
    assert_allclose(clf.predict_proba(ids_tight), proba, rtol=0, atol=1e-6)


# -- the embedding path -----------------------------------------------------


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
@pytest.mark.parametrize("kind", ["2d", "ragged_lists", "ragged_arrays"])
def test_estimator_token_ids_use_embedding(Estimator, kind):
    """Check that integer ids go through an nn.Embedding sized by the largest id."""
    sequences, y = _id_sequences(40, seed=0)
    sequences[0] = [9, 3]  # the largest id, 9, is in the data
    if kind == "2d":
        X = _post_padded(sequences, 9)
    elif kind == "ragged_lists":
        X = sequences
    else:
        X = [np.asarray(seq, dtype=np.int64) for seq in sequences]
    est = Estimator(**{**TEXT_PARAMS, "max_epochs": 2}).fit(X, y)
    embedding = est.net_.module_.embedding
    assert isinstance(embedding, nn.Embedding)
    assert est.vocab_size_ == 10
    assert embedding.num_embeddings == est.vocab_size_
    assert embedding.embedding_dim == 8
    assert embedding.padding_idx == 0
    assert est.n_features_in_ == 1
    assert est.predict(X).shape == (40,)


def test_estimator_token_ids_unseen_at_predict_read_as_oov():
    """Check that ids beyond those seen in fit predict like the OOV id 1."""
    sequences, y = _id_sequences(40, seed=0)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 5}).fit(
        _post_padded(sequences, 9), y
    )
    assert est.vocab_size_ == 10
    X_new = np.array([[3, 10, 4, 0], [57, 10**6, 0, 0], [2, 9, 5, 12]])
    X_oov = np.where(X_new >= 10, 1, X_new)
    proba = est.predict_proba(X_new)
    assert_array_equal(proba, est.predict_proba(X_oov))
    # The same holds for ragged input.
    ragged = [[3, 10, 4], [57, 10**6], [2, 9, 5, 12]]
    assert_allclose(est.predict_proba(ragged), proba, rtol=0, atol=1e-6)


@pytest.mark.parametrize("freeze", [True, False])
def test_estimator_pretrained_embeddings(freeze):
    """Check that pretrained vectors start the embedding, and freezing keeps them."""
    rng = np.random.RandomState(0)
    weights = rng.normal(size=(12, 5)).astype(np.float32)
    weights_orig = weights.copy()
    sequences, y = _id_sequences(40, seed=0, vocab_size=12)
    est = RNNClassifier(
        **{**TEXT_PARAMS, "max_epochs": 2},
        pretrained_embeddings=weights,
        freeze_embeddings=freeze,
    ).fit(_post_padded(sequences, 9), y)

    assert_array_equal(weights, weights_orig)
    assert est.vocab_size_ == 12
    embedding = est.net_.module_.embedding
    learned = embedding.weight.detach().cpu().numpy()
    # The pretrained dimension wins over embedding_dim=8.
    assert learned.shape == (12, 5)
    expected = weights.copy()
    expected[0] = 0.0  # padding
    if freeze:
        assert not embedding.weight.requires_grad
        assert_array_equal(learned, expected)
    else:
        # A few small steps away from the pretrained vectors, not a fresh start.
        change = np.abs(learned - expected)
        assert change.max() > 0
        assert change.max() < 0.2
        assert_array_equal(learned[0], 0.0)


@pytest.mark.parametrize(
    "weights, match",
    [
        (np.zeros((5, 4)), r"token id 9, outside the 5 rows of pretrained_embeddings"),
        pytest.param(np.zeros(12), "pretrained_embeddings", id="1d"),
        pytest.param(np.zeros((12, 4, 2)), "pretrained_embeddings", id="3d"),
        pytest.param(np.zeros((12, 0)), "pretrained_embeddings", id="no_columns"),
    ],
)
def test_estimator_pretrained_embeddings_wrong_shape_raises(weights, match):
    """Check that pretrained vectors of the wrong shape raise a clear ValueError."""
    sequences, y = _id_sequences(20, seed=0)
    sequences[0] = [9]
    est = RNNClassifier(
        **{**TEXT_PARAMS, "max_epochs": 1}, pretrained_embeddings=weights
    )
    with pytest.raises(ValueError, match=match):
        est.fit(_post_padded(sequences, 9), y)


def test_estimator_token_ids_ragged_batch_order():
    """Check that a ragged batch of ids predicts as each sequence does alone."""
    sequences, y = _id_sequences(40, seed=0)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 3, "batch_size": 4}).fit(
        sequences, y
    )
    rng = np.random.RandomState(5)
    X = [list(rng.randint(2, 10, size=n)) for n in [9, 2, 7, 1, 12, 3, 5, 4, 8]]
    batch = est.predict_proba(X)
    for i, seq in enumerate(X):
        assert_allclose(batch[i], est.predict_proba([seq])[0], rtol=0, atol=1e-6)


def test_estimator_pretrained_embeddings_need_token_ids():
    """Check that pretrained_embeddings with token_ids=False raises a ValueError
    naming both, instead of reading X as ids anyway."""
    sequences, y = _id_sequences(20, seed=0)
    X = _post_padded(sequences, 9)
    est = RNNClassifier(
        **{**TEXT_PARAMS, "max_epochs": 1},
        token_ids=False,
        pretrained_embeddings=np.zeros((10, 4)),
    )
    with pytest.raises(ValueError, match=r"pretrained_embeddings .*token_ids=False"):
        est.fit(X, y)
    assert not hasattr(est, "net_")
    # token_ids=True or "auto" read X as ids.
    for token_ids in [True, "auto"]:
        est.set_params(token_ids=token_ids).fit(X.astype(float), y)
        assert est.net_.module_.embedding.num_embeddings == 10


@pytest.mark.parametrize(
    "X, match",
    [
        (
            [[2, 3], [4.5, 2, 3]],
            r"sequence 1 of X holds non-integer values such as 4.5",
        ),
        (
            [np.array([2.0, 3.0]), np.array([1.5, 2.0, 3.0])],
            r"sequence 1 of X holds non-integer values such as 1.5",
        ),
        ([[2, 3], [4.0, np.nan, 3]], r"sequence 1 of X holds NaN"),
        ([[2, 3], ["a", "b", "c"]], r"sequence 1 of X holds strings"),
        # Strings of digits and complex numbers convert to floats: still refused.
        ([["3", "4"], ["5"]], r"sequence 0 of X holds strings"),
        (np.array([["3", "4"], ["5", "6"]]), r"X holds strings"),
        ([np.array([3 + 1j, 4]), np.array([2.0])], "sequence 0 of X holds complex"),
        ([[2, 3], np.array([2, 3, "x"], dtype=object)], "sequence 1 of X holds values"),
        (np.array([[2.0, 3.5], [4.0, 5.0]]), r"X holds non-integer values such as 3.5"),
    ],
)
def test_estimator_token_ids_non_integer_raise(X, match):
    """Check that non-integer token ids raise instead of being truncated."""
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 1}, token_ids=True)
    with pytest.raises(ValueError, match=f"Token ids must be integers; {match}"):
        est.fit(X, [0, 1])


def test_estimator_token_ids_decimal_and_fraction():
    """Check that exact numbers that are not floats still read as ids."""
    from decimal import Decimal
    from fractions import Fraction

    X = np.array([[Decimal(2), Decimal(3)], [Fraction(4), Decimal(5)]] * 4, object)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 1}, token_ids=True)
    est.fit(X, [0, 1] * 4)
    assert est.vocab_size_ == 6


def test_estimator_token_ids_integral_floats():
    """Check that whole-number floats read as the ids they equal, ragged or not."""
    sequences, y = _id_sequences(30, seed=0)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 2}, token_ids=True)
    proba = est.fit(sequences, y).predict_proba(sequences)
    as_floats = [np.asarray(seq, dtype=np.float64) for seq in sequences]
    assert_array_equal(est.fit(as_floats, y).predict_proba(sequences), proba)
    padded = _post_padded(sequences, 9)
    assert_array_equal(est.predict_proba(padded.astype(np.float32)), proba)


@pytest.mark.parametrize(
    "kind", ["timestamps", "uint64", "ragged_floats", "token_ids_true"]
)
def test_estimator_token_ids_too_large_raise(kind, monkeypatch):
    """Check that ids implying an unreasonably large embedding raise a ValueError
    pointing to token_ids=False, before any embedding is allocated."""
    allocated = []
    monkeypatch.setattr(nn.Embedding, "__init__", lambda *a, **k: allocated.append(a))
    y = [0, 1]
    params = {**TEXT_PARAMS, "max_epochs": 1}
    if kind == "timestamps":
        X = np.array([[1_700_000_000, 1_700_000_060], [1_700_000_120, 0]])
    elif kind == "uint64":
        X = np.array([[2, 3], [4, 2**63 + 5]], dtype=np.uint64)
    elif kind == "ragged_floats":
        X = [np.array([2.0, 1e20]), np.array([3.0])]
        params["token_ids"] = True
    else:
        X = [[2, 3], [10_000_000]]
        params["token_ids"] = True
    with pytest.raises(ValueError, match=r"more than 10,000,000 rows.*token_ids=False"):
        RNNClassifier(**params).fit(X, y)
    assert not allocated


def test_estimator_token_ids_size_limit(monkeypatch):
    """Check that the limit on ids is the number of embedding rows."""
    monkeypatch.setattr("sklearn_rnn._sequence_input._MAX_VOCAB_SIZE", 50)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 1})
    assert est.fit([[2, 49], [3]], [0, 1]).vocab_size_ == 50
    with pytest.raises(ValueError, match="token id 50"):
        est.fit([[2, 50], [3]], [0, 1])


def test_estimator_token_ids_huge_at_predict_read_as_oov():
    """Check that ids beyond int64 at predict read as unknown, like other
    unseen ids, instead of wrapping around to negative ids."""
    sequences, y = _id_sequences(30, seed=0)
    est = RNNClassifier(**{**TEXT_PARAMS, "max_epochs": 2}).fit(sequences, y)
    expected = est.predict_proba(np.array([[3, 1, 4]]))
    huge = np.array([[3, 2**63 + 5, 4]], dtype=np.uint64)
    assert_array_equal(est.predict_proba(huge), expected)
    ragged = [np.array([3.0, 1e20, 4.0]), np.array([2.0])]
    assert_allclose(est.predict_proba(ragged)[:1], expected, rtol=0, atol=1e-6)


def test_text_tokenizer_set_output():
    """Check set_output: silent for default, a warning and arrays for pandas."""
    tok = TextTokenizer(max_len=4).fit(CORPUS)
    expected = tok.transform(CORPUS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tok.set_output(transform="default") is tok
    with pytest.warns(UserWarning, match="padded token ids.*stays a NumPy array"):
        assert tok.set_output(transform="pandas") is tok
    ids = tok.transform(CORPUS)
    assert isinstance(ids, np.ndarray)
    assert_array_equal(ids, expected)


def test_text_tokenizer_pipeline_set_output_pandas():
    """Check that a text pipeline takes set_output(transform="pandas")."""
    texts, y = _sentiment_corpus(40, seed=0)
    params = {**TEXT_PARAMS, "max_epochs": 2}
    pipe = make_pipeline(TextTokenizer(), RNNClassifier(**params))
    with pytest.warns(UserWarning, match="TextTokenizer.set_output"):
        pipe.set_output(transform="pandas")
    proba = pipe.fit(texts, y).predict_proba(texts)
    plain = make_pipeline(TextTokenizer(), RNNClassifier(**params)).fit(texts, y)
    assert_array_equal(proba, plain.predict_proba(texts))
    # The classifier's learned representation is a table: it becomes a DataFrame.
    assert isinstance(pipe.transform(texts), pd.DataFrame)


def test_text_tokenizer_invalid_pattern_set_after_fit():
    """Check that a token_pattern set after fit gets a ValueError in transform."""
    tok = TextTokenizer().fit(["a b", "c"])
    tok.set_params(token_pattern="(")
    with pytest.raises(ValueError, match="token_pattern='\\('"):
        tok.transform(["a b"])


def _ints(doc):
    return [len(word) for word in doc.split()]


@pytest.mark.parametrize(
    "tokenizer, match",
    [
        (_ints, "_ints must return str tokens; .* a int"),
        (lambda doc: [None], "must return str tokens; .* a NoneType"),
        (lambda doc: [float("nan")], "must return str tokens; .* a float"),
        (lambda doc: [b"x"], "must return str tokens; .* a bytes"),
        (lambda doc: 3, "must return a list of str tokens; .* int 3"),
        (lambda doc: doc, "must return a list of str tokens"),
    ],
)
def test_text_tokenizer_callable_must_return_strings(tokenizer, match):
    """Check that a tokenizer returning non-strings gets a TypeError naming it."""
    with pytest.raises(TypeError, match=match):
        TextTokenizer(tokenizer=tokenizer).fit(["a b", "c"])


@pytest.mark.parametrize(
    "X, match",
    [
        (None, "iterable of text documents .* got NoneType"),
        (3, "iterable of text documents .* got int"),
        ([["a", "b"], "c"], "position 0 holds list"),
        (["a", 2.5], "position 1 holds float"),
    ],
)
def test_text_tokenizer_input_errors_in_library_words(X, match):
    """Check that None, nested or mixed input get the library's own message."""
    with pytest.raises(TypeError, match=match):
        TextTokenizer().fit(X)


def test_column_transformer_text_branch_names_and_pandas_output():
    """Check a TextTokenizer + RNNClassifier branch in a ColumnTransformer."""
    rng = np.random.RandomState(0)
    words = np.array(["spam", "win", "cash", "hello", "lunch", "meet"])
    docs = [" ".join(rng.choice(words, 5)) for _ in range(40)]
    frame = pd.DataFrame({"text": docs, "length": rng.normal(size=40)})
    y = np.array(["spam" if "cash" in d else "ham" for d in docs])
    branch = make_pipeline(
        TextTokenizer(max_len=6),
        RNNClassifier(hidden_size=4, max_epochs=2, random_state=0),
    )
    ct = ColumnTransformer(
        [("text", branch, "text"), ("num", StandardScaler(), ["length"])]
    )
    ct.fit(frame, y)
    names = ct.get_feature_names_out()
    assert names.tolist() == [f"text__rnnclassifier{i}" for i in range(4)] + [
        "num__length"
    ]
    with pytest.warns(UserWarning, match="stays a NumPy array"):
        ct.set_output(transform="pandas")
    out = ct.fit_transform(frame, y)
    assert list(out.columns) == names.tolist()
    assert out.shape == (40, 5)
