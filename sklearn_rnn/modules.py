# SPDX-License-Identifier: BSD-3-Clause
"""PyTorch modules behind the estimators.

This module only depends on torch: the estimators build these modules through
skorch, but the modules themselves know nothing of scikit-learn.

All modules take a padded batch ``X`` of shape ``(batch, time, features)`` (or
``(batch, time)`` integer ids for the embedding path) together with ``lengths``,
the number of valid steps of each sequence. Padding never changes the result:
outputs are read at each sequence's last valid step, pooling is masked, and the
backward direction of a bidirectional layer runs over each sequence reversed
within its own length.
"""

from __future__ import annotations

import torch
from torch import nn

from ._layers import (
    BidirectionalLayer,
    ConvBranch,
    ConvFrontEnd,
    reverse_within_lengths,
    standardize_sequences,
    valid_mask,
)

__all__ = [
    "CELLS",
    "POOLINGS",
    "ConvBranch",
    "ConvFrontEnd",
    "INPUT_NORMS",
    "InferenceGraph",
    "PinballLoss",
    "RecurrentNet",
    "reverse_within_lengths",
]

CELLS = {
    "rnn": (nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, {}),
    "gru": (nn.GRU, {}),
}
POOLINGS = ("last", "mean", "max", "attention")
INPUT_NORMS = (None, "global", "sequence")


class RecurrentNet(nn.Module):
    """Embedding or projection, recurrent stack, pooling over time, head.

    Parameters
    ----------
    n_features : int
        Number of input features per time step. Ignored when ``vocab_size`` is
        set.
    n_outputs : int
        Size of the output layer (classes or regression targets).
    cell : {"rnn", "rnn_relu", "lstm", "gru"}, default="lstm"
        Recurrent cell.
    hidden_size : int, default=64
        Hidden units per direction and layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether each layer also reads the sequences backwards.
    dropout : float, default=0.0
        Dropout between recurrent layers and before the head.
    pooling : {"last", "mean", "max", "attention"}, default="last"
        How the per-step outputs become one vector per sequence: the output at
        the last valid step (for a bidirectional network, the final states of
        both directions), the mean or maximum over valid steps, or their mean
        weighted by a learned score of each step (softmax over valid steps).
    head_hidden_sizes : tuple of int, default=()
        Hidden layers of a ReLU MLP between the pooled vector and the output.
    projection_size : int or None, default=None
        If set, a linear layer with ReLU maps the inputs to this size first.
    vocab_size : int or None, default=None
        If set, inputs are integer ids and go through an ``nn.Embedding`` with
        padding id 0.
    embedding_dim : int, default=64
        Size of the embedding vectors when ``vocab_size`` is set.
    pretrained_embeddings : array-like of shape (vocab_size, embedding_dim), \
default=None
        Initial embedding vectors; row 0 (padding) is zeroed.
    freeze_embeddings : bool, default=False
        Whether the embedding vectors stay fixed during training.
    conv_layers : int, default=0
        Number of strided convolution blocks (:class:`ConvFrontEnd`, with
        ``hidden_size`` channels) ahead of the recurrent stack; each halves
        the number of steps the recurrent layers read.
    input_norm : {"global", "sequence"} or None, default=None
        How numeric inputs are standardized before anything else. "global":
        by the buffers ``input_mean`` and ``input_scale`` (one value per
        feature; 0 and 1 until the owner sets them). "sequence": that, then
        each feature of each sequence over its valid steps, with the
        sequence's mean and log standard deviation of the feature added as
        two more input features, so that level and scale still reach the
        network. Ignored for token ids.
    conv_branch_stride : int, default=0
        With a positive stride, a :class:`ConvBranch` (``hidden_size // 2``
        channels, at least 8) reads the standardized inputs beside the
        convolutions and recurrence; its features are concatenated to the
        pooled ones before the head. 0: no branch.
    """

    def __init__(
        self,
        n_features: int = 1,
        n_outputs: int = 1,
        *,
        cell: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "last",
        head_hidden_sizes: tuple[int, ...] = (),
        projection_size: int | None = None,
        vocab_size: int | None = None,
        embedding_dim: int = 64,
        pretrained_embeddings=None,
        freeze_embeddings: bool = False,
        conv_layers: int = 0,
        input_norm: str | None = None,
        conv_branch_stride: int = 0,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        if input_norm not in INPUT_NORMS:
            raise ValueError(
                f"input_norm must be one of {INPUT_NORMS}, got {input_norm!r}."
            )
        self.pooling = pooling
        self.bidirectional = bidirectional
        # Built in this order (the order the initial weights are drawn in).
        if vocab_size is not None:
            input_size = self._build_embedding(
                vocab_size, embedding_dim, pretrained_embeddings, freeze_embeddings
            )
        else:
            self.embedding = None
            input_size = n_features
        self.input_norm = input_norm if vocab_size is None else None
        input_size, input_size_before_conv = self._build_front_end(
            n_features, input_size, projection_size, conv_layers, hidden_size
        )
        self._build_recurrence(cell, input_size, hidden_size, num_layers, dropout)
        self._build_branch(input_size_before_conv, hidden_size, conv_branch_stride)
        self._build_head(head_hidden_sizes, n_outputs)

    def _build_embedding(self, vocab_size, embedding_dim, pretrained, frozen) -> int:
        """The token embedding; returns its width."""
        if pretrained is not None:
            weights = torch.as_tensor(pretrained, dtype=torch.float32)
            vocab_size, embedding_dim = weights.shape
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        with torch.no_grad():
            if pretrained is not None:
                self.embedding.weight.copy_(weights)
                self.embedding.weight[0] = 0.0
            elif vocab_size > 1:
                # Id 1 (unknown token) may never occur in training: start it
                # at zero, not at a random vector that nothing would correct.
                self.embedding.weight[1] = 0.0
        self.embedding.weight.requires_grad_(not frozen)
        return embedding_dim

    def _build_front_end(
        self, n_features, input_size, projection_size, conv_layers, hidden_size
    ) -> tuple[int, int]:
        """Input standardization, projection and convolutions.

        Returns the width after them, and the width before the convolutions.
        """
        if self.input_norm is not None:
            self.register_buffer("input_mean", torch.zeros(n_features))
            self.register_buffer("input_scale", torch.ones(n_features))
        if self.input_norm == "sequence":
            # Each feature standardized within its sequence, beside the
            # sequence's mean and log standard deviation of that feature.
            input_size = 3 * input_size
        self.projection = None
        if projection_size is not None:
            self.projection = nn.Sequential(
                nn.Linear(input_size, projection_size), nn.ReLU()
            )
            input_size = projection_size
        self.conv = None
        if conv_layers:
            self.conv = ConvFrontEnd(input_size, hidden_size, conv_layers)
            return hidden_size, input_size
        return input_size, input_size

    def _build_recurrence(self, cell, input_size, hidden_size, num_layers, dropout):
        rnn_cls, cell_kwargs = CELLS[cell]
        self.rnn = self.layers = None
        if self.bidirectional:
            self.layers = nn.ModuleList(
                BidirectionalLayer(
                    rnn_cls,
                    input_size if i == 0 else 2 * hidden_size,
                    hidden_size,
                    **cell_kwargs,
                )
                for i in range(num_layers)
            )
        else:
            # One fused multi-layer module is faster, and trailing padding
            # cannot reach a valid step when reading forwards only.
            self.rnn = rnn_cls(
                input_size,
                hidden_size,
                num_layers=num_layers,
                dropout=dropout if num_layers > 1 else 0.0,
                batch_first=True,
                **cell_kwargs,
            )
        # Dropout with p=0 still draws a mask in training mode: skip it.
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.output_size = hidden_size * (2 if self.bidirectional else 1)

    def _build_branch(self, input_size, hidden_size, stride) -> None:
        """The convolutional branch, whose features join the pooled ones."""
        self.branch = None
        if stride:
            self.branch = ConvBranch(input_size, max(hidden_size // 2, 8), stride)

    def _build_head(self, head_hidden_sizes, n_outputs) -> None:
        if self.pooling == "attention":
            self.attention = nn.Linear(self.output_size, 1)
        if self.branch is not None:
            self.output_size += self.branch.output_size
        head = []
        size = self.output_size
        for width in head_hidden_sizes:
            head += [nn.Linear(size, width), nn.ReLU()]
            size = width
        head.append(nn.Linear(size, n_outputs))
        self.head = nn.Sequential(*head)

    def _recurrent(self, X, lengths, equal_lengths):
        if self.rnn is not None:
            out, _ = self.rnn(X)
            return out
        for i, layer in enumerate(self.layers):
            if i > 0:
                X = self.dropout(X)
            X = layer(X, lengths, equal_lengths)
        return X

    def encode(
        self,
        X: torch.Tensor,
        lengths: torch.Tensor,
        equal_lengths: bool | None = None,
    ) -> torch.Tensor:
        """Return the pooled representation, shape ``(batch, output_size)``.

        ``equal_lengths`` tells whether every sequence fills the batch's time
        steps; None checks. Fixed-length batches (the common case) then skip
        the gathers and masks. A traced graph (ONNX export) passes False so
        that it holds the path valid for any lengths.
        """
        if self.embedding is not None:
            X = self.embedding(X)
        elif self.input_norm is not None:
            X = (X - self.input_mean) / self.input_scale
            if self.input_norm == "sequence":
                X = standardize_sequences(X, lengths)
        if self.projection is not None:
            X = self.projection(X)
        lengths = lengths.to(device=X.device, dtype=torch.long)
        if equal_lengths is None:
            equal_lengths = bool((lengths == X.shape[1]).all())
        branch = None
        if self.branch is not None:
            branch = self.branch(X, lengths, equal_lengths)
        if self.conv is not None:
            X, lengths = self.conv(X, lengths, equal_lengths)
        out = self._recurrent(X, lengths, equal_lengths)
        pooled = self._pool(out, lengths, equal_lengths)
        return pooled if branch is None else torch.cat([pooled, branch], dim=1)

    def _pool(self, out, lengths, equal_lengths):
        if self.pooling == "last":
            if equal_lengths:
                last = out[:, -1]
            else:
                index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[-1])
                last = out.gather(1, index).squeeze(1)
            if self.bidirectional:
                # The backward direction ends its pass at step 0.
                half = out.shape[-1] // 2
                return torch.cat([last[:, :half], out[:, 0, half:]], dim=-1)
            return last
        if self.pooling == "attention":
            scores = self.attention(out).squeeze(-1)
            if not equal_lengths:
                mask = valid_mask(lengths, out.shape[1])
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=1).unsqueeze(-1)
            return (weights * out).sum(1)
        if equal_lengths:
            return out.mean(1) if self.pooling == "mean" else out.amax(1)
        mask = valid_mask(lengths, out.shape[1]).unsqueeze(-1)
        if self.pooling == "mean":
            summed = out.masked_fill(~mask, 0.0).sum(1)
            return summed / lengths.unsqueeze(1).to(out.dtype)
        return out.masked_fill(~mask, float("-inf")).amax(1)

    def forward(
        self,
        X: torch.Tensor,
        lengths: torch.Tensor,
        equal_lengths: bool | None = None,
    ) -> torch.Tensor:
        return self.head(self.dropout(self.encode(X, lengths, equal_lengths)))


class PinballLoss(nn.Module):
    """Pinball (quantile) loss for several quantile outputs at once.

    For a quantile level ``q`` and an error ``e = target - prediction``, the
    loss is ``max(q * e, (q - 1) * e)``; its minimiser is the ``q`` quantile
    of the target's conditional distribution.

    Parameters
    ----------
    quantiles : sequence of float
        Quantile levels in (0, 1), one per quantile output column.
    point_output : bool, default=False
        Whether the first output column is a point prediction, trained with
        the squared error, ahead of the quantile columns.
    reduction : {"mean", "sum", "none"}, default="mean"
        "none" returns one loss per sample: the sum over the output columns.

    Notes
    -----
    ``forward`` takes ``input`` of shape ``(batch, n_outputs)``, where
    ``n_outputs`` is ``len(quantiles)`` (plus one with ``point_output``), and
    ``target`` of shape ``(batch,)`` or ``(batch, 1)``. With ``target`` of
    shape ``(batch, k)``, ``input`` holds ``k`` such blocks of columns, one
    per target column, and the loss is their mean.
    """

    def __init__(self, quantiles, *, point_output: bool = False, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}."
            )
        levels = torch.as_tensor(quantiles, dtype=torch.float32).reshape(-1)
        if len(levels) == 0 or not bool(((levels > 0) & (levels < 1)).all()):
            raise ValueError(
                f"quantiles must be levels in (0, 1), got {list(quantiles)!r}."
            )
        self.register_buffer("quantiles", levels)
        self.point_output = point_output
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # One block of columns per target column (a lead of a forecast).
        n = len(target)
        target = target.reshape(n, -1, 1).to(input.dtype)
        input = input.reshape(n, target.shape[1], -1)
        loss = input.new_zeros(input.shape[:2])
        if self.point_output:
            loss = loss + (input[..., 0] - target[..., 0]) ** 2
            input = input[..., 1:]
        error = target - input
        quantiles = self.quantiles.to(input.dtype)
        loss = loss + torch.maximum(quantiles * error, (quantiles - 1) * error).sum(-1)
        loss = loss.mean(dim=1)
        if self.reduction == "none":
            return loss
        return loss.mean() if self.reduction == "mean" else loss.sum()


class InferenceGraph(nn.Module):
    """A fitted :class:`RecurrentNet` with its output mapping, for export.

    It always takes the path valid for sequences of any length (no check of
    whether a batch has equal lengths), so a traced graph serves every batch.

    Parameters
    ----------
    net : RecurrentNet
        The trained network.
    output : {"softmax", "affine"}
        "softmax" returns class probabilities; "affine" returns
        ``(net(X) + level) * scale + offset``.
    scale, offset : array-like of shape (n_outputs,), default=None
        Per-output scale and offset of "affine" (1 and 0 when None).
    with_level : bool, default=False
        Whether ``forward`` takes a ``level`` of shape ``(batch, n_blocks)``
        added before scaling, one per block of consecutive outputs (one per
        lead of the forecaster), and ``scale``/``offset`` per row.
    n_blocks : int, default=1
        Number of equal blocks the outputs form, for ``with_level``.
    with_lengths : bool, default=True
        Whether ``forward`` takes the ``lengths`` of the sequences. Without,
        numeric sequences are read whole and token ids up to their number of
        non-padding ids (padding after the tokens).
    """

    def __init__(
        self,
        net,
        output,
        scale=None,
        offset=None,
        with_level=False,
        with_lengths=True,
        n_blocks=1,
    ):
        super().__init__()
        self.net = net
        self.output = output
        self.with_level = with_level
        self.n_blocks = n_blocks
        self.with_lengths = with_lengths
        n_outputs = net.head[-1].out_features
        scale = torch.ones(n_outputs) if scale is None else torch.as_tensor(scale)
        offset = torch.zeros(n_outputs) if offset is None else torch.as_tensor(offset)
        self.register_buffer("scale", scale.to(torch.float32).reshape(-1))
        self.register_buffer("offset", offset.to(torch.float32).reshape(-1))

    def forward(self, X, lengths=None, level=None, scale=None, offset=None):
        if not self.with_lengths:
            if X.ndim == 2:  # token ids
                lengths = (X != 0).sum(dim=1)
            else:
                lengths = X.new_ones(X.shape[:2], dtype=torch.long).sum(dim=1)
        out = self.net(X, lengths, False)
        if self.output == "softmax":
            return torch.softmax(out, dim=1)
        if self.with_level:
            # One level per lead, added to the lead's block of outputs.
            out = out.reshape(out.shape[0], self.n_blocks, -1) + level.unsqueeze(2)
            return out.flatten(1) * scale.unsqueeze(1) + offset.unsqueeze(1)
        return out * self.scale + self.offset
