# SPDX-License-Identifier: BSD-3-Clause
"""Scaling each feature of sequence data, padding left out.

scikit-learn's ``StandardScaler`` takes 2-D tables: on sequences it would
count the padding of short sequences among the values, and it cannot take a
3-D array or a list of sequences at all. :class:`SequenceScaler` computes the
statistics of each feature over every valid time step of every sequence and
gives the data back in the form it came in, padding kept as padding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat import _check_feature_names_in, _check_sample_weight, _fit_context
from ._output import _ArrayOutputMixin
from ._sequences import feature_moments, scale_from_var
from ._state_checks import is_count, is_float_array, require, require_attributes
from ._validation import validate_sequences

__all__ = ["SequenceScaler"]


class SequenceScaler(
    _ArrayOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Standardize each feature of sequences, over all their valid time steps.

    Like scikit-learn's ``StandardScaler``, with the inputs of
    :class:`~sklearn_rnn.RNNClassifier` and :class:`~sklearn_rnn.RNNRegressor`:
    each feature is centered on its mean and divided by its standard
    deviation, both taken over every time step of every sequence. Padding
    (trailing all-NaN steps of an array) counts in neither, and stays padding
    in the output, so the estimators after it in a ``Pipeline`` read the same
    lengths.

    Parameters
    ----------
    with_mean : bool, default=True
        Whether to subtract the mean of each feature.
    with_std : bool, default=True
        Whether to divide each feature by its standard deviation.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,) or None
        Mean of each feature per time step, float64. None when
        ``with_mean=False``.
    var_ : ndarray of shape (n_step_features,) or None
        Variance of each feature per time step, float64. None when
        ``with_std=False``.
    scale_ : ndarray of shape (n_step_features,) or None
        Standard deviation of each feature, used to divide it; 1 for constant
        features, as in ``StandardScaler``. None when ``with_std=False``.
    n_features_in_ : int
        Number of features per time step seen during ``fit``. For 2-D input,
        whose rows are univariate sequences, it is the number of columns (time
        steps), as for the estimators and scikit-learn: ``transform`` then
        expects as many columns, and the statistics are those of the single
        feature.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns seen during ``fit``. Defined only when ``X`` is a
        2-D table with feature names that are all strings.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same scaling for 2-D tables.
    sklearn_rnn.data.split_nan_padding : How the NaN padding is read.

    Notes
    -----
    ``X`` may be a 3-D array ``(n_samples, n_timesteps, n_features)``, one
    padded with trailing all-NaN time steps, a list of 2-D
    ``(n_timesteps_i, n_features)`` (or 1-D) arrays of different lengths, or a
    2-D array ``(n_samples, n_timesteps)`` of univariate sequences, which may
    end in NaN padding too. The output has the same form: an array of the same
    shape with the same padding, or a list of arrays of the input shapes. As
    in the estimators, a list is read as sequences of different lengths only
    when their shapes differ; a list of equal shapes is one array, and gives
    one back.

    NaN inside a sequence (not trailing, or not in every feature) and infinity
    raise a ``ValueError``, as in the estimators.

    The statistics are computed in float64. The output is float32 for float32
    input (every sequence of a list float32) and float64 otherwise; the input
    is never modified.

    The output is no table: it stays a NumPy array with
    ``set_output(transform="pandas")`` (which warns, and exists so that
    ``Pipeline.set_output`` configures the other steps).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import SequenceScaler
    >>> X = [np.array([[1.0], [2.0], [3.0]]), np.array([[5.0]])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([2.75]), array([1.47901995]))
    >>> [x.shape for x in scaler.transform(X)]
    [(3, 1), (1, 1)]

    The same sequences in one array, the short one padded with NaN:

    >>> X_padded = np.array([[[1.0], [2.0], [3.0]], [[5.0], [np.nan], [np.nan]]])
    >>> scaler.fit_transform(X_padded)[:, :, 0].round(2)
    array([[-1.18, -0.51,  0.17],
           [ 1.52,   nan,   nan]])
    """

    _array_output = "sequences"
    _parameter_constraints: dict = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    def _validate(self, X, *, reset: bool):
        """Return ``X`` as ``(n, t, f)`` with padding zeroed, lengths and form.

        The form tells how to give the output back: ``"ragged"`` with the
        number of dimensions of each sequence, or the number of dimensions of
        the array.
        """
        if isinstance(X, pd.Series):
            # A Series holds one sequence per entry, like a list.
            X = X.to_list()
        X3, lengths, form = validate_sequences(
            self,
            X,
            reset=reset,
            kind="table" if reset else self._fit_input_kind,
            dtype=(np.float64, np.float32),
        )
        if form == "ragged":
            return X3, lengths, ("ragged", [np.ndim(x) for x in X])
        return X3, lengths, form

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None) -> SequenceScaler:
        """Compute the mean and standard deviation of each feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), or list of arrays
            Sequences; trailing all-NaN time steps of an array are padding.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence, given to each of its time steps.

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        X3, lengths, _ = self._validate(X, reset=True)
        n_steps, n_features = X3.shape[1:]
        if (lengths == n_steps).all():
            values = X3.reshape(-1, n_features)
        else:
            values = X3[np.arange(n_steps) < lengths[:, None]]
        weights = None
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, lengths, dtype=np.float64, ensure_non_negative=True
            )
            # Boolean indexing keeps the steps of each sequence together, in order.
            weights = np.repeat(sample_weight, lengths)
        self.mean_ = self.var_ = self.scale_ = None
        if self.with_mean or self.with_std:
            # Overflow shows as inf/NaN in the moments, refused just below.
            with np.errstate(over="ignore", invalid="ignore"):
                mean, var, total = feature_moments(values, weights)
            if not (np.isfinite(mean).all() and np.isfinite(var).all()):
                (bad,) = np.flatnonzero(~np.isfinite(mean + var))[:1]
                raise ValueError(
                    f"Feature {bad} of X holds values too large to compute its "
                    "variance in float64; rescale X (divide it by a constant) "
                    "first."
                )
            if self.with_mean:
                self.mean_ = mean
            if self.with_std:
                self.var_ = var
                self.scale_ = scale_from_var(var, mean, total)
        return self

    def _check_loaded_state(self) -> None:
        """Check the fitted attributes of a scaler read from a file.

        The statistics must fit the parameters and the kind of input ``fit``
        saw. Raises a ``ValueError`` saying what is wrong.
        """
        names = ("n_features_in_", "_n_step_features", "_fit_input_kind")
        stats = ("mean_", "var_", "scale_")
        require_attributes(self, names + stats)
        n, step, kind = (getattr(self, name) for name in names)
        require(is_count(n) and n >= 1, "n_features_in_ must be a positive int")
        require(
            kind in ("table", "sequences"),
            "_fit_input_kind must be 'table' or 'sequences'",
        )
        require(
            is_count(step) and step == (1 if kind == "table" else n),
            "_n_step_features must be 1 for 2-D input, else n_features_in_",
        )
        require(
            kind == "table" or "feature_names_in_" not in vars(self),
            "feature_names_in_ is defined only for 2-D input",
        )
        for name, wanted in zip(stats, (self.with_mean, self.with_std, self.with_std)):
            value = getattr(self, name)
            if not wanted:
                require(value is None, f"{name} must be None when it is not used")
                continue
            require(
                is_float_array(value, 1) and value.shape == (step,),
                f"{name} must be a finite float64 array of one value per feature",
            )
        if self.with_std:
            require(bool((self.var_ >= 0).all()), "var_ must not be negative")
            require(bool((self.scale_ > 0).all()), "scale_ must be positive")

    def _apply(self, X, *, inverse: bool):
        check_is_fitted(self)
        X3, lengths, form = self._validate(X, reset=False)
        out = X3.astype(np.float64)  # a copy: X is never modified
        if inverse:
            if self.scale_ is not None:
                out *= self.scale_
            if self.mean_ is not None:
                out += self.mean_
        else:
            if self.mean_ is not None:
                out -= self.mean_
            if self.scale_ is not None:
                out /= self.scale_
        out = out.astype(X3.dtype, copy=False)
        if isinstance(form, tuple):
            return [
                out[i, :length].copy() if ndim == 2 else out[i, :length, 0].copy()
                for i, (length, ndim) in enumerate(zip(lengths, form[1]))
            ]
        padding = np.arange(out.shape[1]) >= lengths[:, None]
        out[padding] = np.nan
        return out if form == 3 else out[:, :, 0]

    def transform(self, X):
        """Scale each feature, keeping the form and the padding of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), or list of arrays
            Sequences in any of the forms ``fit`` accepts. Not modified.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            Same form, shape and padding as ``X``; float32 for float32 input,
            else float64.
        """
        return self._apply(X, inverse=False)

    def inverse_transform(self, X):
        """Undo the scaling, keeping the form and the padding of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), or list of arrays
            Scaled sequences. Not modified.

        Returns
        -------
        X_original : ndarray or list of ndarray
            Same form, shape and padding as ``X``, in the original units.
        """
        return self._apply(X, inverse=True)

    def _is_table(self) -> bool:
        check_is_fitted(self)
        if self._fit_input_kind != "table":
            raise AttributeError(
                "get_feature_names_out is only available after fitting on a 2-D "
                "table; sequences have no column names."
            )
        return True

    @available_if(_is_table)
    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Get the output column names of a 2-D table: those of the input.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; by default ``feature_names_in_``, or
            ``x0, x1, ...`` when ``fit`` saw no names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The same names, one per column.
        """
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
