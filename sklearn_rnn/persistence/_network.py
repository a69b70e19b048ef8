# SPDX-License-Identifier: BSD-3-Clause
"""The skorch net of a network estimator: its weights, optimizer and history.

``net_`` is not stored as an object: its module's weights are tensors, its
optimizer state and per-epoch history are data, and loading rebuilds the net
from the estimator's saved architecture before copying them in.
"""

from __future__ import annotations

import torch

# The one import of the networks' base class in this package.
from .._device import resolve_device
from .._engine import _TORCH_RANDOM_LOCK
from .._engine import _RNNEngine as NetworkEstimator
from ._codec import typed

__all__ = ["NetworkEstimator", "encode_net", "load_optimizer", "restore_net"]

#: Fitted attributes recomputed on load rather than stored, with the method
#: that computes them.
DERIVED = {"history_": "_history_frame"}


def encode_net(writer, net, label: str) -> dict:
    """Return the weights, optimizer state and history of ``net`` as data."""
    module = {
        name: writer.tensor(value, f"{label}.net_.module_.{name}")
        for name, value in net.module_.state_dict().items()
    }
    optimizer = None
    if writer.include_optimizer:
        optimizer = writer.encode(
            net.optimizer_.state_dict(), f"{label}.net_.optimizer_"
        )
    # Per-batch records (losses and sizes of every batch) would grow the
    # JSON header with the length of training, past safetensors' limit
    # on long fits: only the per-epoch records are kept. Callbacks read
    # past epochs through their per-epoch entries (train_batch_count).
    epochs = [
        {**epoch, "batches": []} if "batches" in epoch else epoch
        for epoch in net.history
    ]
    history = writer.encode(epochs, f"{label}.net_.history")
    return {"module": module, "optimizer": optimizer, "history": history}


def _device(est, label: str) -> torch.device:
    try:
        return resolve_device(est.device)
    except ValueError as exc:
        raise ValueError(
            f"{label}: {exc} To load the model on this machine, pass "
            "load(..., device='cpu')."
        ) from exc


def _empty_net(est, weights: dict, label: str):
    """Build the net of the saved architecture, and its weights' shapes."""
    architecture = getattr(est, "_fitted_architecture", None)
    if type(architecture) is not dict:
        raise ValueError(f"{label}._fitted_architecture must be a dict.")
    device = _device(est, label)
    loops = [
        architecture.get("num_layers"),
        architecture.get("conv_layers", 0),
        len(architecture.get("head_hidden_sizes", ())),
    ]
    if not all(type(n) is int and n <= len(weights) for n in loops):
        raise ValueError(
            f"{label}: the saved architecture {architecture!r} does not match the "
            f"{len(weights)} saved weights."
        )
    try:
        net = est._build_net(dict(architecture), device, [])
        # Shapes first, on the meta device: no memory is taken for a network
        # that the weights in the file do not fill.
        with torch.device("meta"):
            expected = net.module(**net.get_params_for("module")).state_dict()
    except (TypeError, ValueError, KeyError, RuntimeError, OverflowError) as exc:
        raise ValueError(
            f"{label}: the network cannot be rebuilt from the saved architecture "
            f"{architecture!r}: {exc}"
        ) from exc
    return net, expected


def restore_net(est, net_data: dict, reader, label: str) -> None:
    """Rebuild ``est.net_`` from the saved architecture, weights and history."""
    from skorch.history import History

    weights = typed(net_data.get("module"), dict, f"{label}.net_.module_")
    net, expected = _empty_net(est, weights, label)
    if set(weights) != set(expected):
        raise ValueError(
            f"{label}: the saved weights do not match the network: missing "
            f"{sorted(set(expected) - set(weights))}, unexpected "
            f"{sorted(set(weights) - set(expected))}."
        )
    state = {}
    for name, current in expected.items():
        tensor = reader.take(weights[name], f"{label}.net_.module_.{name}")
        if tensor.shape != current.shape or tensor.dtype != current.dtype:
            raise ValueError(
                f"{label}: weight {name!r} has shape {tuple(tensor.shape)} and "
                f"dtype {tensor.dtype} in the file, but the network expects "
                f"{tuple(current.shape)} and {current.dtype}."
            )
        state[name] = tensor
    # Initializing draws random weights: keep the caller's random state,
    # and stay out of the way of fits in other threads (see _engine).
    with _TORCH_RANDOM_LOCK, torch.random.fork_rng(devices=[]):
        net.initialize()
    net.module_.load_state_dict(state)

    optimizer = net_data.get("optimizer")
    if optimizer is not None:
        where = f"{label}.net_.optimizer_"
        load_optimizer(net.optimizer_, reader.decode(optimizer, where), where)
    history = reader.decode(net_data.get("history"), f"{label}.net_.history")
    if type(history) is not list or not all(type(h) is dict for h in history):
        raise ValueError(f"{label}.net_.history must be a list of dicts.")
    net.history = History(history)
    est.net_ = net
    for attr, method in DERIVED.items():
        if hasattr(est, method):
            setattr(est, attr, getattr(est, method)())


def _check_groups(optimizer, state, where: str) -> None:
    current = optimizer.state_dict()
    if type(state) is not dict or set(state) != {"state", "param_groups"}:
        raise ValueError(f"{where} must hold 'state' and 'param_groups'.")
    groups = state["param_groups"]
    if type(groups) is not list or len(groups) != len(current["param_groups"]):
        raise ValueError(f"{where} has the wrong number of parameter groups.")
    for group, mine in zip(groups, current["param_groups"]):
        # Schedulers add entries (initial_lr, max_lr, ...) to the groups.
        if type(group) is not dict or not set(mine) <= set(group):
            raise ValueError(f"{where} has parameter groups of another optimizer.")
        if group["params"] != mine["params"]:
            raise ValueError(f"{where} has parameter groups of another network.")


def load_optimizer(optimizer, state, where: str) -> None:
    """Check a saved optimizer state against ``optimizer``, then load it."""
    _check_groups(optimizer, state, where)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    # LBFGS keeps flat vectors over all parameters (some in lists), filed
    # under the first parameter.
    lbfgs = isinstance(optimizer, torch.optim.LBFGS)
    flat = (sum(p.numel() for p in params),)
    per_param = state["state"]
    if type(per_param) is not dict:
        raise ValueError(f"{where}['state'] must be a dict.")
    for index, values in per_param.items():
        if type(index) is not int or not 0 <= index < len(params):
            raise ValueError(f"{where} has state for unknown parameter {index!r}.")
        if type(values) is not dict:
            raise ValueError(f"{where}['state'][{index}] must be a dict.")
        expected = flat if lbfgs and index == 0 else params[index].shape
        for key, value in values.items():
            tensors = value if lbfgs and type(value) is list else [value]
            for tensor in tensors:
                if (
                    isinstance(tensor, torch.Tensor)
                    and tensor.ndim
                    and tensor.shape != expected
                ):
                    raise ValueError(
                        f"{where}: state {key!r} of parameter {index} has shape "
                        f"{tuple(tensor.shape)}, expected {tuple(expected)}."
                    )
    try:
        optimizer.load_state_dict(state)
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"{where} cannot be loaded: {exc}") from exc
