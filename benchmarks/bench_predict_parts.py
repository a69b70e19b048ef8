# SPDX-License-Identifier: BSD-3-Clause
"""Where predict time goes, against the plain loop of bench_fit_predict.

Times, on the same trained LSTM and data, the plain inference loop, our
``predict_proba``, ours without the input checks (the data handed over as
already validated), and ours without padding the last batch. Rounds run the
four in a shuffled order; prints medians in ms.

    python benchmarks/bench_predict_parts.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from _common import machine_line
from bench_fit_predict import make_data, plain_predict_proba

from sklearn_rnn import RNNClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=41)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    X, y = make_data(4000, 50, 8, 3, seed=0)
    X_test, _ = make_data(4000, 50, 8, 3, seed=1)
    est = RNNClassifier(hidden_size=64, batch_size=64, max_epochs=1, random_state=0)
    est.fit(X[:500], y[:500])
    module = est.net_.module_
    lengths = np.full(len(X_test), X_test.shape[1], dtype=np.int64)

    sides = {
        "plain loop": lambda: plain_predict_proba(module, X_test, 64),
        "ours": lambda: est.predict_proba(X_test),
        "ours, no input checks": lambda: np.exp(est._run(X_test, lengths)),
        "ours, no last-batch padding": lambda: np.exp(est._forward(X_test, pad=False)),
    }
    for predict in sides.values():
        predict()  # warm-up
    times = {name: [] for name in sides}
    rng = np.random.RandomState(0)
    for _ in range(args.rounds):
        for name in rng.permutation(list(sides)):
            start = time.perf_counter()
            sides[name]()
            times[name].append(time.perf_counter() - start)

    print(f"- {machine_line()}")
    print(f"- LSTM hidden 64, 4000 x 50 x 8, batch 64, {args.rounds} rounds\n")
    print("| predict | median ms |\n|---|---|")
    for name, values in times.items():
        print(f"| {name} | {1e3 * statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
