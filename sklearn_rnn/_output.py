# SPDX-License-Identifier: BSD-3-Clause
"""``set_output`` for the transformers whose output is no table."""

from __future__ import annotations

import warnings

__all__ = ["_ArrayOutputMixin"]

_OUTPUT_CHOICES = (None, "default", "pandas", "polars")


class _ArrayOutputMixin:
    """``set_output`` for transformers whose output is no table.

    Sequences (3-D arrays, ragged lists) and token ids fit no DataFrame, so
    these transformers declare ``auto_wrap_output_keys=None`` and scikit-learn
    offers them no ``set_output``. ``Pipeline.set_output`` then fails on them,
    although the other steps could be configured. This one accepts every
    setting, keeps the output a NumPy array, and says so for a DataFrame
    library. Put it to the left of ``TransformerMixin``.
    """

    #: What the output is, for the warning of ``set_output``.
    _array_output = "sequences"

    def set_output(self, *, transform=None):
        """Accept an output container; the output stays a NumPy array.

        The output (sequences or token ids) fits no DataFrame. The method
        exists so that ``Pipeline.set_output`` can configure the other steps.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            The container asked for. ``"pandas"`` and ``"polars"`` emit a
            ``UserWarning`` saying that this step's output stays an array;
            ``"default"`` and None change nothing.

        Returns
        -------
        self : estimator
            The transformer, unchanged.
        """
        if transform not in _OUTPUT_CHOICES:
            raise ValueError(
                f"transform={transform!r} is not a valid output container; use "
                "'default', 'pandas', 'polars' or None."
            )
        if transform in ("pandas", "polars"):
            warnings.warn(
                f"{type(self).__name__}.set_output(transform={transform!r}): "
                f"its output ({self._array_output}) stays a NumPy array. The "
                "other steps of a Pipeline are configured as asked.",
                UserWarning,
                stacklevel=2,
            )
        return self
