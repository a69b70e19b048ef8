# SPDX-License-Identifier: BSD-3-Clause
"""Running a fitted network: the inference loop and the layer summary."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._batching import BatchIterator, SequenceDataset, pad_rows
from ._summary import summary_lines
from ._threads import torch_threads

# Rows of an inference batch: ``batch_size``, at most this many. Every batch is
# padded to it (so outputs never depend on batch composition), which must not
# make a one-sample predict pay for a huge training batch.
_INFERENCE_ROWS = 256


class _InferenceMixin:
    """Prediction through the fitted ``net_`` of a network estimator."""

    def _predict_padded(
        self, X: np.ndarray, lengths: np.ndarray, *, encode=False, pad=True
    ) -> np.ndarray:
        """Run the fitted module over padded ``X`` and return float32 outputs.

        ``pad`` fills every batch up to the same number of rows, so that a
        sequence's output does not depend, even in the last bits, on the
        other sequences of its batch. Callers that feed one small batch at a
        time and need no such guarantee (recursive forecasting) turn it off.
        ``encode`` returns the pooled representation instead of the output.
        """
        module = self.net_.module_
        device = next(module.parameters()).device
        if not X.flags.writeable:
            # torch cannot wrap a read-only array without a copy (and a warning).
            X = X.copy()
        dataset = SequenceDataset(
            torch.as_tensor(X, device=device), torch.as_tensor(lengths, device=device)
        )
        rows = min(self.net_.batch_size, _INFERENCE_ROWS)
        batches = BatchIterator(dataset, rows)
        fn = module.encode if encode else module
        # Known for the whole data: spares the module its check per batch.
        equal = True if dataset.equal_lengths else None
        # Left in eval mode: skorch switches to train mode at every training
        # step, so nothing needs the previous mode back. Switching walks every
        # submodule, which a recursive forecast would pay at each step: only
        # when one of them is in training mode.
        if any(m.training for m in module.modules()):
            module.eval()
        with torch_threads(self.n_threads), torch.inference_mode():
            out = [
                fn(**pad_rows(Xb, rows if pad else 0), equal_lengths=equal)[
                    : len(Xb["X"])
                ]
                for Xb, _ in batches
            ]
        out = torch.cat(out).float().cpu().numpy()
        if batches.order is not None:
            restored = np.empty_like(out)
            restored[batches.order] = out
            out = restored
        return out

    def _example_input(self, n_samples: int, n_steps: int) -> dict:
        """Module input of zeros, for ``summary``."""
        X = torch.zeros(n_samples, n_steps, self._n_step_features)
        lengths = torch.full((n_samples,), n_steps, dtype=torch.long)
        return {"X": X, "lengths": lengths}

    def summary(self, print_fn=None) -> None:
        """Print a table of the network's layers, output shapes and parameters.

        Like Keras' ``Model.summary``: one row per layer, then the total,
        trainable and frozen parameter counts. Output dimensions that depend
        on the data (batch size, sequence length) show as None.

        Parameters
        ----------
        print_fn : callable or None, default=None
            Called with each line of the table; None prints them.
        """
        check_is_fitted(self)
        title = type(self).__name__
        for text in summary_lines(title, self.net_.module_, self._example_input):
            (print_fn or print)(text)
