# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
import torch

from sklearn_rnn.data import (
    BatchIterator,
    SequenceDataset,
    is_ragged,
    pad_sequences,
    split_nan_padding,
)


def _ragged_dataset(lengths, n_features=2, seed=0):
    """Dataset whose targets are the sample indices, to track where they go."""
    rng = np.random.RandomState(seed)
    lengths = np.asarray(lengths, dtype=np.int64)
    X = rng.normal(size=(len(lengths), lengths.max(), n_features)).astype(np.float32)
    for i, length in enumerate(lengths):
        X[i, length:] = 0.0
    n = len(lengths)
    return SequenceDataset(
        torch.from_numpy(X),
        torch.from_numpy(lengths),
        torch.arange(n),
        torch.ones(n),
    )


def _visited(iterator):
    """Sample indices in the order the iterator serves them, batch by batch."""
    return [target[0].tolist() for _, target in iterator]


# pad_sequences


@pytest.mark.parametrize("container", [list, tuple])
def test_pad_sequences_1d(container):
    """Check that 1-D sequences become one zero-padded feature."""
    padded, lengths = pad_sequences(container([[1.0, 2.0, 3.0], [4.0], [5.0, 6.0]]))
    assert padded.shape == (3, 3, 1)
    assert padded.dtype == np.float32
    assert lengths.dtype == np.int64
    assert lengths.tolist() == [3, 1, 2]
    expected = [[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [5.0, 6.0, 0.0]]
    np.testing.assert_array_equal(padded[:, :, 0], expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pad_sequences_2d(dtype):
    """Check that 2-D sequences keep their features and are padded with zeros."""
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(n, 3)) for n in (2, 5, 1)]
    padded, lengths = pad_sequences(seqs, dtype=dtype)
    assert padded.shape == (3, 5, 3)
    assert padded.dtype == dtype
    assert lengths.tolist() == [2, 5, 1]
    for seq, row in zip(seqs, padded):
        np.testing.assert_allclose(row[: len(seq)], seq, rtol=1e-6)
        assert not row[len(seq) :].any()


def test_pad_sequences_integer_ids():
    """Check that integer id sequences can be padded with id 0."""
    padded, lengths = pad_sequences([[3, 1], [2, 5, 4]], dtype=np.int64)
    assert padded.dtype == np.int64
    assert lengths.tolist() == [2, 3]
    np.testing.assert_array_equal(padded[:, :, 0], [[3, 1, 0], [2, 5, 4]])


def test_pad_sequences_mixes_1d_and_single_feature_2d():
    """Check that 1-D and (n, 1) sequences can be mixed."""
    padded, lengths = pad_sequences([np.array([1.0, 2.0]), np.array([[3.0]])])
    assert padded.shape == (2, 2, 1)
    assert lengths.tolist() == [2, 1]


@pytest.mark.parametrize(
    "sequences, match",
    [
        (
            [np.zeros((2, 3)), np.zeros((4, 2))],
            "sequence 0 has 3 and sequence 1 has 2",
        ),
        ([[1.0, 2.0], np.ones((2, 2))], "same number of features"),
        ([[1.0, 2.0], []], "Sequence 1 of X has zero length"),
        ([np.zeros((0, 2))], "Sequence 0 of X has zero length"),
        (
            [np.zeros((2, 1)), np.zeros((2, 2, 2))],
            r"must be 1-D .* sequence 1 has shape \(2, 2, 2\)",
        ),
        ([[1.0, 2.0], [1.0, np.nan, 2.0]], "NaN inside sequence 1"),
        ([[np.nan], [1.0]], "NaN inside sequence 0"),
        ([[1.0, 2.0], [np.inf]], "infinity inside sequence 1"),
        ([[1.0, -np.inf]], "infinity inside sequence 0"),
        ([[1.0], ["a"]], "Sequence 1 of X could not be converted"),
        ([], "0 sample"),
    ],
)
def test_pad_sequences_errors(sequences, match):
    """Check that invalid sequences raise an informative ValueError."""
    with pytest.raises(ValueError, match=match):
        pad_sequences(sequences)


# split_nan_padding


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_nan_padding_trailing_nan(dtype):
    """Check that trailing all-NaN steps become zero padding and set lengths."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3, 4, 2)).astype(dtype)
    X[0, 2:] = np.nan
    X[2, 1:] = np.nan
    X_orig = X.copy()
    out, lengths = split_nan_padding(X)
    assert lengths.dtype == np.int64
    assert lengths.tolist() == [2, 4, 1]
    assert out.shape == X.shape
    assert out.dtype == dtype
    assert not np.isnan(out).any()
    assert not out[0, 2:].any()
    assert not out[2, 1:].any()
    np.testing.assert_array_equal(out[1], X_orig[1])
    np.testing.assert_array_equal(out[0, :2], X_orig[0, :2])
    # The input is not modified.
    np.testing.assert_array_equal(X, X_orig)


def test_split_nan_padding_without_nan():
    """Check that an array without NaN has full lengths and is unchanged."""
    X = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    out, lengths = split_nan_padding(X)
    assert lengths.tolist() == [3, 3]
    np.testing.assert_array_equal(out, X)


@pytest.mark.parametrize(
    "index, match",
    [
        ((0, 1, slice(None)), "NaN inside a sequence"),  # all-NaN middle step
        ((0, 0, slice(None)), "NaN inside a sequence"),  # all-NaN first step
        ((0, 3, 0), "NaN inside a sequence"),  # partial-NaN last step
        ((1, 1, 1), "NaN inside a sequence"),  # partial-NaN middle step
        ((0, slice(None), slice(None)), r"Sequence 0 of X has zero length"),
        ((1, slice(None), slice(None)), r"Sequence 1 of X has zero length"),
    ],
)
@pytest.mark.parametrize("other_row_padded", [False, True])
def test_split_nan_padding_invalid_nan(index, match, other_row_padded):
    """Check that NaN other than trailing all-NaN steps raises a ValueError."""
    X = np.ones((3, 4, 2))
    X[index] = np.nan
    if other_row_padded:
        X[2, 2:] = np.nan
    X_orig = X.copy()
    with pytest.raises(ValueError, match=match):
        split_nan_padding(X)
    np.testing.assert_array_equal(X, X_orig)


@pytest.mark.parametrize("with_padding", [False, True])
def test_split_nan_padding_infinity(with_padding):
    """Check that infinity in a valid step raises a ValueError."""
    X = np.ones((2, 3, 2))
    X[1, 0, 1] = np.inf
    if with_padding:
        X[0, 2:] = np.nan
    with pytest.raises(ValueError, match="infinity inside a sequence"):
        split_nan_padding(X)


# is_ragged


def _object_array(items):
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


@pytest.mark.parametrize(
    "X, expected",
    [
        ([[1.0, 2.0], [3.0]], True),
        (([1.0, 2.0], [3.0]), True),
        ([np.zeros((2, 3)), np.zeros((5, 3))], True),
        (_object_array([np.zeros(2), np.zeros(4)]), True),
        (_object_array([[1.0], [2.0, 3.0]]), True),
        ([[1.0, 2.0], [3.0, 4.0]], False),
        ([np.zeros((2, 3)), np.zeros((2, 3))], False),
        (np.zeros((3, 4, 2)), False),
        (np.zeros((3, 4)), False),
        (np.zeros((3, 4), dtype=object), False),
        ([1.0, 2.0, 3.0], False),
        (["ab", "c"], False),
        ([], False),
        (None, False),
        (3.0, False),
    ],
)
def test_is_ragged(X, expected):
    """Check that is_ragged recognizes collections of unequal sequences."""
    assert is_ragged(X) is expected


# SequenceDataset


def test_sequence_dataset_batch_trims_to_longest():
    """Check that a batch is trimmed to the longest sequence it contains."""
    ds = _ragged_dataset([2, 7, 3, 5, 1])
    assert not ds.equal_lengths
    assert len(ds) == 5
    for index, n_steps in [
        (slice(0, 1), 2),
        (slice(2, 5), 5),
        (torch.tensor([4, 0, 2]), 3),
        (torch.tensor([1, 4]), 7),
        (np.array([4, 0, 2]), 3),
        ([1, 4], 7),
        (torch.tensor([False, False, True, True, False]), 5),
    ]:
        batch, (y, sample_weight) = ds.batch(index)
        assert batch["X"].shape[1] == n_steps
        assert int(batch["lengths"].max()) == n_steps
        assert torch.equal(batch["X"], ds.X[index][:, :n_steps])
        assert torch.equal(batch["lengths"], ds.lengths[index])
        assert torch.equal(y, ds.y[index])
        assert torch.equal(sample_weight, ds.sample_weight[index])


def test_sequence_dataset_equal_lengths():
    """Check that equal lengths are detected and batches keep all steps."""
    X = torch.randn(4, 3, 2)
    ds = SequenceDataset(X, torch.full((4,), 3))
    assert ds.equal_lengths
    batch, target = ds.batch(slice(1, 3))
    assert target is None
    assert torch.equal(batch["X"], X[1:3])
    assert batch["lengths"].tolist() == [3, 3]


def test_sequence_dataset_getitem():
    """Check that indexing one sample gives a trimmed batch of one."""
    ds = _ragged_dataset([2, 4, 3])
    batch, (y, _) = ds[0]
    assert batch["X"].shape == (1, 2, 2)
    assert y.tolist() == [0]
    batch, (y, _) = ds[-1]
    assert batch["X"].shape == (1, 3, 2)
    assert y.tolist() == [2]
    with pytest.raises(IndexError, match="out of range"):
        ds[3]


def test_sequence_dataset_targets_without_sample_weight():
    """Check that a dataset with targets but no sample weights can be batched."""
    ds = SequenceDataset(torch.randn(3, 4, 1), torch.tensor([4, 2, 3]), torch.arange(3))
    _, target = ds.batch(slice(0, 2))
    assert torch.equal(target[0], torch.arange(2))


# BatchIterator


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("n_samples, batch_size", [(10, 3), (12, 4), (5, 8), (7, 1)])
def test_batch_iterator_covers_every_sample_once(
    n_samples, batch_size, ragged, shuffle
):
    """Check that one epoch serves every sample exactly once."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 9, size=n_samples) if ragged else np.full(n_samples, 6)
    ds = _ragged_dataset(lengths)
    iterator = BatchIterator(
        ds, batch_size, shuffle=shuffle, random_state=np.random.RandomState(0)
    )
    batches = _visited(iterator)
    assert len(batches) == len(iterator) == -(-n_samples // batch_size)
    # Full batches, except one short batch (anywhere, when buckets shuffle).
    sizes = sorted(len(b) for b in batches)
    assert sizes[1:] == [batch_size] * (len(batches) - 1)
    assert sum(sizes) == n_samples
    visited = np.concatenate(batches)
    assert sorted(visited.tolist()) == list(range(n_samples))
    if iterator.order is not None:
        np.testing.assert_array_equal(visited, iterator.order)


def test_batch_iterator_equal_lengths_no_shuffle_keeps_order():
    """Check that equal lengths without shuffling are served in input order."""
    ds = _ragged_dataset(np.full(7, 4))
    iterator = BatchIterator(ds, 3)
    assert iterator.order is None
    assert _visited(iterator) == [[0, 1, 2], [3, 4, 5], [6]]


def _padding_fraction(batches_lengths):
    fractions = [1 - b.sum() / (len(b) * b.max()) for b in batches_lengths]
    return float(np.mean(fractions))


@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_iterator_buckets_ragged_lengths(shuffle):
    """Check that ragged batches are length-sorted and carry little padding."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 101, size=2000)
    ds = _ragged_dataset(lengths, n_features=1)
    batch_size = 16
    iterator = BatchIterator(
        ds, batch_size, shuffle=shuffle, random_state=np.random.RandomState(0)
    )
    served = []
    for batch, _ in iterator:
        batch_lengths = batch["lengths"].numpy()
        assert np.all(np.diff(batch_lengths) >= 0)
        assert batch["X"].shape[1] == batch_lengths.max()
        served.append(batch_lengths)
    naive = [lengths[i : i + batch_size] for i in range(0, len(lengths), batch_size)]
    naive_fraction = _padding_fraction(naive)
    bucketed_fraction = _padding_fraction(served)
    assert naive_fraction > 0.3
    assert bucketed_fraction < 0.1 * naive_fraction
    longest = [b.max() for b in served]
    if shuffle:
        # Batches are shuffled after bucketing, not served shortest first
        # (not even within the first bucket of 50 batches).
        assert np.any(np.diff(longest[:50]) < 0)
    else:
        assert np.all(np.diff(longest) >= 0)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("ragged", [False, True])
def test_batch_iterator_order_restores_input_order(ragged, shuffle):
    """Check that order puts per-batch outputs back in the input order."""
    rng = np.random.RandomState(0)
    n = 23
    lengths = rng.randint(1, 10, size=n) if ragged else np.full(n, 5)
    ds = _ragged_dataset(lengths)
    iterator = BatchIterator(
        ds, 4, shuffle=shuffle, random_state=np.random.RandomState(1)
    )
    # A per-sample "prediction": the first step of each sequence.
    outputs = np.concatenate([batch["X"][:, 0].numpy() for batch, _ in iterator])
    if iterator.order is None:
        restored = outputs
    else:
        restored = np.empty_like(outputs)
        restored[iterator.order] = outputs
    np.testing.assert_array_equal(restored, ds.X[:, 0].numpy())
    if ragged or shuffle:
        assert iterator.order is not None
        assert not np.array_equal(outputs, restored)


@pytest.mark.parametrize("ragged", [False, True])
def test_batch_iterator_shuffle_reproducible(ragged):
    """Check that a seeded shuffle repeats across runs and varies across epochs."""
    rng = np.random.RandomState(0)
    n = 40
    lengths = rng.randint(1, 12, size=n) if ragged else np.full(n, 5)
    ds = _ragged_dataset(lengths)

    def epochs(seed, n_epochs=3):
        random_state = np.random.RandomState(seed)
        # skorch builds a new iterator each epoch, sharing the random state.
        return [
            _visited(BatchIterator(ds, 8, shuffle=True, random_state=random_state))
            for _ in range(n_epochs)
        ]

    first, second = epochs(0), epochs(0)
    assert first == second
    assert first[0] != first[1]
    assert first[1] != first[2]
    assert epochs(1)[0] != first[0]


def test_batch_iterator_no_shuffle_is_deterministic():
    """Check that without shuffling, every epoch serves the same batches."""
    ds = _ragged_dataset(np.random.RandomState(0).randint(1, 12, size=30))
    first = _visited(BatchIterator(ds, 7))
    np.random.rand()  # the global state must not matter
    assert _visited(BatchIterator(ds, 7)) == first


def test_batch_iterator_short_batch_does_not_shift_buckets():
    """Check that shuffled buckets stay whole when one batch is short.

    With 70 samples and batch_size 16 the last bucket holds 6; wherever the
    shuffle puts it, every batch must still be one bucket of similar lengths.
    """
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 200, size=70)
    dataset = SequenceDataset(
        torch.zeros(70, 200, 1), torch.from_numpy(lengths), torch.zeros(70)
    )
    for seed in range(5):
        iterator = BatchIterator(
            dataset, 16, shuffle=True, random_state=np.random.RandomState(seed)
        )
        batches = [Xb["lengths"].numpy() for Xb, _ in iterator]
        assert sorted(len(b) for b in batches) == [6, 16, 16, 16, 16]
        # Buckets are consecutive runs of the sorted lengths: they never overlap.
        spans = sorted((b.min(), b.max()) for b in batches)
        assert all(hi <= next_lo for (_, hi), (next_lo, _) in zip(spans, spans[1:]))
