# SPDX-License-Identifier: BSD-3-Clause
"""The shared base of the recurrent estimators.

An estimator here is a plain scikit-learn estimator that builds and owns a
skorch ``NeuralNet`` in ``fit`` (``net_``). skorch runs the training loop,
callbacks, history and devices; this module turns user input into padded
tensors, declares and validates the parameters, and predicts through a plain
``torch.inference_mode`` loop.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from contextlib import contextmanager
from numbers import Complex, Integral, Number, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import TransformerTags, check_array, check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from skorch.helper import predefined_split
from torch.optim import Optimizer

from ._compat import Interval, StrOptions
from ._net import _PrintLog, _RecordLR, _SequenceNet, _ValidScore
from ._summary import layer_table
from ._threads import torch_threads
from ._validation import validate_sequences
from .data import (
    OOV_ID,
    BatchIterator,
    SequenceDataset,
    compact_ids,
    is_ragged,
    pad_rows,
    pad_sequences,
)
from .modules import CELLS, POOLINGS, RecurrentNet
from .scaling import _moments, _scale_from_var

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = ("plateau", "cosine", "onecycle")

# Rows of an inference batch: ``batch_size``, at most this many. Every batch is
# padded to it (so outputs never depend on batch composition), which must not
# make a one-sample predict pay for a huge training batch.
_INFERENCE_ROWS = 256

# Fitting on token ids builds an embedding with a row per id up to the largest
# one. Larger ids than this (about 2.4 GiB of float32 weights at the default
# embedding_dim=64) are refused: they are more likely numbers read as ids
# (timestamps, counts) than a vocabulary, and would exhaust memory.
_MAX_VOCAB_SIZE = 10_000_000

# ``conv_layers="auto"`` adds strided convolution blocks, each halving the
# sequence, until the median training sequence is at most this many steps
# long: the recurrent layers then read a few dozen steps, which they learn
# from far more easily than hundreds, at a fraction of the cost.
_AUTO_CONV_STEPS = 64

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


def _python_scalar(value):
    """A NumPy scalar as the Python scalar it holds; anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


def _check_integral(ids: np.ndarray, where: str) -> None:
    """Refuse token ids that are not whole numbers (integral floats pass)."""
    if ids.dtype.kind in "iub":
        return
    # Strings of digits and complex numbers convert to floats: not ids.
    numeric = ids.dtype.kind == "f" or (
        ids.dtype.kind == "O"
        and all(
            isinstance(v, Real) or isinstance(v, Number) and not isinstance(v, Complex)
            for v in ids.flat
        )
    )
    if not numeric:
        kind = {"U": "strings", "S": "bytes", "c": "complex numbers"}.get(
            ids.dtype.kind, "values that are not real numbers"
        )
        raise ValueError(
            f"Token ids must be integers; {where} holds {kind}. Tokenize text "
            "with TextTokenizer first."
        )
    try:
        values = ids.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Token ids must be integers; {where} could not be read as numbers: {exc}"
        ) from exc
    if not np.isfinite(values).all():
        raise ValueError(f"Token ids must be integers; {where} holds NaN or infinity.")
    if not np.array_equal(values, np.round(values)):
        bad = values[values != np.round(values)][0]
        raise ValueError(
            f"Token ids must be integers; {where} holds non-integer values such "
            f"as {_python_scalar(bad)!r}. Numeric sequences need token_ids=False "
            "and no pretrained_embeddings."
        )


def _ragged_ids(X) -> np.ndarray:
    """Pad variable-length sequences of token ids into ``(n, t)`` ids."""
    arrays = [np.asarray(seq) for seq in X]
    for i, arr in enumerate(arrays):
        _check_integral(arr, f"sequence {i} of X")
    # Padded as float64 unless every id fits int64, so that no cast wraps a
    # huge id around (they are refused, or read as unknown tokens, later).
    fits = all(
        a.dtype.kind in "ib" or a.dtype.kind == "u" and a.itemsize < 8 for a in arrays
    )
    ids, _ = pad_sequences(arrays, dtype=np.int64 if fits else np.float64)
    if ids.shape[2] != 1:
        raise ValueError(
            "Token ids must be one id per time step; got sequences with "
            f"{ids.shape[2]} features."
        )
    return ids[:, :, 0]


# Entries of ``_fitted_architecture`` that are settings of the training net
# rather than arguments of the module: each fit sets them anew.
_NET_SETTINGS = ("batch_size", "holds_out")


def _same_architecture(fitted: dict, new: dict) -> bool:
    """Whether a warm start may train on from the network built for ``fitted``.

    Freezing the embedding is a training setting: a warm start may change it.
    """
    training = ("freeze_embeddings", *_NET_SETTINGS)
    return {k: v for k, v in fitted.items() if k not in training} == {
        k: v for k, v in new.items() if k not in training
    }


class _BaseRNN(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Parameters, input handling, training and inference shared by estimators.

    Subclasses define ``_criterion`` (the loss class, given whether data is
    held out), ``_valid_score``, ``fit`` (validating targets, then calling
    ``_fit_net``), the public prediction methods and, optionally,
    ``_after_training`` (run on the held-out samples after training).
    """

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({*POOLINGS, "auto"})],
        "head_hidden_sizes": ["array-like"],
        "projection_size": [None, Interval(Integral, 1, None, closed="left")],
        "conv_layers": [
            StrOptions({"auto"}),
            Interval(Integral, 0, None, closed="left"),
        ],
        "input_norm": [StrOptions({"global", "sequence", "auto"}), None],
        "token_ids": [StrOptions({"auto"}), "boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "pretrained_embeddings": [None, "array-like"],
        "freeze_embeddings": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES)), None],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        # Any torch device string ("cuda:1", ...); checked when fit resolves it.
        "device": [str, torch.device],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        *,
        cell: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "auto",
        head_hidden_sizes: tuple[int, ...] = (),
        projection_size: int | None = None,
        conv_layers: int | str = "auto",
        input_norm: str | None = "auto",
        token_ids: str | bool = "auto",
        embedding_dim: int = 64,
        pretrained_embeddings=None,
        freeze_embeddings: bool = False,
        optimizer: str | type = "adam",
        lr: float = 0.005,
        weight_decay: float = 0.0,
        lr_schedule: str | None = "plateau",
        batch_size: int | str = "auto",
        max_epochs: int = 200,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int | str = "auto",
        tol: float = 1e-4,
        clip_grad_norm: float | None = 1.0,
        device: str = "cpu",
        n_threads: int | None = None,
        random_state=None,
        verbose: int = 0,
        callbacks: list | None = None,
        warm_start: bool = False,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.head_hidden_sizes = head_hidden_sizes
        self.projection_size = projection_size
        self.conv_layers = conv_layers
        self.input_norm = input_norm
        self.token_ids = token_ids
        self.embedding_dim = embedding_dim
        self.pretrained_embeddings = pretrained_embeddings
        self.freeze_embeddings = freeze_embeddings
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

    # -- input -------------------------------------------------------------

    def _validate_X(self, X, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return ``X`` padded, and the sequence lengths.

        Numeric input becomes float32 ``(n, t, f)``; token ids become int64
        ``(n, t)``. ``n_features_in_`` is the number of features per time step
        for 3-D and variable-length input, 1 for token ids, and the number of
        columns for 2-D numeric input (each row a univariate sequence), as
        scikit-learn's checks expect.
        """
        if isinstance(X, pd.Series):
            # A Series holds one sequence per entry, like a list.
            X = X.to_list()
        kind = self._input_kind(X) if reset else self._fitted_kind
        if kind == "ids":
            return self._validate_ids(X, reset=reset)
        X, lengths, _ = validate_sequences(
            self,
            X,
            reset=reset,
            kind=kind,
            dtype=(np.float32, np.float64),
            ragged_dtype=np.float32,
        )
        return X.astype(np.float32, copy=False), lengths

    def _input_kind(self, X) -> str:
        """Tell token ids ("ids") from 2-D numeric ("table") or other sequences."""
        auto = isinstance(self.token_ids, str)
        if self.pretrained_embeddings is not None:
            if not auto and not self.token_ids:
                raise ValueError(
                    "pretrained_embeddings needs token id input, but "
                    "token_ids=False reads X as numbers; set token_ids=True (or "
                    "'auto') to use pretrained_embeddings, or "
                    "pretrained_embeddings=None for numeric X."
                )
            return "ids"
        if not auto and self.token_ids:
            return "ids"
        if is_ragged(X):
            first = np.asarray(X[0])
            if auto and first.dtype.kind in "iu":
                return "ids"
            return "sequences"
        if isinstance(X, pd.DataFrame):  # no conversion just to look
            integer = all(pd.api.types.is_integer_dtype(d) for d in X.dtypes)
            ndim = 2
        else:
            arr = X if hasattr(X, "dtype") else np.asarray(X)
            integer, ndim = pd.api.types.is_integer_dtype(arr.dtype), arr.ndim
        if auto and integer and ndim == 2:
            return "ids"
        return "table" if ndim == 2 else "sequences"

    def _validate_ids(self, X, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        if is_ragged(X):
            ids = _ragged_ids(X)
        else:
            # A batch of texts without any token arrives zero steps wide.
            ids = check_array(X, dtype=None, ensure_min_features=0, input_name="X")
            _check_integral(ids, "X")
        if (ids < 0).any():
            raise ValueError(
                "Token ids must be non-negative; X holds negative ids. Set "
                "token_ids=False to read integer X as numbers."
            )
        # The largest id, compared before any cast to int64: ids too large
        # for it (uint64, big floats) are refused or read as unknown tokens.
        top = ids.max(initial=0)
        if reset:
            keep_vocab = self._is_warm() and self._fitted_kind == "ids"
            if self.pretrained_embeddings is not None:
                vocab_size = len(self._pretrained_weights())
                if top >= vocab_size:
                    raise ValueError(
                        f"X holds token id {_python_scalar(top)}, outside the "
                        f"{vocab_size} rows of pretrained_embeddings."
                    )
            elif keep_vocab:
                # Training goes on with the embedding it has: ids beyond it
                # are unknown tokens, as in predict.
                vocab_size = self.vocab_size_
            else:
                if top >= _MAX_VOCAB_SIZE:
                    raise ValueError(
                        f"X holds token id {_python_scalar(top)}: an embedding "
                        f"with a row per id up to it would have more than "
                        f"{_MAX_VOCAB_SIZE:,} rows. If X holds numbers rather "
                        "than token ids (counts, timestamps), set "
                        "token_ids=False; otherwise renumber the ids "
                        "consecutively from 2 (0 is padding, 1 the unknown "
                        "token), for instance with TextTokenizer."
                    )
                vocab_size = max(int(top) + 1, OOV_ID + 1)
            self.vocab_size_ = vocab_size
            self.n_features_in_ = 1
            self._n_step_features = 1
            self._fitted_kind = "ids"
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        # Ids never seen in fit have no trained vector: read them as unknown.
        if top >= self.vocab_size_:
            ids = np.where(ids >= self.vocab_size_, OOV_ID, ids)
        return compact_ids(ids.astype(np.int64))

    def _pretrained_weights(self) -> np.ndarray:
        """Return ``pretrained_embeddings`` as float32 ``(vocab_size, dim)``."""
        try:
            weights = np.asarray(self.pretrained_embeddings, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "pretrained_embeddings must be a numeric array of shape "
                f"(vocab_size, embedding_dim): {exc}"
            ) from exc
        if weights.ndim != 2 or 0 in weights.shape:
            raise ValueError(
                "pretrained_embeddings must be a numeric array of shape "
                f"(vocab_size, embedding_dim) with both sizes at least 1; got "
                f"shape {weights.shape}."
            )
        if not np.isfinite(weights).all():
            raise ValueError("pretrained_embeddings contains NaN or infinity.")
        return weights

    def _validate_fit_inputs(self, X, y, sample_weight):
        X, lengths = self._validate_X(X, reset=True)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        check_consistent_length(lengths, y)
        sample_weight = _check_sample_weight(
            sample_weight, lengths, dtype=np.float32, ensure_non_negative=True
        )
        return X, lengths, sample_weight

    # -- training ----------------------------------------------------------

    @contextmanager
    def _restore_on_error(self):
        """Leave the estimator as it was when ``fit`` raises.

        Validation sets fitted attributes as it goes; a fit that is refused
        late (say, a warm start on data of another shape) must not leave a
        half-updated model behind.
        """
        state = dict(vars(self))
        try:
            yield
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            raise

    def _is_warm(self) -> bool:
        return bool(self.warm_start) and hasattr(self, "net_")

    def _resolve_device(self) -> torch.device:
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            device = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device={self.device!r} is not a valid device.") from exc
        if device.type == "meta":
            # Tensors on 'meta' have shapes but no values: nothing to train.
            raise ValueError(
                f"device={self.device!r} holds no data; use 'cpu', 'cuda' or 'auto'."
            )
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r} but CUDA is not available on this machine; "
                "use device='cpu' or 'auto'."
            )
        # Other accelerators (mps, xpu, ...) say so through torch.<type>.
        backend = getattr(torch, device.type, None)
        if device.type not in ("cpu", "cuda") and not (
            hasattr(backend, "is_available") and backend.is_available()
        ):
            raise ValueError(
                f"device={self.device!r} is not available on this machine; use "
                "device='cpu' or 'auto'."
            )
        return device

    def _module_params(self, n_outputs: int, lengths: np.ndarray) -> dict:
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
        params = {name: _python_scalar(getattr(self, name)) for name in _MODULE_PARAMS}
        params["head_hidden_sizes"] = tuple(int(s) for s in sizes.tolist())
        params["n_features"] = self._n_step_features
        params["n_outputs"] = n_outputs
        params["conv_layers"] = self._n_conv_layers(lengths)
        params["pooling"] = self._auto("pooling", params["conv_layers"])
        params["input_norm"] = (
            None
            if self._fitted_kind == "ids"
            else self._auto("input_norm", params["conv_layers"])
        )
        if self._fitted_kind == "ids":
            params["vocab_size"] = self.vocab_size_
            params["embedding_dim"] = _python_scalar(self.embedding_dim)
            params["freeze_embeddings"] = self.freeze_embeddings
            if self.pretrained_embeddings is not None:
                weights = self._pretrained_weights()
                params["embedding_dim"] = weights.shape[1]
                params["pretrained_embeddings"] = weights
        return params

    def _n_conv_layers(self, lengths: np.ndarray) -> int:
        """The number of convolution blocks of the network to build.

        "auto" halves the median training length until it is at most
        ``_AUTO_CONV_STEPS``; a warm start keeps the fitted network's count.
        """
        conv_layers = getattr(self, "conv_layers", 0)
        if conv_layers != "auto":
            return int(conv_layers)
        if self._is_warm():
            return self._fitted_architecture.get("conv_layers", 0)
        if self._fitted_kind == "ids":
            # Not measured on long texts: words go to the recurrence as they are.
            return 0
        median = float(np.median(lengths)) if len(lengths) else 0.0
        n = 0
        while median > _AUTO_CONV_STEPS:
            median = np.ceil(median / 2)
            n += 1
        return n

    def _auto(self, name: str, conv_layers: int):
        """Resolve ``pooling`` or ``input_norm`` given as "auto".

        Long sequences (read through convolutions) and token ids take max
        pooling; short numeric sequences the last step, which scored better
        on them. Per-sequence standardization goes with the convolutions;
        short sequences are standardized globally. A warm start keeps the
        fitted choice.
        """
        value = getattr(self, name, None)
        if value != "auto":
            return value
        if self._is_warm():
            return self._fitted_architecture.get(name)
        long = conv_layers > 0
        if name == "pooling":
            return "max" if long or self._fitted_kind == "ids" else "last"
        return "sequence" if long else "global"

    def _batch_size(self, n_train: int) -> int:
        if self.batch_size != "auto":
            return int(self.batch_size)
        low, high = _AUTO_BATCH_BOUNDS
        return int(np.clip(n_train // 10, low, high))

    def _uses_early_stopping(self, n_samples: int, stratify=None) -> bool:
        """Whether to hold out data; "auto" only where a split can be made.

        A stratified split needs two samples of every class and a held-out
        share of at least one sample per class: "auto" trains on everything
        otherwise (``early_stopping=True`` lets the split raise).
        """
        if self.early_stopping != "auto":
            return bool(self.early_stopping)
        if n_samples < _AUTO_EARLY_STOPPING_MIN_SAMPLES:
            return False
        if stratify is None:
            return True
        counts = np.bincount(stratify)
        counts = counts[counts > 0]
        n_valid = np.ceil(self.validation_fraction * n_samples)
        return bool(counts.min() >= 2 and n_valid >= len(counts))

    def _patience(self, train_batches: int) -> int:
        """Epochs without improvement before training stops."""
        if self.n_iter_no_change != "auto":
            return int(self.n_iter_no_change)
        return max(_AUTO_PATIENCE_EPOCHS, -(-_AUTO_PATIENCE_STEPS // train_batches))

    def _callbacks(self, n_train: int, n_valid: int, batch_size: int) -> list:
        """The skorch callbacks of one ``fit`` call, ours first."""
        monitor = "valid_loss" if n_valid else "train_loss"
        train_batches = -(-n_train // batch_size)
        patience = self._patience(train_batches)
        callbacks = [
            ("record_lr", _RecordLR()),
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=patience,
                    threshold=self.tol,
                    threshold_mode="abs",
                    load_best=bool(n_valid),
                ),
            ),
        ]
        if n_valid:
            # Ahead of early stopping, whose stop ends the epoch's events:
            # the last epoch's score is recorded too.
            callbacks.insert(1, ("valid_score", _ValidScore(self._valid_score)))
        # Each fit call runs a whole schedule (last_epoch=-1), warm start or not.
        if self.lr_schedule == "plateau":
            scheduler = LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
                monitor=monitor,
                patience=max(1, patience // 2),
                factor=0.5,
                threshold=self.tol,
                threshold_mode="abs",
                event_name=None,
            )
        elif self.lr_schedule == "cosine":
            scheduler = LRScheduler(
                policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                T_max=int(self.max_epochs),
                last_epoch=-1,
                event_name=None,
            )
        elif self.lr_schedule == "onecycle":
            scheduler = LRScheduler(
                policy=torch.optim.lr_scheduler.OneCycleLR,
                max_lr=self.lr,
                total_steps=int(self.max_epochs) * int(train_batches),
                step_every="batch",
                last_epoch=-1,
                event_name=None,
            )
        if self.lr_schedule is not None:
            callbacks.append(("lr_schedule", scheduler))
        if self.verbose:
            valid_batches = -(-n_valid // batch_size)
            callbacks.append(
                (
                    "progress_bar",
                    ProgressBar(
                        batches_per_epoch=train_batches + valid_batches,
                        detect_notebook=False,
                    ),
                )
            )
        # Copies: skorch initializes (mutates) the callbacks it is given.
        return callbacks + copy.deepcopy(list(self.callbacks or []))

    def _optimizer_class(self) -> type:
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            return OPTIMIZERS[optimizer]
        if not (isinstance(optimizer, type) and issubclass(optimizer, Optimizer)):
            raise ValueError(
                "optimizer must be one of "
                f"{sorted(OPTIMIZERS)} or a torch.optim.Optimizer subclass, got "
                f"{optimizer!r}."
            )
        return optimizer

    def _optimizer_params(self) -> dict:
        # Not every optimizer takes weight_decay (LBFGS does not): pass it only
        # when it is asked for, and refuse it where it cannot apply.
        if not self.weight_decay:
            return {}
        optimizer = self._optimizer_class()
        params = inspect.signature(optimizer).parameters.values()
        if not any(p.name == "weight_decay" or p.kind is p.VAR_KEYWORD for p in params):
            raise ValueError(
                f"weight_decay={self.weight_decay!r}, but {optimizer.__name__} "
                "takes no weight_decay; set weight_decay=0 or choose another "
                "optimizer."
            )
        return {"optimizer__weight_decay": self.weight_decay}

    def _switch_optimizer(self, optimizer: type) -> None:
        """Give the fitted net a new optimizer class for a warm start.

        It starts with fresh state and without the old one's settings (LBFGS
        has no weight_decay). If it cannot be built, the net keeps its old
        optimizer, state included.
        """
        net = self.net_
        settings = self._optimizer_params()
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

    def _freeze_embeddings(self, architecture: dict) -> bool | None:
        """Freeze or unfreeze the fitted embedding for a warm start.

        Freezing is a training setting, not part of the architecture: the
        optimizer holds every parameter, and Adam, SGD and the like skip those
        that get no gradient. LBFGS steps all parameters along one direction
        built from its history, so freezing clears that history.
        Returns whether the embedding was frozen before (None without one).
        """
        embedding = self.net_.module_.embedding
        if embedding is None or "freeze_embeddings" not in architecture:
            return None
        frozen = bool(architecture["freeze_embeddings"])
        was_frozen = not embedding.weight.requires_grad
        embedding.weight.requires_grad_(not frozen)
        if (
            frozen
            and not was_frozen
            and isinstance(self.net_.optimizer_, torch.optim.LBFGS)
        ):
            self.net_.optimizer_.state.clear()
        # What a rebuilt network (say, after loading) starts from.
        vars(self.net_)["module__freeze_embeddings"] = frozen
        self._fitted_architecture = {
            **self._fitted_architecture,
            "freeze_embeddings": frozen,
        }
        return was_frozen

    def _move_net(self, device: torch.device) -> None:
        """Move the fitted net to ``device`` (a warm start after set_params)."""
        net = self.net_
        # torch.device("cuda") and the parameters' "cuda:0" are the same place.
        if (
            next(net.module_.parameters()).device
            == torch.empty(0, device=device).device
        ):
            return
        state = net.optimizer_.state_dict()
        net.module_.to(device)
        net.criterion_.to(device)
        net.device = device
        # A new optimizer over the moved parameters (``to`` may have replaced
        # them); load_state_dict casts its state (Adam's moments) to their
        # device.
        net.initialize_optimizer()
        net.optimizer_.load_state_dict(state)

    def _build_net(
        self, architecture: dict, device: torch.device, callbacks: list
    ) -> NeuralNet:
        """The skorch net for ``architecture`` (module arguments and settings).

        The batch size and whether data is held out are those of the fit
        that built the network (files saved by version 0.1 have neither).
        """
        module_params = {
            k: v for k, v in architecture.items() if k not in _NET_SETTINGS
        }
        batch_size = architecture.get("batch_size")
        if batch_size is None:
            batch_size = self.batch_size if self.batch_size != "auto" else 32
        holds_out = architecture.get("holds_out", False)
        return _SequenceNet(
            module=RecurrentNet,
            criterion=self._criterion(holds_out),
            criterion__reduction="none",
            optimizer=self._optimizer_class(),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=batch_size,
            iterator_train=BatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=BatchIterator,
            train_split=None,
            callbacks=callbacks,
            callbacks__print_log=_PrintLog(),
            clip_grad_norm=self.clip_grad_norm,
            device=device,
            **self._optimizer_params(),
            verbose=self.verbose,
            **{f"module__{k}": v for k, v in module_params.items()},
        )

    def _fit_net(
        self, X, lengths, y, sample_weight, n_outputs, stratify=None, valid_idx=None
    ):
        """Build (or, with ``warm_start``, reuse) ``net_`` and train it.

        With ``early_stopping``, ``valid_idx`` names the held-out samples; by
        default they are a random (stratified) ``validation_fraction``.
        """
        device = self._resolve_device()
        module_params = self._module_params(n_outputs, lengths)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        train_idx = np.arange(len(lengths))
        valid_ds = None
        holds_out = valid_idx is not None or self._uses_early_stopping(
            len(lengths), stratify
        )
        if holds_out:
            if valid_idx is None:
                train_idx, valid_idx = train_test_split(
                    train_idx,
                    test_size=self.validation_fraction,
                    random_state=seed,
                    stratify=stratify,
                )
            else:
                train_idx = np.setdiff1d(train_idx, valid_idx)
            valid_ds = self._dataset(
                X, lengths, y, sample_weight, valid_idx, device, role="validate"
            )
        train_ds = self._dataset(X, lengths, y, sample_weight, train_idx, device)
        batch_size = self._batch_size(len(train_ds))

        warm = self._is_warm()
        epochs_before = len(self.net_.history) if warm else 0
        # The architecture, without the (large) initial embedding vectors.
        architecture = {
            **{k: v for k, v in module_params.items() if k != "pretrained_embeddings"},
            "batch_size": batch_size,
            "holds_out": holds_out,
        }
        if warm and not _same_architecture(self._fitted_architecture, architecture):
            raise ValueError(
                "warm_start=True needs the same architecture and data dimensions as "
                "the previous fit; call fit with warm_start=False to start over."
            )
        cuda = [device.index or 0] if device.type == "cuda" else []
        # Seed inside fork_rng: reproducible fits without touching the
        # caller's global torch random state.
        with torch_threads(self.n_threads), torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            callbacks = self._callbacks(
                len(train_ds), 0 if valid_ds is None else len(valid_ds), batch_size
            )
            if not warm:
                self.net_ = self._build_net(
                    {**module_params, **architecture}, device, callbacks
                )
                self.net_.initialize()
                self._fitted_architecture = architecture
                if module_params["input_norm"] is not None:
                    self._set_input_scaling(X, lengths, sample_weight, train_idx)
            else:
                # Training settings changed since the last fit apply now, as
                # in scikit-learn's warm starts; the weights carry over.
                optimizer = self._optimizer_class()
                if optimizer is not self.net_.optimizer:
                    self._switch_optimizer(optimizer)
                self._move_net(device)
                # Set weight_decay wherever the optimizer has one, so that a
                # return to 0 applies too.
                decay = "weight_decay" in self.net_.optimizer_.defaults
                self.net_.set_params(
                    lr=self.lr,
                    **(
                        {"optimizer__weight_decay": self.weight_decay}
                        if decay
                        else self._optimizer_params()
                    ),
                    batch_size=batch_size,
                    max_epochs=self.max_epochs,
                    verbose=self.verbose,
                )
                self.net_.clip_grad_norm = self.clip_grad_norm
                # The loss may depend on whether data is held out this time.
                self.net_.criterion = self._criterion(holds_out)
                self.net_.initialize_criterion()
                self._fitted_architecture = {
                    **self._fitted_architecture,
                    "batch_size": batch_size,
                    "holds_out": holds_out,
                }
                self.net_.callbacks = callbacks
                self.net_.initialize_callbacks()
                was_frozen = self._freeze_embeddings(architecture)
            net = self.net_
            net.iterator_train__random_state = np.random.RandomState(seed)
            net.train_split = None if valid_ds is None else predefined_split(valid_ds)
            try:
                net.partial_fit(train_ds)
            except BaseException:
                if warm:
                    self._freeze_embeddings({"freeze_embeddings": was_frozen})
                raise
            finally:
                # Neither data nor a random generator stays in the fitted net.
                net.train_split = None
                net.iterator_train__random_state = None
        self.n_iter_ = len(net.history)
        self.history_ = self._history_frame()
        stopper = dict(net.callbacks_)["early_stopping"]
        # As scikit-learn's MLP: running out of epochs before the stopping
        # rule is met means the model may be undertrained. Cosine and
        # one-cycle schedules are built to run all max_epochs.
        if (
            self.n_iter_ - epochs_before >= self.max_epochs
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
        best = getattr(dict(net.callbacks_)["early_stopping"], "best_epoch_", 0)
        self.best_epoch_ = int(best) if best else self.n_iter_
        if valid_ds is not None:
            with torch_threads(self.n_threads):
                self._after_training(
                    X[valid_idx],
                    lengths[valid_idx],
                    y[valid_idx],
                    sample_weight[valid_idx],
                )
        return self

    def _after_training(self, X, lengths, y, sample_weight) -> None:
        """A hook run on the held-out samples once training is over."""

    def _set_input_scaling(self, X, lengths, sample_weight, train_idx) -> None:
        """Set the network's input standardization from the training steps.

        The (weighted) mean and standard deviation of each feature over the
        valid steps of the training sequences, padding left out, as
        :class:`~sklearn_rnn.SequenceScaler` computes them.
        """
        X, lengths = X[train_idx], lengths[train_idx]
        valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
        weight = sample_weight[train_idx]
        weights = None if np.all(weight == weight[0]) else np.repeat(weight, lengths)
        mean, var, total = _moments(X[valid], weights)
        std = _scale_from_var(var, mean, total)
        module = self.net_.module_
        with torch.no_grad():
            module.input_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            module.input_scale.copy_(torch.as_tensor(std, dtype=torch.float32))

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

    @staticmethod
    def _dataset(
        X, lengths, y, sample_weight, index, device, role="train"
    ) -> SequenceDataset:
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

    # -- inference ---------------------------------------------------------

    def _forward(self, X, *, encode: bool = False, pad: bool = True) -> np.ndarray:
        """Run the fitted module over ``X`` and return float32 outputs.

        ``pad`` fills every batch up to the same number of rows, so that a
        sequence's output does not depend, even in the last bits, on the
        other sequences of its batch. Callers that feed one small batch at a
        time and need no such guarantee (recursive forecasting) turn it off.
        """
        check_is_fitted(self)
        X, lengths = self._validate_X(X, reset=False)
        return self._run(X, lengths, encode=encode, pad=pad)

    def _run(
        self, X: np.ndarray, lengths: np.ndarray, *, encode=False, pad=True
    ) -> np.ndarray:
        """``_forward`` on ``X`` already validated: padded, with its lengths."""
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
        # step, so nothing needs the previous mode back. Switching sets the
        # flag of every submodule (30 us, a recursive forecast pays it per
        # step): only when one of them is in training mode.
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
        module = self.net_.module_
        device = next(module.parameters()).device

        def example(n_samples, n_steps):
            if self._fitted_kind == "ids":
                X = torch.full((n_samples, n_steps), OOV_ID, dtype=torch.long)
            else:
                X = torch.zeros(n_samples, n_steps, self._n_step_features)
            lengths = torch.full((n_samples,), n_steps, dtype=torch.long)
            return {"X": X.to(device), "lengths": lengths.to(device)}

        training = module.training
        module.eval()
        try:
            rows = layer_table(module, (example(2, 3), example(5, 7)))
        finally:
            module.train(training)
        total = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        cells = [
            (f"{name} ({kind})", str(shape), f"{n:,}")
            for name, kind, shape, n, _ in rows
        ]
        header = ("Layer (type)", "Output shape", "Param #")
        widths = [max(len(r[i]) for r in [header, *cells]) + 2 for i in range(3)]
        rule = "=" * sum(widths)

        def line(row):
            return "".join(cell.ljust(width) for cell, width in zip(row, widths))

        lines = [
            f"{type(self).__name__}: {type(module).__name__}",
            rule,
            line(header).rstrip(),
            rule,
            *(line(row).rstrip() for row in cells),
            rule,
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}",
        ]
        for text in lines:
            (print_fn or print)(text)

    def transform(self, X) -> np.ndarray:
        """Return the pooled sequence representation learned by the network.

        This is the vector the head reads, so a fitted estimator can serve as
        a feature extractor ahead of another estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_hidden)
            ``n_hidden`` is ``hidden_size``, doubled when bidirectional.
        """
        return self._forward(X, encode=True).astype(np.float64)

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output, for ``get_feature_names_out``."""
        check_is_fitted(self)
        return self.net_.module_.output_size

    def fit_transform(self, X, y, **fit_params) -> np.ndarray:
        """Fit the network, then return the representation of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Training sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        **fit_params : dict
            Passed to ``fit`` (``sample_weight``).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_hidden)
            Same as ``fit(X, y, **fit_params).transform(X)``.
        """
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # ``transform`` returns the learned representation (float64).
        tags.transformer_tags = TransformerTags()
        return tags
