# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the checks load makes before it builds anything from a file."""

import json

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, TextTokenizer
from sklearn_rnn.persistence import load, save
from sklearn_rnn.persistence._file import content_digest

safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

TINY = {"hidden_size": 4, "max_epochs": 2, "batch_size": 64, "random_state": 0}
TEXTS = ["the cat sat", "a dog ran far", "the dog sat", "cats and dogs", "a cat"] * 4


@pytest.fixture(scope="module")
def saved_text_model(tmp_path_factory):
    """A file holding a fitted TextTokenizer + RNNClassifier pipeline."""
    pipe = make_pipeline(TextTokenizer(), RNNClassifier(**TINY, embedding_dim=3))
    path = tmp_path_factory.mktemp("saved") / "pipe.safetensors"
    save(pipe.fit(TEXTS, np.arange(len(TEXTS)) % 2), path)
    return path


def _flipped(data: bytes, offset: int, bit: int) -> bytes:
    edited = bytearray(data)
    edited[offset] ^= 1 << bit
    return bytes(edited)


def _header_end(data: bytes) -> int:
    return 8 + int.from_bytes(data[:8], "little")


def test_load_refuses_flipped_bits_in_weights(saved_text_model, tmp_path):
    """Check that a single flipped bit anywhere in the tensor data is refused."""
    data = saved_text_model.read_bytes()
    start = _header_end(data)
    offsets = np.linspace(start, len(data) - 1, num=40).astype(int)
    path = tmp_path / "flipped"
    for i, offset in enumerate(offsets):
        path.write_bytes(_flipped(data, int(offset), i % 8))
        with pytest.raises(ValueError, match="does not match its digest"):
            load(path)


def test_load_refuses_flipped_bits_in_vocabulary(saved_text_model, tmp_path):
    """Check that a flipped bit in the stored vocabulary never loads silently."""
    data = saved_text_model.read_bytes()
    start = data.index(b"vocabulary_")
    assert start < _header_end(data)
    path = tmp_path / "flipped"
    for offset in range(start, start + 60):
        for bit in (0, 3, 6):
            path.write_bytes(_flipped(data, offset, bit))
            with pytest.raises(ValueError):
                load(path)


def _resave(source, target, edit, sign=True):
    with safe_open(source, "pt") as file:
        meta = dict(file.metadata())
        weights = {key: file.get_tensor(key) for key in file.keys()}
    edit(meta)
    if sign:
        meta["digest"] = content_digest(meta["estimator"], weights)
    save_file(weights, target, metadata=meta)
    return target


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.pop("digest"),
        lambda m: m.update(digest="sha256:" + "0" * 64),
        lambda m: m.update(estimator=m["estimator"].replace('"the"', '"thy"')),
    ],
    ids=["missing", "zeros", "edited-description"],
)
def test_load_refuses_a_digest_that_does_not_match(saved_text_model, tmp_path, edit):
    """Check that a missing digest, or content edited without it, is refused."""
    path = _resave(saved_text_model, tmp_path / "m", edit, sign=False)
    with pytest.raises(ValueError, match="does not match its digest: it was edited"):
        load(path)


def test_load_refuses_a_directory(tmp_path):
    """Check that load(directory) raises a ValueError saying so."""
    with pytest.raises(ValueError, match="is a directory, not a sklearn_rnn model"):
        load(tmp_path)


def _edit_tokenizer(saved, tmp_path, edit):
    def change(meta):
        data = json.loads(meta["estimator"])
        tokenizer = data["__estimator__"]["params"]["steps"][0]["__tuple__"][1]
        edit(tokenizer["__estimator__"])
        meta["estimator"] = json.dumps(data)

    return _resave(saved, tmp_path / "m", change)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda t: t["params"].update(token_pattern="("), "token_pattern='\\('"),
        (lambda t: t["params"].update(max_len=10**9), "max_len"),
        (lambda t: t["state"]["vocabulary_"].update(the=2**63), "vocabulary_ must"),
        (lambda t: t["state"]["vocabulary_"].update(the=3), "vocabulary_ must"),
        (lambda t: t["state"]["vocabulary_"].update(the=0), "vocabulary_ must"),
        (lambda t: t["state"]["vocabulary_"].update(the=1), "vocabulary_ must"),
        (lambda t: t["state"]["vocabulary_"].update(extra=99), "vocabulary_ must"),
        (lambda t: t["state"]["vocabulary_"].update(the="2"), "vocabulary_ must"),
        (lambda t: t["state"].pop("vocabulary_"), "missing the fitted attribute"),
    ],
)
def test_load_refuses_invalid_tokenizer(saved_text_model, tmp_path, edit, match):
    """Check that a tokenizer's parameters and vocabulary are checked on load."""
    path = _edit_tokenizer(saved_text_model, tmp_path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)
