# SPDX-License-Identifier: BSD-3-Clause
"""Training settings of one fit: budget, stop rule, schedule, optimizer.

Plain functions of the estimator's parameters and the data's size, used by
the training engine. The "auto" values resolve here.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import torch
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from torch.optim import Optimizer

from ._net import _RecordLR, _ValidScore

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = ("plateau", "cosine", "onecycle")

# ``batch_size="auto"``: a tenth of the training samples, within these bounds.
# Small data sets then still take several optimizer steps per epoch.
_AUTO_BATCH_BOUNDS = (8, 32)

# ``early_stopping="auto"`` holds out a validation set from this many
# training samples on (as ``HistGradientBoosting*`` does from 10,000).
_AUTO_EARLY_STOPPING_MIN_SAMPLES = 1000

# ``n_iter_no_change="auto"``: patience of at least this many epochs, and of
# at least this many optimizer steps when epochs hold few batches.
_AUTO_PATIENCE_EPOCHS = 10
_AUTO_PATIENCE_STEPS = 200


def batch_size_for(batch_size, n_train: int) -> int:
    """The batch size of a fit on ``n_train`` samples."""
    if batch_size != "auto":
        return int(batch_size)
    low, high = _AUTO_BATCH_BOUNDS
    return int(np.clip(n_train // 10, low, high))


def holds_out_data(
    early_stopping, validation_fraction: float, n_samples: int, stratify=None
) -> bool:
    """Whether to hold out data; "auto" only where a split can be made.

    A stratified split needs two samples of every class and a held-out
    share of at least one sample per class: "auto" trains on everything
    otherwise (``early_stopping=True`` lets the split raise).
    """
    if early_stopping != "auto":
        return bool(early_stopping)
    if n_samples < _AUTO_EARLY_STOPPING_MIN_SAMPLES:
        return False
    if stratify is None:
        return True
    counts = np.bincount(stratify)
    counts = counts[counts > 0]
    n_valid = np.ceil(validation_fraction * n_samples)
    return bool(counts.min() >= 2 and n_valid >= len(counts))


def patience_for(n_iter_no_change, train_batches: int) -> int:
    """Epochs without improvement before training stops."""
    if n_iter_no_change != "auto":
        return int(n_iter_no_change)
    return max(_AUTO_PATIENCE_EPOCHS, -(-_AUTO_PATIENCE_STEPS // train_batches))


def _lr_scheduler(est, monitor: str, patience: int, train_batches: int):
    """skorch's ``LRScheduler`` for ``est.lr_schedule`` (not None).

    Each fit call runs a whole schedule (last_epoch=-1), warm start or not.
    """
    if est.lr_schedule == "plateau":
        return LRScheduler(
            policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
            monitor=monitor,
            patience=max(1, patience // 2),
            factor=0.5,
            threshold=est.tol,
            threshold_mode="abs",
            event_name=None,
        )
    if est.lr_schedule == "cosine":
        return LRScheduler(
            policy=torch.optim.lr_scheduler.CosineAnnealingLR,
            T_max=int(est.max_epochs),
            last_epoch=-1,
            event_name=None,
        )
    return LRScheduler(
        policy=torch.optim.lr_scheduler.OneCycleLR,
        max_lr=est.lr,
        total_steps=int(est.max_epochs) * int(train_batches),
        step_every="batch",
        last_epoch=-1,
        event_name=None,
    )


def make_callbacks(est, n_train: int, n_valid: int, batch_size: int) -> list:
    """The skorch callbacks of one ``fit`` call of ``est``, ours first."""
    monitor = "valid_loss" if n_valid else "train_loss"
    train_batches = -(-n_train // batch_size)
    patience = patience_for(est.n_iter_no_change, train_batches)
    callbacks = [("record_lr", _RecordLR())]
    if n_valid:
        # Ahead of early stopping, whose stop ends the epoch's events:
        # the last epoch's score is recorded too.
        callbacks.append(("valid_score", _ValidScore(est._valid_score)))
    stopper = EarlyStopping(
        monitor=monitor,
        patience=patience,
        threshold=est.tol,
        threshold_mode="abs",
        load_best=bool(n_valid),
    )
    callbacks.append(("early_stopping", stopper))
    # partial_fit trains one epoch at the current learning rate.
    if est.lr_schedule is not None and not est._one_pass():
        scheduler = _lr_scheduler(est, monitor, patience, train_batches)
        callbacks.append(("lr_schedule", scheduler))
    if est.verbose:
        valid_batches = -(-n_valid // batch_size)
        bar = ProgressBar(
            batches_per_epoch=train_batches + valid_batches, detect_notebook=False
        )
        callbacks.append(("progress_bar", bar))
    # Copies: skorch initializes (mutates) the callbacks it is given.
    return callbacks + copy.deepcopy(list(est.callbacks or []))


def optimizer_class(optimizer) -> type:
    """The ``torch.optim`` class of an ``optimizer`` parameter."""
    if isinstance(optimizer, str):
        return OPTIMIZERS[optimizer]
    if not (isinstance(optimizer, type) and issubclass(optimizer, Optimizer)):
        raise ValueError(
            "optimizer must be one of "
            f"{sorted(OPTIMIZERS)} or a torch.optim.Optimizer subclass, got "
            f"{optimizer!r}."
        )
    return optimizer


def optimizer_settings(optimizer, weight_decay) -> dict:
    """The skorch ``optimizer__*`` settings for ``weight_decay``.

    Not every optimizer takes weight_decay (LBFGS does not): it is passed
    only when asked for, and refused where it cannot apply.
    """
    if not weight_decay:
        return {}
    cls = optimizer_class(optimizer)
    params = inspect.signature(cls).parameters.values()
    if not any(p.name == "weight_decay" or p.kind is p.VAR_KEYWORD for p in params):
        raise ValueError(
            f"weight_decay={weight_decay!r}, but {cls.__name__} takes no "
            "weight_decay; set weight_decay=0 or choose another optimizer."
        )
    return {"optimizer__weight_decay": weight_decay}


def switch_optimizer(net, optimizer: type, settings: dict) -> None:
    """Give a fitted net a new optimizer class for a warm start.

    It starts with fresh state and without the old one's settings (LBFGS
    has no weight_decay). If it cannot be built, the net keeps its old
    optimizer, state included.
    """
    saved = {
        key: value
        for key, value in vars(net).items()
        if key in ("optimizer", "optimizer_", "optimizer__weight_decay")
    }
    net.optimizer = optimizer
    vars(net).pop("optimizer__weight_decay", None)
    vars(net).update(settings)
    try:
        net.initialize_optimizer()
    except BaseException:
        vars(net).pop("optimizer__weight_decay", None)
        vars(net).update(saved)
        raise


def move_net(net, device: torch.device) -> None:
    """Move a fitted net to ``device`` (a warm start after set_params)."""
    # torch.device("cuda") and the parameters' "cuda:0" are the same place.
    if next(net.module_.parameters()).device == torch.empty(0, device=device).device:
        return
    state = net.optimizer_.state_dict()
    net.module_.to(device)
    net.criterion_.to(device)
    net.device = device
    # A new optimizer over the moved parameters (``to`` may have replaced
    # them); load_state_dict casts its state (Adam's moments) to their device.
    net.initialize_optimizer()
    net.optimizer_.load_state_dict(state)


def snapshot_net(net):
    """Record a fitted net's state; return a function that puts it back.

    A warm start trains the net in place. What it may change: the weights,
    their device and ``requires_grad`` flags, the optimizer's state and
    settings (or the optimizer itself), the history, and the net's plain
    attributes (learning rate, batch size, callbacks, criterion). The
    module and optimizer keep their identity, so the record is their
    tensors' values, not copies of the objects (callbacks, which users
    write, need not be copyable).
    """
    attributes = dict(vars(net))
    module = net.module_
    device = next(module.parameters()).device
    weights = {key: value.clone() for key, value in module.state_dict().items()}
    trainable = [p.requires_grad for p in module.parameters()]
    optimizer = copy.deepcopy(net.optimizer_.state_dict())
    history = copy.deepcopy(net.history_)

    def restore() -> None:
        vars(net).clear()
        vars(net).update(attributes)
        net.history_ = history
        module.to(device)
        module.load_state_dict(weights)
        for param, flag in zip(module.parameters(), trainable):
            param.requires_grad_(flag)
        held = [p for group in net.optimizer_.param_groups for p in group["params"]]
        if any(a is not b for a, b in zip(held, module.parameters())):
            # ``Module.to`` replaced the parameters (a torch option).
            net.initialize_optimizer()
        net.optimizer_.load_state_dict(optimizer)

    return restore
