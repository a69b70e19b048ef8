# SPDX-License-Identifier: BSD-3-Clause
import numpy as np
import pytest
import torch

# One thread per test process: the suite runs many tiny models, where extra
# threads only add spin-waiting (and slow everything down when the CI machine
# is busy).
torch.set_num_threads(1)

# Cheap settings used by the common checks: tiny nets and few epochs. The
# order-invariance checks hold with smaller batches too, because inference
# pads every batch to the same size (see ``sklearn_rnn.data.pad_rows``).
CHEAP_PARAMS = {
    "hidden_size": 8,
    "max_epochs": 40,
    "lr": 0.02,
    "batch_size": 32,
    "random_state": 0,
}


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def sequences_3d():
    """Small classification data: 3-D float32 sequences with a learnable label."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 12, 3)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    return X, y


@pytest.fixture
def ragged_sequences():
    """Variable-length sequences (3 features) with a label and a real target."""
    rng = np.random.RandomState(1)
    X = [rng.normal(size=(rng.randint(2, 20), 3)).astype(np.float32) for _ in range(60)]
    y_class = np.array([int(x[:, 0].mean() > 0) for x in X])
    y_reg = np.array([x[-1, 1] * 10.0 for x in X])
    return X, y_class, y_reg
