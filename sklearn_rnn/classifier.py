# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent neural network classifier."""

from __future__ import annotations

from functools import partial
from numbers import Real

import numpy as np
import pandas as pd
import torch
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ._compat import Interval, StrOptions, _fit_context
from ._docs import _ARCHITECTURE_DOC, _ATTRIBUTES_DOC, _INPUT_NOTES, _TRAINING_DOC
from ._sequence_estimator import _SequenceEstimator
from ._state_checks import require, require_attributes
from .modules import InferenceGraph

__all__ = ["RNNClassifier"]

# ``label_smoothing="auto"`` without held-out data; chosen on the accuracy
# suite, where it cut the held-out log loss of the small problems below that
# of sigmoid calibration (README, "How well the defaults learn").
_AUTO_LABEL_SMOOTHING = 0.1


class RNNClassifier(ClassifierMixin, _SequenceEstimator):
    __doc__ = f"""Recurrent neural network classifier for sequences.

    A recurrent network (simple RNN, LSTM or GRU; stacked, bidirectional)
    reads each sequence, pools its outputs over time and classifies the pooled
    vector. Training runs through skorch with a cross-entropy loss.

    Parameters
    ----------
{_ARCHITECTURE_DOC}
{_TRAINING_DOC}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as ``{{label: weight}}``;
        "balanced" weighs classes inversely to their frequency.

    label_smoothing : float in [0, 1) or "auto", default="auto"
        Share of each training target spread evenly over all classes in the
        cross-entropy loss (``torch.nn.CrossEntropyLoss(label_smoothing=)``).
        It keeps a network that fits its training data perfectly from
        pushing its probabilities to 0 and 1. "auto" is 0 when
        ``temperature_scaling`` calibrates on held-out data (early stopping
        on), else 0.1.

    temperature_scaling : bool, default=True
        With early stopping, divide the output layer by the temperature
        (at least 1) that minimizes the log loss on the held-out samples once
        training is over (Guo et al., 2017), so that ``predict_proba`` is not
        over-confident. The predicted classes do not change.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{_ATTRIBUTES_DOC}
    See Also
    --------
    RNNRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : A feed-forward network on vectors.

    Notes
    -----
{_INPUT_NOTES}
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 10, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=16, max_epochs=20, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **_SequenceEstimator._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "label_smoothing": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
        "temperature_scaling": ["boolean"],
    }

    def __init__(
        self,
        *,
        cell: str = "lstm",
        hidden_size: int | str = "auto",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float | str = "auto",
        pooling: str = "auto",
        head_hidden_sizes: tuple[int, ...] = (),
        projection_size: int | None = None,
        conv_layers: int | str = "auto",
        conv_branch: bool | str = False,
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
        class_weight: dict | str | None = None,
        label_smoothing: float | str = "auto",
        temperature_scaling: bool = True,
    ):
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            pooling=pooling,
            head_hidden_sizes=head_hidden_sizes,
            projection_size=projection_size,
            conv_layers=conv_layers,
            conv_branch=conv_branch,
            input_norm=input_norm,
            token_ids=token_ids,
            embedding_dim=embedding_dim,
            pretrained_embeddings=pretrained_embeddings,
            freeze_embeddings=freeze_embeddings,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            lr_schedule=lr_schedule,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            clip_grad_norm=clip_grad_norm,
            device=device,
            n_threads=n_threads,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            warm_start=warm_start,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.temperature_scaling = temperature_scaling

    def _criterion(self, holds_out: bool = False):
        smoothing = self.label_smoothing
        if smoothing == "auto":
            calibrated = holds_out and self.temperature_scaling
            smoothing = 0.0 if calibrated else _AUTO_LABEL_SMOOTHING
        if not smoothing:
            return torch.nn.CrossEntropyLoss
        return partial(torch.nn.CrossEntropyLoss, label_smoothing=float(smoothing))

    def _after_training(self, X, lengths, y, sample_weight) -> None:
        """Temperature scaling: fit the softmax temperature on held-out samples.

        The output layer is divided by the temperature that minimizes the
        held-out log loss (Guo et al., 2017), so predictions keep their
        order and every later use of the network (predict_proba, ONNX
        export, saving) sees calibrated logits.
        """
        if not self.temperature_scaling:
            return
        logits = self._predict_padded(X, lengths).astype(np.float64)
        rows = np.arange(len(y))

        def log_loss(log_t):
            log_proba = log_softmax(logits / np.exp(log_t), axis=1)
            return -np.average(log_proba[rows, y], weights=sample_weight)

        # Only softening (T >= 1): a held-out set that the network separates
        # perfectly would otherwise drive T towards 0 and every probability
        # to 0 or 1.
        result = minimize_scalar(log_loss, bounds=(0.0, 4.0), method="bounded")
        temperature = float(np.exp(result.x))
        output = self.net_.module_.head[-1]
        with torch.no_grad():
            output.weight.div_(temperature)
            output.bias.div_(temperature)

    @staticmethod
    def _valid_score(logits, target):
        """Accuracy, as ``score``."""
        return (logits.argmax(dim=1) == target).double().mean()

    def _encode_targets(self, y, sample_weight, classes=None):
        """Class labels as indices into ``classes_``, weighted by class."""
        y = column_or_1d(y, warn=True)
        if y.dtype.kind == "O" and pd.isna(y).any():
            raise ValueError("y contains missing values (NaN or None).")
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                "RNNClassifier supports binary and multiclass targets, got y "
                f"of type {target_type!r}."
            )
        if self._one_pass():
            self.classes_ = self._partial_fit_classes(classes)
            unknown = np.setdiff1d(y, self.classes_)
            if len(unknown):
                raise ValueError(
                    f"y holds labels {unknown.tolist()} that are not in classes "
                    f"{self.classes_.tolist()} (set by the first partial_fit)."
                )
            y_encoded = np.searchsorted(self.classes_, y)
        else:
            self.classes_, y_encoded = self._fit_classes(y)
        if self.class_weight is not None:
            sample_weight = sample_weight * compute_sample_weight(
                self.class_weight, y
            ).astype(np.float32)
        stratify = None if self._one_pass() else y_encoded
        return y_encoded.astype(np.int64), sample_weight, len(self.classes_), stratify

    def _fit_classes(self, y):
        """The classes of ``fit``'s labels, and the labels as their indices."""
        classes, y_encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "RNNClassifier needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes[0]!r}."
            )
        if self._is_warm() and not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start=True needs the same classes as the previous fit: "
                f"got {classes.tolist()}, expected {self.classes_.tolist()}."
            )
        return classes, y_encoded

    def _partial_fit_classes(self, classes):
        """``classes_`` for a ``partial_fit``: given first, the same later."""
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the class counts of all the data, "
                "which partial_fit does not see; pass class_weight as a dict."
            )
        if classes is not None:
            classes = np.unique(column_or_1d(classes))
        if self._is_warm():
            if classes is not None and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes={classes.tolist()} differs from the classes_ "
                    f"{self.classes_.tolist()} of the first partial_fit."
                )
            return self.classes_
        if classes is None:
            raise ValueError(
                "classes must be passed to the first call of partial_fit: all "
                "the labels the data will hold, as for SGDClassifier."
            )
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 labels, got {classes}.")
        return classes

    def _check_loaded_state(self) -> None:
        super()._check_loaded_state()
        require_attributes(self, ("classes_",))
        classes = self.classes_
        require(
            isinstance(classes, np.ndarray)
            and classes.ndim == 1
            and len(classes) == self._fitted_architecture.get("n_outputs"),
            "classes_ must hold one label per network output",
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None) -> RNNClassifier:
        """Train the network for one epoch on a chunk of the data.

        For data that arrives in chunks or does not fit in memory at once,
        as ``SGDClassifier.partial_fit``. The first call builds the network
        for its chunk (architecture, input standardization) and fixes
        ``classes_``; later calls train on from it at the current ``lr``,
        without ``lr_schedule`` or held-out data. After ``fit``, it trains on
        from the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            A chunk of training sequences, in the form of the first call.
        y : array-like of shape (n_samples,)
            Their labels, all among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label the data will hold. Required on the first call; later
            calls may omit it or must repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : RNNClassifier
            The classifier, trained one more epoch.
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _inference_graph(self, module, with_lengths: bool = True):
        """The fitted module and its softmax, for ONNX export.

        Returns the graph, the names of its inputs and of its output.
        """
        graph = InferenceGraph(module, "softmax", with_lengths=with_lengths)
        return graph, ["X", "lengths"][: 1 + with_lengths], "probabilities"

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in the order of ``classes_``; rows sum
            to one.
        """
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """Return the log of the class probabilities for sequences ``X``.

        Computed from the network's logits, so very small probabilities keep
        their precision (``np.log(predict_proba(X))`` would give ``-inf``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in the order of ``classes_``.
        """
        return log_softmax(self._network_output(X).astype(np.float64), axis=1)

    def predict(self, X) -> np.ndarray:
        """Return the most probable class of each sequence in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_features]) or list
            Sequences, as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self._network_output(X)
        return self.classes_[scores.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
