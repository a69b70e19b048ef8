# SPDX-License-Identifier: BSD-3-Clause
"""A Keras-style table of a torch module's layers (torch only)."""

from __future__ import annotations

import torch
from torch import nn


def _first_tensor(output):
    """The tensor a layer hands on (recurrent layers return ``(out, state)``)."""
    while isinstance(output, (tuple, list)):
        output = output[0]
    return output if isinstance(output, torch.Tensor) else None


def _output_shapes(module: nn.Module, example: dict) -> dict[str, tuple]:
    """Run ``module(**example)`` and record each leaf layer's output shape."""
    shapes, hooks = {}, []
    for name, layer in module.named_modules():
        if name and not any(True for _ in layer.children()):

            def hook(_, __, output, name=name):
                tensor = _first_tensor(output)
                if tensor is not None:
                    shapes.setdefault(name, tuple(tensor.shape))

            hooks.append(layer.register_forward_hook(hook))
    try:
        with torch.inference_mode():
            module(**example)
    finally:
        for handle in hooks:
            handle.remove()
    return shapes


def layer_table(module: nn.Module, examples: tuple[dict, dict]) -> list[tuple]:
    """Return ``(name, type, output shape, n_params, n_trainable)`` per layer.

    ``examples`` are two inputs of different batch sizes and lengths: an output
    dimension that differs between them depends on the data and shows as None.
    Layers without parameters that do nothing (``nn.Identity``) are left out.
    """
    first, second = (_output_shapes(module, example) for example in examples)
    rows = []
    for name, layer in module.named_modules():
        if name not in first or isinstance(layer, nn.Identity):
            continue
        shape = tuple(a if a == b else None for a, b in zip(first[name], second[name]))
        params = list(layer.parameters())
        rows.append(
            (
                name,
                type(layer).__name__,
                shape,
                sum(p.numel() for p in params),
                sum(p.numel() for p in params if p.requires_grad),
            )
        )
    return rows


def summary_lines(title: str, module: nn.Module, example) -> list[str]:
    """The lines of a Keras-style summary of ``module``.

    ``example(n_samples, n_steps)`` returns a module input (on the CPU); two
    of different sizes tell data-dependent output dimensions apart.
    """
    device = next(module.parameters()).device

    def on_device(n_samples, n_steps):
        return {k: v.to(device) for k, v in example(n_samples, n_steps).items()}

    training = module.training
    module.eval()
    try:
        rows = layer_table(module, (on_device(2, 3), on_device(5, 7)))
    finally:
        module.train(training)
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    cells = [
        (f"{name} ({kind})", str(shape), f"{n:,}") for name, kind, shape, n, _ in rows
    ]
    header = ("Layer (type)", "Output shape", "Param #")
    widths = [max(len(r[i]) for r in [header, *cells]) + 2 for i in range(3)]
    rule = "=" * sum(widths)

    def line(row):
        return "".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    return [
        f"{title}: {type(module).__name__}",
        rule,
        line(header),
        rule,
        *(line(row) for row in cells),
        rule,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
    ]
