# SPDX-License-Identifier: BSD-3-Clause
"""Public helpers for sequence data: padding, NaN padding, token ids, batches.

The numpy functions live in ``sklearn_rnn._sequences`` and the torch dataset
and batch iterator in ``sklearn_rnn._batching``; this module gathers the ones
users call.
"""

from ._batching import BatchIterator, SequenceDataset, pad_rows
from ._sequences import (
    OOV_ID,
    PAD_ID,
    compact_ids,
    is_ragged,
    pad_sequences,
    split_nan_padding,
)

__all__ = [
    "OOV_ID",
    "PAD_ID",
    "BatchIterator",
    "SequenceDataset",
    "compact_ids",
    "is_ragged",
    "pad_rows",
    "pad_sequences",
    "split_nan_padding",
]
