# SPDX-License-Identifier: BSD-3-Clause
"""Turning sequence inputs into padded arrays, and serving them in batches.

Two halves: numpy functions that check and pad user data (ragged lists, arrays
padded with trailing NaN steps), and a torch dataset with a batch iterator that
serves whole batches by slicing contiguous tensors. The iterator groups
sequences of similar length and trims each batch to its longest sequence, so
padding costs little compute; it replaces skorch's per-sample ``Dataset`` and
``DataLoader`` path, which indexes and collates one sample at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

__all__ = [
    "OOV_ID",
    "PAD_ID",
    "BatchIterator",
    "compact_ids",
    "pad_rows",
    "SequenceDataset",
    "is_ragged",
    "pad_sequences",
    "split_nan_padding",
]

# Reserved token ids: padding, and tokens outside the vocabulary.
PAD_ID = 0
OOV_ID = 1

# Sequences are sorted by length within chunks of this many batches before the
# batches are shuffled: long enough chunks that batches are nearly uniform in
# length, short enough that an epoch still mixes the data well.
_BUCKET_BATCHES = 50


def is_ragged(X) -> bool:
    """Return whether ``X`` is a collection of sequences of different lengths.

    A list, tuple or 1-D object array whose items are arrays (or lists) of not
    all the same shape is ragged; anything else goes through the usual array
    validation.
    """
    if isinstance(X, np.ndarray):
        if X.dtype != object or X.ndim != 1:
            return False
    elif not isinstance(X, (list, tuple)):
        return False
    if len(X) == 0:
        return False
    shapes = set()
    for item in X:
        if isinstance(item, (str, bytes)) or np.ndim(item) == 0:
            return False
        shapes.add(np.shape(item))
    return len(shapes) > 1 or isinstance(X, np.ndarray)


def _check_finite(values: np.ndarray, what: str) -> None:
    if np.isnan(values).any():
        raise ValueError(
            f"Input X contains NaN inside {what}. Only trailing time steps that "
            "are NaN in every feature are read as padding."
        )
    if np.isinf(values).any():
        raise ValueError(f"Input X contains infinity inside {what}.")


def pad_sequences(
    sequences: Sequence, *, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Pad a list of sequences into one array, returning it with the lengths.

    Parameters
    ----------
    sequences : sequence of array-like
        Each item is one sequence: shape ``(n_timesteps_i,)`` for univariate
        data or ``(n_timesteps_i, n_features)``. ``n_features`` must agree.
    dtype : dtype, default=np.float32
        Dtype of the padded array.

    Returns
    -------
    padded : ndarray of shape (n_samples, max_timesteps, n_features)
        The sequences, zero-padded at the end.
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of valid steps of each sequence.

    Examples
    --------
    >>> from sklearn_rnn.data import pad_sequences
    >>> padded, lengths = pad_sequences([[1.0, 2.0, 3.0], [4.0]])
    >>> padded.shape, lengths.tolist()
    ((2, 3, 1), [3, 1])
    """
    arrays = []
    for i, seq in enumerate(sequences):
        try:
            arr = np.asarray(seq, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Sequence {i} of X could not be converted to {np.dtype(dtype)}: {exc}"
            ) from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(
                "Each sequence of a variable-length X must be 1-D (n_timesteps,) "
                f"or 2-D (n_timesteps, n_features); sequence {i} has shape "
                f"{arr.shape}."
            )
        if arr.shape[0] == 0:
            raise ValueError(f"Sequence {i} of X has zero length.")
        if arrays and arr.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"All sequences must have the same number of features; sequence "
                f"0 has {arrays[0].shape[1]} and sequence {i} has {arr.shape[1]}."
            )
        if np.issubdtype(arr.dtype, np.floating):
            _check_finite(arr, f"sequence {i}")
        arrays.append(arr)
    if not arrays:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required."
        )
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    padded = np.zeros((len(arrays), lengths.max(), arrays[0].shape[1]), dtype=dtype)
    for i, arr in enumerate(arrays):
        padded[i, : len(arr)] = arr
    return padded, lengths


def compact_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move the padding ids (0) of each row to the end, returning the lengths.

    Rows padded before or after their tokens become the same post-padded row.
    A row with no tokens keeps one padding step (length 1): it carries no
    information, but every sequence needs a step to read.

    Parameters
    ----------
    ids : ndarray of shape (n_samples, n_timesteps), dtype int64
        Token ids, 0 for padding; not modified.

    Returns
    -------
    ids : ndarray of shape (n_samples, n_timesteps)
        The tokens of each row first, in their order, then the padding.
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of tokens of each row (at least 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.data import compact_ids
    >>> ids, lengths = compact_ids(np.array([[0, 0, 5, 7], [4, 0, 0, 0]]))
    >>> ids.tolist(), lengths.tolist()
    ([[5, 7, 0, 0], [4, 0, 0, 0]], [2, 1])
    """
    is_pad = ids == PAD_ID
    if is_pad.any():
        order = np.argsort(is_pad, axis=1, kind="stable")
        ids = np.take_along_axis(ids, order, axis=1)
    lengths = np.maximum((~is_pad).sum(axis=1), 1).astype(np.int64)
    if ids.shape[1] == 0:
        ids = np.zeros((len(ids), 1), dtype=ids.dtype)
    return ids, lengths


def split_nan_padding(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Read trailing all-NaN time steps of a 3-D array as padding.

    This is the convention of tslearn and aeon for variable-length data in one
    array. NaN anywhere else, and infinity anywhere, raises a ``ValueError``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Float array; not modified.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        ``X`` with the padding set to zero (a copy only when there is padding).
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of valid steps of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.data import split_nan_padding
    >>> X = np.array([[[1.0], [2.0]], [[3.0], [np.nan]]])
    >>> split_nan_padding(X)[1].tolist()
    [2, 1]
    """
    n_samples, n_steps = X.shape[:2]
    lengths = np.full(n_samples, n_steps, dtype=np.int64)
    # The common case, no NaN and no infinity, in one fast pass.
    if np.isfinite(X).all():
        return X, lengths
    nan = np.isnan(X)
    if nan.any():
        step_is_pad = nan.all(axis=2)
        # A step is padding when it and every later step are all-NaN.
        trailing = np.flip(np.logical_and.accumulate(np.flip(step_is_pad, 1), 1), 1)
        lengths = n_steps - trailing.sum(axis=1)
        if np.any(nan & ~trailing[:, :, None]):
            _check_finite(X[~trailing], "a sequence")
        if np.any(lengths == 0):
            i = int(np.flatnonzero(lengths == 0)[0])
            raise ValueError(f"Sequence {i} of X has zero length (all NaN).")
        X = np.where(trailing[:, :, None], 0.0, X).astype(X.dtype, copy=False)
    if np.isinf(X).any():
        raise ValueError("Input X contains infinity inside a sequence.")
    return X, lengths.astype(np.int64)


def pad_rows(batch: dict, n_rows: int) -> dict:
    """Append dummy sequences (zeros, full length) to a batch up to ``n_rows``.

    Matrix products in float32 can differ in the last bits with the number of
    rows, so inference pads every batch to the same size: a sequence then gets
    bit-identical outputs whatever it is batched with.
    """
    X, lengths = batch["X"], batch["lengths"]
    extra = n_rows - len(X)
    if extra <= 0:
        return batch
    X = torch.cat([X, X.new_zeros((extra, *X.shape[1:]))])
    # Full length keeps an equal-length batch on the module's fast path.
    lengths = torch.cat([lengths, lengths.new_full((extra,), X.shape[1])])
    return {"X": X, "lengths": lengths}


class SequenceDataset(torch.utils.data.Dataset):
    """Padded sequences, their lengths and optional targets and weights.

    Tensors stay whole (and on one device) so that batches are slices. A host
    copy of the lengths trims each batch to its longest sequence without
    reading back from the device (a synchronisation per batch on a GPU).

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_timesteps, n_features)
        Padded sequences, or ``(n_samples, n_timesteps)`` integer ids.
    lengths : torch.Tensor of shape (n_samples,)
        Number of valid steps of each sequence.
    y : torch.Tensor or None, default=None
        Targets, first dimension ``n_samples``.
    sample_weight : torch.Tensor or None, default=None
        Weight of each sample in the loss.
    """

    def __init__(self, X, lengths, y=None, sample_weight=None):
        self.X = X
        self.lengths = lengths
        self.y = y
        self.sample_weight = sample_weight
        self.host_lengths = lengths.cpu().numpy()
        self.equal_lengths = bool((self.host_lengths == X.shape[1]).all())

    def __len__(self) -> int:
        return len(self.X)

    def batch(self, index, host_index=None) -> tuple[dict, tuple | None]:
        """Return the batch at ``index`` (a slice, index tensor or index array).

        ``host_index`` is the same index as a slice or NumPy array, when the
        caller has it (saves a copy from the device).
        """
        lengths = self.lengths[index]
        X = self.X[index]
        if not self.equal_lengths:
            if host_index is None:
                host_index = index
                if torch.is_tensor(index):
                    host_index = index.cpu().numpy()
                elif not isinstance(index, slice):
                    host_index = np.asarray(index)
            X = X[:, : int(self.host_lengths[host_index].max())]
        target = None
        if self.y is not None:
            weight = None if self.sample_weight is None else self.sample_weight[index]
            target = (self.y[index], weight)
        return {"X": X, "lengths": lengths}, target

    def __getitem__(self, i):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {n} sequences.")
        i %= n
        return self.batch(slice(i, i + 1))


class BatchIterator:
    """Iterate over a :class:`SequenceDataset` in batches.

    skorch builds one per epoch through ``iterator_train`` and
    ``iterator_valid``. Batches are slices of the dataset's tensors, trimmed to
    their longest sequence. When lengths differ, sequences of similar length
    are batched together; ``order`` then says which samples came in which
    position, so predictions can be put back in the input order.

    Parameters
    ----------
    dataset : SequenceDataset
        The data.
    batch_size : int
        Samples per batch.
    shuffle : bool, default=False
        Whether to visit the samples in a new random order each epoch.
    random_state : numpy.random.RandomState or None, default=None
        Source of the shuffling order.
    """

    def __init__(self, dataset, batch_size, shuffle=False, random_state=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.order, self._starts = self._make_order()

    def _make_order(self) -> tuple[np.ndarray | None, np.ndarray]:
        """Return the visiting order (None: as stored) and each batch's start."""
        n = len(self.dataset)
        starts = np.arange(0, n, self.batch_size)
        rng = self.random_state or np.random.mtrand._rand
        if self.dataset.equal_lengths:
            return (rng.permutation(n) if self.shuffle else None), starts
        lengths = self.dataset.host_lengths
        if not self.shuffle:
            return np.argsort(lengths, kind="stable"), starts
        order = rng.permutation(n)
        chunk = self.batch_size * _BUCKET_BATCHES
        for start in range(0, n, chunk):
            part = order[start : start + chunk]
            order[start : start + chunk] = part[
                np.argsort(lengths[part], kind="stable")
            ]
        batches = [order[i : i + self.batch_size] for i in starts]
        batches = [batches[i] for i in rng.permutation(len(batches))]
        # A short batch may now stand anywhere: batches start where they start.
        sizes = np.array([len(batch) for batch in batches])
        return np.concatenate(batches), np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        ends = [*self._starts[1:], n]
        if self.order is None:
            for start, end in zip(self._starts, ends):
                yield self.dataset.batch(slice(start, end))
            return
        order = torch.from_numpy(self.order).to(self.dataset.X.device)
        for start, end in zip(self._starts, ends):
            yield self.dataset.batch(order[start:end], self.order[start:end])
