# SPDX-License-Identifier: BSD-3-Clause
"""Serving padded sequences to torch in whole batches.

A dataset of contiguous tensors and a batch iterator that slices them: the
iterator groups sequences of similar length and trims each batch to its
longest sequence, so padding costs little compute. It replaces skorch's
per-sample ``Dataset`` and ``DataLoader`` path, which indexes and collates one
sample at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["BatchIterator", "SequenceDataset", "make_dataset", "pad_rows"]

# Sequences are sorted by length within chunks of this many batches before the
# batches are shuffled: long enough chunks that batches are nearly uniform in
# length, short enough that an epoch still mixes the data well.
_BUCKET_BATCHES = 50


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


def make_dataset(
    X, lengths, y, sample_weight, index, device, role="train"
) -> SequenceDataset:
    """The samples ``index`` of validated arrays as a dataset on ``device``.

    Refuses a set whose weights are all zero (``role`` says which set).
    """
    whole = len(index) == len(X) and np.array_equal(index, np.arange(len(X)))

    def tensor(a):
        # All samples in order: share the validated array instead of
        # copying it (training only reads it); torch needs it writable.
        if whole and a.flags.c_contiguous and a.flags.writeable:
            return torch.as_tensor(a, device=device)
        return torch.as_tensor(np.ascontiguousarray(a[index]), device=device)

    weight = sample_weight[index]
    if not weight.any():
        raise ValueError(
            f"sample_weight is zero for every sample to {role} on; give some "
            "of them a positive weight"
            + (" or change validation_fraction." if role == "validate" else ".")
        )
    # Equal weights give the plain mean loss: skip the weighting per batch.
    weight = None if np.all(weight == weight[0]) else tensor(sample_weight)
    return SequenceDataset(tensor(X), tensor(lengths), tensor(y), weight)
