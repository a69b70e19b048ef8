# SPDX-License-Identifier: BSD-3-Clause
"""Reading the ``device`` parameter: a torch device that exists here."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(requested) -> torch.device:
    """The torch device for a ``device`` parameter; "auto" picks CUDA if any."""
    device = requested
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={requested!r} is not a valid device.") from exc
    if device.type == "meta":
        # Tensors on 'meta' have shapes but no values: nothing to train.
        raise ValueError(
            f"device={requested!r} holds no data; use 'cpu', 'cuda' or 'auto'."
        )
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={requested!r} but CUDA is not available on this machine; "
            "use device='cpu' or 'auto'."
        )
    # Other accelerators (mps, xpu, ...) say so through torch.<type>.
    backend = getattr(torch, device.type, None)
    if device.type not in ("cpu", "cuda") and not (
        hasattr(backend, "is_available") and backend.is_available()
    ):
        raise ValueError(
            f"device={requested!r} is not available on this machine; use "
            "device='cpu' or 'auto'."
        )
    return device
