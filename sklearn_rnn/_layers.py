# SPDX-License-Identifier: BSD-3-Clause
"""Building blocks of :class:`~sklearn_rnn.modules.RecurrentNet` (torch only).

Masks of the valid steps, per-sequence standardization, the strided
convolutional front-end, and the reversal within lengths that a
bidirectional layer runs its backward direction over.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "BidirectionalLayer",
    "ConvFrontEnd",
    "reverse_within_lengths",
    "standardize_sequences",
    "valid_mask",
]

# Added to each sequence's standard deviation: a constant feature (std 0)
# becomes zeros, and its log-scale feature log(1e-3), not -inf.
_SEQUENCE_STD_FLOOR = 1e-3


def standardize_sequences(X, lengths):
    """Standardize each feature within each sequence, over its valid steps.

    Returns ``(batch, steps, 3 * features)``: the standardized features, then
    each sequence's mean and log standard deviation of every feature, repeated
    along time. Padding does not enter the statistics.
    """
    lengths = lengths.to(device=X.device, dtype=torch.long)
    mask = valid_mask(lengths, X.shape[1]).unsqueeze(-1).to(X.dtype)
    count = lengths.clamp_min(1).to(X.dtype).view(-1, 1, 1)
    mean = (X * mask).sum(1, keepdim=True) / count
    var = (((X - mean) * mask) ** 2).sum(1, keepdim=True) / count
    std = torch.sqrt(var) + _SEQUENCE_STD_FLOOR
    stats = torch.cat([mean, torch.log(std)], dim=-1).expand(-1, X.shape[1], -1)
    return torch.cat([(X - mean) / std, stats], dim=-1)


def valid_mask(lengths: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Boolean ``(batch, n_steps)``: True at each sequence's valid steps."""
    steps = torch.arange(n_steps, device=lengths.device).unsqueeze(0)
    return steps < lengths.unsqueeze(1)


class ConvFrontEnd(nn.Module):
    """Strided 1-D convolutions that shorten sequences before the recurrence.

    Each block is a convolution (kernel 5, stride 2, zero padding 2) and a
    ReLU, so a sequence of ``L`` steps leaves a block with ``(L + 1) // 2``.
    Steps past a sequence's length are set to zero before every block: a
    valid output then sees the same inputs whether its sequence is padded in
    a batch or alone (where the convolution pads with zeros too).

    Parameters
    ----------
    input_size : int
        Features per input step.
    channels : int
        Output channels of every block.
    n_layers : int
        Number of blocks; each halves the number of steps.
    """

    kernel_size = 5
    stride = 2

    def __init__(self, input_size: int, channels: int, n_layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Conv1d(
                input_size if i == 0 else channels,
                channels,
                self.kernel_size,
                stride=self.stride,
                padding=self.kernel_size // 2,
            )
            for i in range(n_layers)
        )

    def forward(self, X, lengths, equal_lengths):
        """Return the shortened ``(batch, steps, channels)`` and new lengths."""
        X = X.transpose(1, 2)
        for conv in self.blocks:
            if not equal_lengths:
                X = X * valid_mask(lengths, X.shape[2]).unsqueeze(1).to(X.dtype)
            X = torch.relu(conv(X))
            lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
        return X.transpose(1, 2), lengths


class ConvBranch(nn.Module):
    """A fully convolutional branch beside the recurrence (as in LSTM-FCN).

    Three convolution blocks (kernels 7, 5 and 3; ``channels``,
    ``2 * channels`` and ``channels`` filters; batch normalization and
    ReLU), the first with stride ``stride``, then the mean of the last
    block's outputs over each sequence's valid steps. As in
    :class:`ConvFrontEnd`, steps past a sequence's length are set to zero
    before every block, so that outside training (where batch normalization
    uses its running statistics) a sequence gives the same output padded
    in a batch or alone.

    Parameters
    ----------
    input_size : int
        Features per input step.
    channels : int
        Filters of the first and last blocks (the output width).
    stride : int
        Stride of the first block; it divides the number of steps.
    """

    kernel_sizes = (7, 5, 3)

    def __init__(self, input_size: int, channels: int, stride: int):
        super().__init__()
        widths = (input_size, channels, 2 * channels, channels)
        self.stride = stride
        self.convs = nn.ModuleList(
            nn.Conv1d(
                widths[i],
                widths[i + 1],
                kernel,
                stride=stride if i == 0 else 1,
                padding=kernel // 2,
            )
            for i, kernel in enumerate(self.kernel_sizes)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(w) for w in widths[1:])
        self.output_size = channels

    def forward(self, X, lengths, equal_lengths):
        """Return the pooled ``(batch, channels)`` features of ``X``."""
        X = X.transpose(1, 2)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            if not equal_lengths:
                X = X * valid_mask(lengths, X.shape[2]).unsqueeze(1).to(X.dtype)
            X = torch.relu(norm(conv(X)))
            if i == 0:
                lengths = torch.div(
                    lengths + self.stride - 1, self.stride, rounding_mode="floor"
                )
        if equal_lengths:
            return X.mean(2)
        mask = valid_mask(lengths, X.shape[2]).unsqueeze(1).to(X.dtype)
        return (X * mask).sum(2) / lengths.unsqueeze(1).to(X.dtype)


def reverse_within_lengths(X: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the valid steps of each sequence, leaving padding in place.

    The operation is its own inverse, so it also maps the outputs of a run over
    reversed sequences back to the original time order.
    """
    n_steps = X.shape[1]
    steps = torch.arange(n_steps, device=X.device).unsqueeze(0)
    last = (lengths.to(X.device) - 1).unsqueeze(1)
    index = torch.where(steps <= last, last - steps, steps)
    index = index.view(*index.shape, *([1] * (X.ndim - 2))).expand_as(X)
    return X.gather(1, index)


class BidirectionalLayer(nn.Module):
    """One bidirectional recurrent layer that respects sequence lengths.

    ``torch.nn.RNN(bidirectional=True)`` on a padded batch lets the backward
    direction start on the trailing padding. Packing avoids that but is slow on
    CPU, so the backward cell runs over sequences reversed within their lengths.
    """

    def __init__(self, rnn_cls, input_size, hidden_size, **kwargs):
        super().__init__()
        self.forward_rnn = rnn_cls(input_size, hidden_size, batch_first=True, **kwargs)
        self.backward_rnn = rnn_cls(input_size, hidden_size, batch_first=True, **kwargs)

    def forward(self, X, lengths, equal_lengths):
        out_fwd, _ = self.forward_rnn(X)
        if equal_lengths:
            out_bwd, _ = self.backward_rnn(X.flip(1))
            out_bwd = out_bwd.flip(1)
        else:
            out_bwd, _ = self.backward_rnn(reverse_within_lengths(X, lengths))
            out_bwd = reverse_within_lengths(out_bwd, lengths)
        return torch.cat([out_fwd, out_bwd], dim=-1)
