# SPDX-License-Identifier: BSD-3-Clause
# Transitional name for the persistence package while it moves to _engine.
from ._engine import _RNNEngine as _BaseRNN  # noqa: F401
