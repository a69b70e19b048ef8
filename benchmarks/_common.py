# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the benchmark scripts: options, the plain loop, machine line."""

from __future__ import annotations

import os
import platform
import time
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

# Every benchmark trains a fixed number of epochs on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def cpu_name() -> str:
    """Return the CPU model name, as far as the platform tells it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, or "n/a"."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_line() -> str:
    """One line naming torch, the CPU, the thread count and the current load."""
    return (
        f"torch {torch.__version__}; CPU: {cpu_name()} ({os.cpu_count()} cores); "
        f"torch threads: {torch.get_num_threads()}; load average: {load_average()}"
    )


def add_comparison_arguments(parser) -> None:
    """Options shared by the scripts that compare us with a plain torch loop."""
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument(
        "--fit-repeats", type=int, default=5, help="fits per side and cell"
    )
    parser.add_argument("--predict-repeats", type=int, default=7)
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru"])
    parser.add_argument("--threads", type=int, default=1)


def train_plain(model, optimizer, criterion, X, lengths, y, args) -> list[float]:
    """The hand-written loop both comparisons time: shuffled mini-batches,
    Adam (or any optimizer), gradient-norm clipping. Returns seconds per epoch.
    """
    model.train()
    epochs = []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), args.batch_size):
            idx = perm[i : i + args.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(X[idx], lengths[idx]), y[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
        epochs.append(time.perf_counter() - t0)
    return epochs
