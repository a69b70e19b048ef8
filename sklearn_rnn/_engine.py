# SPDX-License-Identifier: BSD-3-Clause
"""The training engine shared by every network estimator.

An estimator here is a plain scikit-learn estimator that builds and owns a
skorch ``NeuralNet`` in ``fit`` (``net_``). skorch runs the training loop,
callbacks, history and devices; the engine declares the shared parameters,
builds or continues the net, trains it on padded arrays and runs the fitted
module in a plain ``torch.inference_mode`` loop. What the input is (sequences,
token ids, a time-ordered table) is the business of the estimators above it.
"""

from __future__ import annotations

import threading
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.helper import predefined_split

from ._batching import BatchIterator, make_dataset
from ._compat import Interval, StrOptions
from ._device import resolve_device
from ._inference import _InferenceMixin
from ._net import _QuietPrintLog, _SequenceNet
from ._sequences import python_scalar
from ._state_checks import require, require_attributes
from ._threads import torch_threads
from ._training import (
    LR_SCHEDULES,
    OPTIMIZERS,
    batch_size_for,
    holds_out_data,
    make_callbacks,
    optimizer_class,
    optimizer_settings,
)
from ._warm_start import NET_SETTINGS, _WarmStartMixin
from .modules import CELLS, POOLINGS, RecurrentNet

# torch.set_num_threads takes a C int; no machine has more cores than this.
_MAX_THREADS = 2**16

# torch's random generator is one per process. A fit seeds it (inside
# ``fork_rng``, so the caller's state comes back) and draws from it for the
# initial weights and dropout: fits in threads of one process take turns, or
# they would draw from each other's seeds and restore each other's states.
_TORCH_RANDOM_LOCK = threading.RLock()

# Parameters handed to ``RecurrentNet`` unchanged.
_MODULE_PARAMS = (
    "cell",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "dropout",
    "pooling",
    "projection_size",
)

# Freezing the embedding is a training setting too: a warm start may
# change it.
_TRAINING_SETTINGS = ("freeze_embeddings", *NET_SETTINGS)


def _seed_generators(seed: int, device: torch.device) -> None:
    """Seed the CPU generator and that of the fit's own CUDA device only.

    ``torch.manual_seed`` seeds every device's generator, which ``fork_rng``
    does not put back for the devices the fit does not use.
    """
    torch.random.default_generator.manual_seed(seed)
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)


def _same_architecture(fitted: dict, new: dict) -> bool:
    """Whether a warm start may train on from the network built for ``fitted``."""
    return {k: v for k, v in fitted.items() if k not in _TRAINING_SETTINGS} == {
        k: v for k, v in new.items() if k not in _TRAINING_SETTINGS
    }


class _RNNEngine(_WarmStartMixin, _InferenceMixin, BaseEstimator):
    """Parameters, training and inference shared by the network estimators.

    Subclasses define ``__init__`` (passing the parameters below on),
    ``_criterion`` (the loss class, given whether data is held out),
    ``_valid_score``, ``fit`` (validating inputs and targets inside
    ``_restore_on_error``, then calling ``_fit_net``) and the public
    prediction methods. Optional hooks: ``_after_initialize`` (once a new
    net exists), ``_continue_settings`` (before a warm start trains on) and
    ``_after_training`` (on the held-out samples once training is over).
    """

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "head_hidden_sizes": ["array-like"],
        "projection_size": [None, Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES)), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        # Any torch device string ("cuda:1", ...); checked when fit resolves it.
        "device": [str, torch.device],
        "n_threads": [None, Interval(Integral, 1, _MAX_THREADS, closed="both")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        *,
        cell,
        hidden_size,
        num_layers,
        bidirectional,
        dropout,
        pooling,
        head_hidden_sizes,
        projection_size,
        optimizer,
        lr,
        weight_decay,
        lr_schedule,
        batch_size,
        max_epochs,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        clip_grad_norm,
        device,
        n_threads,
        random_state,
        verbose,
        callbacks,
        warm_start,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.head_hidden_sizes = head_hidden_sizes
        self.projection_size = projection_size
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.clip_grad_norm = clip_grad_norm
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start

    # -- state -------------------------------------------------------------

    def _check_loaded_state(self) -> None:
        """Check the fitted attributes every network has, read from a file.

        Raises a ``ValueError`` saying what is wrong. Subclasses add the
        checks of the state their own ``fit`` makes.
        """
        require_attributes(
            self, ("n_features_in_", "_n_step_features", "_fitted_architecture")
        )
        require_attributes(self, ("_fit_input_kind", "n_iter_"))
        architecture = self._fitted_architecture
        require(type(architecture) is dict, "_fitted_architecture must be a dict")
        n_in = self.n_features_in_
        positive = type(n_in) is int and n_in >= 1
        require(positive, "n_features_in_ must be a positive int")
        require(
            type(self._n_step_features) is int
            and self._n_step_features == architecture.get("n_features"),
            "features per step differ from the network's",
        )
        for name in ("n_iter_", "best_epoch_"):
            value = getattr(self, name, 0)
            require(type(value) is int and value >= 0, f"{name} must be an int")

    # -- the network -------------------------------------------------------

    def _module_params(self, n_outputs: int, lengths: np.ndarray) -> dict:
        """Arguments of ``RecurrentNet`` for this fit (no front-end here)."""
        sizes = np.atleast_1d(np.asarray(self.head_hidden_sizes, dtype=object))
        if sizes.ndim != 1 or not all(
            isinstance(s, Integral) and s >= 1 for s in sizes.tolist()
        ):
            raise ValueError(
                "head_hidden_sizes must be a sequence of positive integers, got "
                f"{self.head_hidden_sizes!r}."
            )
        # NumPy scalars (say, from a grid built with np.arange) pass the
        # parameter checks but not torch's own type checks.
        params = {name: python_scalar(getattr(self, name)) for name in _MODULE_PARAMS}
        params["head_hidden_sizes"] = tuple(int(s) for s in sizes.tolist())
        params["n_features"] = self._n_step_features
        params["n_outputs"] = n_outputs
        params["conv_layers"] = 0
        params["input_norm"] = None
        return params

    def _build_net(
        self, architecture: dict, device: torch.device, callbacks: list
    ) -> NeuralNet:
        """The skorch net for ``architecture`` (module arguments and settings)."""
        module_params = {k: v for k, v in architecture.items() if k not in NET_SETTINGS}
        return _SequenceNet(
            module=RecurrentNet,
            criterion=self._criterion(architecture["holds_out"]),
            criterion__reduction="none",
            optimizer=optimizer_class(self.optimizer),
            lr=self.lr,
            max_epochs=self._epochs(),
            batch_size=architecture["batch_size"],
            iterator_train=BatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=BatchIterator,
            train_split=None,
            callbacks=callbacks,
            callbacks__print_log=_QuietPrintLog(),
            clip_grad_norm=self.clip_grad_norm,
            device=device,
            **optimizer_settings(self.optimizer, self._weight_decay()),
            verbose=self.verbose,
            **{f"module__{k}": v for k, v in module_params.items()},
        )

    def _weight_decay(self) -> float:
        """The weight decay to train with (estimators may resolve "auto")."""
        return self.weight_decay

    # -- training ----------------------------------------------------------

    def _fit_net(
        self,
        X,
        lengths,
        y,
        sample_weight,
        n_outputs,
        stratify=None,
        valid_idx=None,
        unused_idx=None,
    ):
        """Build (or, with ``warm_start``, reuse) ``net_`` and train it.

        With early stopping, ``valid_idx`` names the held-out samples; by
        default they are a random (stratified) ``validation_fraction``.
        ``unused_idx`` names samples left out of training beside them.
        """
        device = resolve_device(self.device)
        module_params = self._module_params(n_outputs, lengths)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        train_idx, valid_idx = self._split_validation(
            len(lengths), stratify, valid_idx, seed
        )
        if valid_idx is not None and unused_idx is not None:
            train_idx = np.setdiff1d(train_idx, unused_idx)
        train_ds = make_dataset(X, lengths, y, sample_weight, train_idx, device)
        valid_ds = None
        if valid_idx is not None:
            valid_ds = make_dataset(
                X, lengths, y, sample_weight, valid_idx, device, role="validate"
            )
        # The architecture, without the (large) initial embedding vectors.
        architecture = {
            **{k: v for k, v in module_params.items() if k != "pretrained_embeddings"},
            "batch_size": batch_size_for(self.batch_size, len(train_ds)),
            "holds_out": valid_ds is not None,
        }
        warm = self._is_warm()
        if warm and not _same_architecture(self._fitted_architecture, architecture):
            raise ValueError(
                "warm_start=True needs the same architecture and data dimensions as "
                "the previous fit; call fit with warm_start=False to start over."
            )
        epochs_before = len(self.net_.history) if warm else 0
        n_valid = 0 if valid_ds is None else len(valid_ds)
        cuda = [device.index or 0] if device.type == "cuda" else []
        # Seeded inside fork_rng: reproducible fits that leave the caller's
        # global torch random state as it was.
        with _TORCH_RANDOM_LOCK, torch_threads(self.n_threads):
            with torch.random.fork_rng(devices=cuda):
                _seed_generators(seed, device)
                callbacks = make_callbacks(
                    self, len(train_ds), n_valid, architecture["batch_size"]
                )
                if warm:
                    self._continue_net(architecture, device, callbacks)
                else:
                    self._start_net(module_params, architecture, device, callbacks)
                    self._after_initialize(X, lengths, sample_weight, train_idx)
                self._run_epochs(train_ds, valid_ds, seed)
        self._record_training(epochs_before)
        if valid_ds is not None:
            with torch_threads(self.n_threads):
                self._after_training(
                    X[valid_idx],
                    lengths[valid_idx],
                    y[valid_idx],
                    sample_weight[valid_idx],
                )
        return self

    def _split_validation(self, n_samples, stratify, valid_idx, seed):
        """Return the training and held-out positions (None: nothing held out)."""
        train_idx = np.arange(n_samples)
        if self._one_pass():
            return train_idx, None
        if valid_idx is not None:
            return np.setdiff1d(train_idx, valid_idx), valid_idx
        if not holds_out_data(
            self.early_stopping, self.validation_fraction, n_samples, stratify
        ):
            return train_idx, None
        return train_test_split(
            train_idx,
            test_size=self.validation_fraction,
            random_state=seed,
            stratify=stratify,
        )

    def _start_net(self, module_params, architecture, device, callbacks) -> None:
        self.net_ = self._build_net(
            {**module_params, **architecture}, device, callbacks
        )
        self.net_.initialize()
        self._fitted_architecture = architecture

    def _run_epochs(self, train_ds, valid_ds, seed) -> None:
        net = self.net_
        net.iterator_train__random_state = np.random.RandomState(seed)
        net.train_split = None if valid_ds is None else predefined_split(valid_ds)
        try:
            net.partial_fit(train_ds)
        finally:
            # Neither data nor a random generator stays in the fitted net.
            net.train_split = None
            net.iterator_train__random_state = None

    def _record_training(self, epochs_before: int) -> None:
        """Set ``n_iter_``, ``history_``, ``best_epoch_``; warn if unconverged."""
        net = self.net_
        self.n_iter_ = len(net.history)
        self.history_ = self._history_frame()
        stopper = dict(net.callbacks_)["early_stopping"]
        # As scikit-learn's MLP: running out of epochs before the stopping
        # rule is met means the model may be undertrained. Cosine and
        # one-cycle schedules are built to run all max_epochs.
        if (
            not self._one_pass()
            and self.n_iter_ - epochs_before >= self.max_epochs
            and stopper.misses_ < stopper.patience
            and self.lr_schedule not in ("cosine", "onecycle")
        ):
            warnings.warn(
                f"{type(self).__name__} ran all max_epochs={self.max_epochs} "
                "epochs before its stopping rule was met (no improvement of "
                f"its {stopper.monitor} by tol={self.tol} for {stopper.patience} "
                f"epochs in a row; n_iter_no_change={self.n_iter_no_change!r}); "
                "raise max_epochs to train longer.",
                ConvergenceWarning,
            )
        # EarlyStopping's record: the epoch whose weights it restores. 0 when
        # no epoch of this call improved (the last weights stay).
        best = getattr(stopper, "best_epoch_", 0)
        self.best_epoch_ = int(best) if best else self.n_iter_

    def _after_initialize(self, X, lengths, sample_weight, train_idx) -> None:
        """A hook run once a new net exists, before it trains."""

    def _continue_settings(self, architecture: dict) -> None:
        """A hook run before a warm start trains on."""

    def _after_training(self, X, lengths, y, sample_weight) -> None:
        """A hook run on the held-out samples once training is over."""

    def _history_frame(self) -> pd.DataFrame:
        """The per-epoch records of ``net_.history``, without per-batch detail."""
        rows = [
            {
                key: value
                for key, value in epoch.items()
                if key != "batches" and not key.endswith(("_best", "_batch_count"))
            }
            for epoch in self.net_.history
        ]
        frame = pd.DataFrame(rows)
        first = ["epoch", "train_loss", "valid_loss", "valid_score", "lr", "dur"]
        columns = [c for c in first if c in frame] + [
            c for c in frame if c not in first
        ]
        return frame[columns] if len(frame) else frame
