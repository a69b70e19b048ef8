# SPDX-License-Identifier: BSD-3-Clause
"""What the benchmark scripts print about the machine they ran on."""

from __future__ import annotations

import os
import platform

import torch


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
