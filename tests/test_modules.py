# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
import torch
from torch import nn

from sklearn_rnn._layers import standardize_sequences as _standardize_sequences
from sklearn_rnn.modules import (
    CELLS,
    INPUT_NORMS,
    POOLINGS,
    ConvBranch,
    ConvFrontEnd,
    RecurrentNet,
    reverse_within_lengths,
)

CELL_NAMES = sorted(CELLS)


def _make_net(**params):
    params = {"n_features": 3, "n_outputs": 2, "hidden_size": 5, **params}
    net = RecurrentNet(**params)
    net.eval()
    return net


def _ragged_batch(lengths, n_features, padding, n_extra=2, seed=0):
    """Padded float batch whose padded steps hold zeros or large garbage."""
    rng = np.random.RandomState(seed)
    n_steps = max(lengths) + n_extra
    X = rng.normal(size=(len(lengths), n_steps, n_features)).astype(np.float32)
    for i, length in enumerate(lengths):
        if padding == "zeros":
            X[i, length:] = 0.0
        else:
            X[i, length:] = 1e3 * rng.normal(size=X[i, length:].shape)
    return torch.from_numpy(X), torch.tensor(lengths, dtype=torch.int64)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_recurrent_net_output_shape(cell, bidirectional, pooling, num_layers):
    """Check that forward and encode return one row per sequence."""
    net = _make_net(
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
        num_layers=num_layers,
        n_outputs=4,
    )
    X = torch.randn(6, 7, 3)
    for lengths in (torch.full((6,), 7), torch.tensor([7, 1, 3, 6, 2, 5])):
        out = net(X, lengths)
        assert out.shape == (6, 4)
        assert out.dtype == torch.float32
        assert torch.isfinite(out).all()
        assert net.encode(X, lengths).shape == (6, net.output_size)


@pytest.mark.parametrize("padding", ["zeros", "garbage"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_recurrent_net_padding_invariance(
    cell, bidirectional, pooling, num_layers, padding
):
    """Check that a sequence gives the same output alone as in a padded batch."""
    net = _make_net(
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
        num_layers=num_layers,
    )
    # Unsorted lengths, none of them filling the batch, plus a length-1 sequence.
    lengths = [3, 7, 1, 5]
    X, lengths_t = _ragged_batch(lengths, 3, padding)
    with torch.no_grad():
        batched = net(X, lengths_t)
        encoded = net.encode(X, lengths_t)
        for i, length in enumerate(lengths):
            alone_X = X[i : i + 1, :length]
            alone_lengths = torch.tensor([length])
            alone = net(alone_X, alone_lengths)
            torch.testing.assert_close(batched[i : i + 1], alone, atol=1e-5, rtol=0)
            torch.testing.assert_close(
                encoded[i : i + 1],
                net.encode(alone_X, alone_lengths),
                atol=1e-5,
                rtol=0,
            )


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_padding_invariance_full_length_row(bidirectional, pooling):
    """Check that padding invariance holds when one sequence fills the batch."""
    net = _make_net(bidirectional=bidirectional, pooling=pooling, cell="lstm")
    X, lengths_t = _ragged_batch([6, 2, 4], 3, "garbage", n_extra=0)
    with torch.no_grad():
        batched = net(X, lengths_t)
        for i, length in enumerate(lengths_t.tolist()):
            alone = net(X[i : i + 1, :length], torch.tensor([length]))
            torch.testing.assert_close(batched[i : i + 1], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_depends_on_valid_steps(bidirectional):
    """Check that changing a valid step of a sequence does change its output."""
    # Guards the invariance test against a network that ignores its input.
    net = _make_net(bidirectional=bidirectional, pooling="last")
    X, lengths = _ragged_batch([4, 2], 3, "zeros")
    with torch.no_grad():
        before = net(X, lengths)
        X_changed = X.clone()
        X_changed[1, 0] += 1.0
        after = net(X_changed, lengths)
    torch.testing.assert_close(before[0], after[0])
    assert not torch.allclose(before[1], after[1], atol=1e-4)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_recurrent_net_last_pooling_reads_final_states(cell, bidirectional):
    """Check that last pooling returns the final state of each direction."""
    net = _make_net(cell=cell, bidirectional=bidirectional, pooling="last")
    X, lengths = _ragged_batch([4, 2, 3], 3, "garbage")
    with torch.no_grad():
        encoded = net.encode(X, lengths)
        for i, length in enumerate(lengths.tolist()):
            seq = X[i : i + 1, :length]
            if bidirectional:
                rnns = [net.layers[0].forward_rnn, net.layers[0].backward_rnn]
                inputs = [seq, seq.flip(1)]
            else:
                rnns, inputs = [net.rnn], [seq]
            finals = []
            for rnn, inp in zip(rnns, inputs):
                _, h_n = rnn(inp)
                if isinstance(h_n, tuple):  # LSTM returns (h_n, c_n)
                    h_n = h_n[0]
                finals.append(h_n[-1])
            expected = torch.cat(finals, dim=-1)
            torch.testing.assert_close(encoded[i : i + 1], expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("pooling", ["mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_pooling_over_valid_steps(bidirectional, pooling):
    """Check that mean and max pooling reduce over the valid steps only."""
    net = _make_net(bidirectional=bidirectional, pooling=pooling, cell="rnn")
    X, lengths = _ragged_batch([4, 1, 3], 3, "garbage")
    with torch.no_grad():
        encoded = net.encode(X, lengths)
        for i, length in enumerate(lengths.tolist()):
            seq = X[i : i + 1, :length]
            if bidirectional:
                layer = net.layers[0]
                fwd, _ = layer.forward_rnn(seq)
                bwd, _ = layer.backward_rnn(seq.flip(1))
                out = torch.cat([fwd, bwd.flip(1)], dim=-1)
            else:
                out, _ = net.rnn(seq)
            expected = out.mean(1) if pooling == "mean" else out.amax(1)
            torch.testing.assert_close(encoded[i : i + 1], expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("n_trailing", [0, 1, 2])
def test_reverse_within_lengths_reverses_valid_steps(n_trailing):
    """Check that only the valid steps of each sequence are reversed."""
    lengths = torch.tensor([4, 1, 2, 3])
    n_steps = 4 + n_trailing
    X = torch.arange(4 * n_steps).view(4, n_steps) * 1.0
    out = reverse_within_lengths(X, lengths)
    for i, length in enumerate(lengths.tolist()):
        assert out[i, :length].tolist() == X[i, :length].flip(0).tolist()
        assert out[i, length:].tolist() == X[i, length:].tolist()


@pytest.mark.parametrize("n_features", [None, 1, 3])
def test_reverse_within_lengths_is_involution(n_features):
    """Check that reversing twice within lengths gives back the input."""
    lengths = torch.tensor([5, 1, 3, 2, 5])
    shape = (5, 6) if n_features is None else (5, 6, n_features)
    X = torch.randn(*shape)
    out = reverse_within_lengths(X, lengths)
    assert out.shape == X.shape
    assert not torch.equal(out, X)
    assert torch.equal(reverse_within_lengths(out, lengths), X)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("hidden_size", [1, 6])
def test_recurrent_net_encode_size(hidden_size, bidirectional, num_layers):
    """Check that encode returns hidden_size values per direction."""
    net = _make_net(
        hidden_size=hidden_size, bidirectional=bidirectional, num_layers=num_layers
    )
    expected = hidden_size * (2 if bidirectional else 1)
    assert net.output_size == expected
    out = net.encode(torch.randn(2, 4, 3), torch.tensor([4, 2]))
    assert out.shape == (2, expected)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("head_hidden_sizes", [(), (4,), (5, 3)])
def test_recurrent_net_head_hidden_sizes(head_hidden_sizes, bidirectional):
    """Check that head_hidden_sizes builds a ReLU MLP of those widths."""
    net = _make_net(
        head_hidden_sizes=head_hidden_sizes, bidirectional=bidirectional, n_outputs=2
    )
    linears = [m for m in net.head if isinstance(m, nn.Linear)]
    relus = [m for m in net.head if isinstance(m, nn.ReLU)]
    assert len(linears) == len(head_hidden_sizes) + 1
    assert len(relus) == len(head_hidden_sizes)
    sizes = [net.output_size, *head_hidden_sizes, 2]
    for linear, n_in, n_out in zip(linears, sizes[:-1], sizes[1:]):
        assert (linear.in_features, linear.out_features) == (n_in, n_out)
    assert isinstance(net.head[-1], nn.Linear)
    assert net(torch.randn(3, 4, 3), torch.tensor([4, 1, 2])).shape == (3, 2)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_projection(bidirectional):
    """Check that projection_size maps the inputs before the recurrent layers."""
    net = _make_net(n_features=3, projection_size=7, bidirectional=bidirectional)
    linear = net.projection[0]
    assert (linear.in_features, linear.out_features) == (3, 7)
    rnn = net.rnn if net.rnn is not None else net.layers[0].forward_rnn
    assert rnn.input_size == 7
    assert net(torch.randn(2, 5, 3), torch.tensor([5, 3])).shape == (2, 2)


@pytest.mark.parametrize("projection_size", [None, 4])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_embedding(bidirectional, pooling, projection_size):
    """Check that vocab_size embeds ids, with zero vectors for ids 0 and 1."""
    net = _make_net(
        vocab_size=10,
        embedding_dim=4,
        bidirectional=bidirectional,
        pooling=pooling,
        projection_size=projection_size,
    )
    assert torch.equal(net.embedding.weight[0], torch.zeros(4))
    # The unknown-token id starts neutral; the other ids at random.
    assert torch.equal(net.embedding.weight[1], torch.zeros(4))
    assert net.embedding.weight[2:].abs().min(dim=1).values.gt(0).all()
    assert net.embedding.padding_idx == 0
    rnn = net.rnn if net.rnn is not None else net.layers[0].forward_rnn
    assert rnn.input_size == (4 if projection_size is None else projection_size)

    ids = torch.tensor([[3, 1, 4, 0, 0], [9, 2, 0, 0, 0]], dtype=torch.int64)
    lengths = torch.tensor([3, 2])
    with torch.no_grad():
        out = net(ids, lengths)
        assert out.shape == (2, 2)
        # Other ids in the padded steps do not matter either.
        garbage = ids.clone()
        garbage[0, 3:] = torch.tensor([5, 8])
        garbage[1, 2:] = torch.tensor([7, 6, 1])
        torch.testing.assert_close(net(garbage, lengths), out, atol=1e-5, rtol=0)
        alone = net(ids[1:, :2], torch.tensor([2]))
        torch.testing.assert_close(out[1:], alone, atol=1e-5, rtol=0)


def test_recurrent_net_embedding_padding_id_zero_gets_no_gradient():
    """Check that the padding id 0 keeps a zero embedding through training."""
    net = _make_net(vocab_size=6, embedding_dim=3)
    net.train()
    ids = torch.tensor([[1, 0, 2], [0, 3, 0]])
    net(ids, torch.tensor([3, 3])).sum().backward()
    assert torch.equal(net.embedding.weight.grad[0], torch.zeros(3))
    assert net.embedding.weight.grad[1:4].abs().sum() > 0


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_dropout_only_in_train_mode(bidirectional, num_layers):
    """Check that dropout changes outputs in train mode but not in eval mode."""
    net = _make_net(
        dropout=0.5, bidirectional=bidirectional, num_layers=num_layers, hidden_size=16
    )
    X = torch.randn(4, 5, 3)
    lengths = torch.tensor([5, 2, 3, 4])
    net.eval()
    with torch.no_grad():
        first = net(X, lengths)
        torch.testing.assert_close(net(X, lengths), first, atol=0, rtol=0)
    net.train()
    with torch.no_grad():
        train_a = net(X, lengths)
        train_b = net(X, lengths)
    assert not torch.allclose(train_a, train_b)
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(X, lengths), first, atol=0, rtol=0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_no_dropout_is_deterministic_in_train_mode(bidirectional):
    """Check that dropout=0 gives the same outputs in train and eval modes."""
    net = _make_net(bidirectional=bidirectional, num_layers=2)
    X = torch.randn(3, 4, 3)
    lengths = torch.tensor([4, 1, 3])
    with torch.no_grad():
        net.train()
        train = net(X, lengths)
        net.eval()
        torch.testing.assert_close(net(X, lengths), train, atol=0, rtol=0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"cell": "transformer"}, "cell must be one of"),
        ({"cell": "LSTM"}, "cell must be one of"),
        ({"pooling": "sum"}, "pooling must be one of"),
        ({"pooling": None}, "pooling must be one of"),
        ({"input_norm": "batch"}, "input_norm must be one of"),
    ],
)
def test_recurrent_net_invalid_params(params, match):
    """Check that an unknown cell or pooling raises a ValueError."""
    with pytest.raises(ValueError, match=match):
        RecurrentNet(n_features=2, **params)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_recurrent_net_gradients_flow(cell, bidirectional, pooling):
    """Check that backward gives finite, non-zero gradients on all parameters."""
    net = _make_net(
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
        num_layers=2,
        projection_size=4,
        head_hidden_sizes=(6,),
    )
    net.train()
    X, lengths = _ragged_batch([5, 2, 4, 3], 3, "garbage")
    loss = (net(X, lengths) ** 2).mean()
    loss.backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def _set_input_stats(net, n_features, seed=0):
    """Give the input standardization buffers arbitrary, non-trivial values."""
    if getattr(net, "input_norm", None) is None:
        return
    rng = np.random.RandomState(seed)
    with torch.no_grad():
        net.input_mean.copy_(torch.from_numpy(rng.normal(size=n_features)))
        net.input_scale.copy_(torch.from_numpy(rng.uniform(0.5, 2, n_features)))


def _assert_alone_as_in_batch(net, padding):
    """Check each sequence of a ragged batch gives what it gives alone."""
    lengths = [3, 17, 1, 9, 8]
    X, lengths_t = _ragged_batch(lengths, 3, padding, n_extra=5)
    with torch.no_grad():
        batched = net(X, lengths_t)
        for i, length in enumerate(lengths):
            alone = net(X[i : i + 1, :length], torch.tensor([length]))
            torch.testing.assert_close(batched[i : i + 1], alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("padding", ["zeros", "garbage"])
@pytest.mark.parametrize("input_norm", INPUT_NORMS)
@pytest.mark.parametrize("conv_layers", [0, 1, 3])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_net_front_end_padding_invariance(
    bidirectional, pooling, conv_layers, input_norm, padding
):
    """Check that convolutions and input scaling keep padding out of outputs."""
    net = _make_net(
        bidirectional=bidirectional,
        pooling=pooling,
        conv_layers=conv_layers,
        input_norm=input_norm,
    )
    _set_input_stats(net, 3)
    _assert_alone_as_in_batch(net, padding)


def _train_batch_norms(net, seed=1):
    """Give the batch normalization statistics non-trivial values."""
    rng = np.random.RandomState(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm1d):
                module.running_mean.copy_(
                    torch.from_numpy(rng.normal(size=module.num_features))
                )
                module.running_var.copy_(
                    torch.from_numpy(rng.uniform(0.5, 2, module.num_features))
                )


@pytest.mark.parametrize("padding", ["zeros", "garbage"])
@pytest.mark.parametrize("stride", [1, 2, 4])
@pytest.mark.parametrize("conv_layers", [0, 2])
@pytest.mark.parametrize("pooling", ["last", "max"])
def test_recurrent_net_conv_branch_padding_invariance(
    pooling, conv_layers, stride, padding
):
    """Check that the convolutional branch keeps padding out of outputs."""
    net = _make_net(
        pooling=pooling,
        conv_layers=conv_layers,
        input_norm="sequence",
        conv_branch_stride=stride,
        hidden_size=16,
    )
    _set_input_stats(net, 3)
    _train_batch_norms(net)
    _assert_alone_as_in_batch(net, padding)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_branch_pools_valid_steps(stride):
    """Check the branch's output width, and that it averages valid steps only.

    A sequence padded by garbage and the same sequence alone give the same
    features, and so does a batch of equal lengths read on the fast path.
    """
    branch = ConvBranch(2, 6, stride).eval()
    _train_batch_norms(branch)
    X = torch.randn(3, 11, 2)
    with torch.no_grad():
        full = branch(X, torch.tensor([11, 11, 11]), equal_lengths=True)
        ragged = branch(X, torch.tensor([11, 11, 11]), equal_lengths=False)
        padded = torch.cat([X[:1, :5], torch.full((1, 6, 2), 1e3)], dim=1)
        short = branch(padded, torch.tensor([5]), equal_lengths=False)
        alone = branch(X[:1, :5], torch.tensor([5]), equal_lengths=True)
    assert full.shape == (3, 6)
    torch.testing.assert_close(full, ragged)
    torch.testing.assert_close(short, alone)


@pytest.mark.parametrize("n_layers", [1, 2, 4])
def test_conv_front_end_halves_lengths(n_layers):
    """Check that each convolution block halves lengths, rounding up."""
    front = ConvFrontEnd(2, 6, n_layers)
    lengths = torch.tensor([1, 2, 5, 16, 33])
    X = torch.randn(5, 33, 2)
    out, new_lengths = front(X, lengths, equal_lengths=False)
    expected = lengths.clone()
    for _ in range(n_layers):
        expected = (expected + 1) // 2
    assert torch.equal(new_lengths, expected)
    assert out.shape == (5, int(expected.max()), 6)


def test_standardize_sequences_keeps_level_and_scale_as_features():
    """Check that per-sequence standardization moves level and scale aside.

    A sequence and its copy ``5 X + 2`` standardize to the same values (up to
    the 1e-3 floor added to the deviation); the two extra features carry the
    difference (mean, and log 5 in log scale).
    """
    X = torch.randn(1, 12, 3, dtype=torch.float64)
    X[0, 9:] = 1e3  # padding: left out of the statistics
    lengths = torch.tensor([9])
    out, moved = (_standardize_sequences(Z, lengths) for Z in (X, 5 * X + 2))
    valid = slice(0, 9)
    torch.testing.assert_close(
        out[0, valid, :3], moved[0, valid, :3], atol=1e-9, rtol=5e-3
    )
    mean, moved_mean = out[0, 0, 3:6], moved[0, 0, 3:6]
    torch.testing.assert_close(moved_mean, 5 * mean + 2)
    std = out[0, 0, 6:].exp() - 1e-3
    torch.testing.assert_close(moved[0, 0, 6:].exp() - 1e-3, 5 * std)
    torch.testing.assert_close(mean, X[0, valid].mean(0))


def test_recurrent_net_sequence_norm_constant_feature_is_finite():
    """Check that a constant feature standardizes to finite values."""
    net = _make_net(input_norm="sequence", conv_layers=1)
    X = torch.ones(2, 6, 3)
    out = net(X, torch.tensor([6, 2]))
    assert torch.isfinite(out).all()


def test_recurrent_net_attention_weights_only_valid_steps():
    """Check that attention pooling is a convex mix of the valid steps' outputs."""
    net = _make_net(pooling="attention")
    X, lengths = _ragged_batch([4, 7], 3, "garbage")
    with torch.no_grad():
        out = net._recurrent(X, lengths, False)
        pooled = net.encode(X, lengths)
    for i, length in enumerate(lengths.tolist()):
        valid = out[i, :length]
        assert torch.all(pooled[i] <= valid.max(0).values + 1e-6)
        assert torch.all(pooled[i] >= valid.min(0).values - 1e-6)


def test_recurrent_net_input_norm_ignored_for_token_ids():
    """Check that token ids are embedded, never standardized."""
    net = RecurrentNet(vocab_size=10, n_outputs=2, input_norm="sequence")
    assert net.input_norm is None
    assert not hasattr(net, "input_mean")
