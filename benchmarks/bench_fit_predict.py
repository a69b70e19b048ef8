# SPDX-License-Identifier: BSD-3-Clause
"""Compare RNNClassifier with a minimal hand-written PyTorch loop.

Both sides train the same ``RecurrentNet`` on the same data with the same
epochs, batch size, Adam learning rate and gradient-norm clipping, and predict
with the same batch size, so the ratios measure what the estimator (input
checks, skorch's training loop, callbacks, batching) costs on top of the model
itself. Prints a markdown table.

Wall-clock times move with whatever else the machine runs, so the two sides
alternate, and the whole fit is also timed in process CPU time, which other
processes disturb much less (with one torch thread at least).

    python benchmarks/bench_fit_predict.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import skorch
import torch
from _common import add_comparison_arguments, load_average, machine_line, train_plain
from torch import nn

from sklearn_rnn import RNNClassifier
from sklearn_rnn.modules import RecurrentNet


def make_data(n, n_steps, n_features, n_classes, seed):
    """Sequences whose class is the feature with the largest mean over time."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_steps, n_features)).astype(np.float32)
    y = X[:, :, :n_classes].mean(axis=1).argmax(axis=1).astype(np.int64)
    return X, y


def plain_fit(X, y, cell, args):
    """Train with a bare loop; return the model, per-epoch wall and total CPU s."""
    start = time.process_time()
    torch.manual_seed(0)
    model = RecurrentNet(
        X.shape[2], int(y.max()) + 1, cell=cell, hidden_size=args.hidden_size
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    # RecurrentNet takes lengths; all sequences are full length here.
    lengths = torch.full((len(X),), X.shape[1], dtype=torch.int64)
    epochs = train_plain(model, optimizer, criterion, X_t, lengths, y_t, args)
    return model, epochs, time.process_time() - start


def plain_predict_proba(model, X, batch_size):
    model.eval()
    X_t = torch.from_numpy(X)
    lengths = torch.full((len(X),), X.shape[1], dtype=torch.int64)
    with torch.inference_mode():
        out = [
            model(X_t[i : i + batch_size], lengths[i : i + batch_size])
            for i in range(0, len(X), batch_size)
        ]
        return torch.softmax(torch.cat(out), dim=1).numpy()


def ours_fit(X, y, cell, args):
    est = RNNClassifier(
        cell=cell,
        hidden_size=args.hidden_size,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        lr=args.lr,
        clip_grad_norm=args.clip,
        # Never stop early: both sides run exactly ``epochs`` epochs.
        n_iter_no_change=args.epochs + 1,
        random_state=0,
    )
    start = time.process_time()
    est.fit(X, y)
    total = time.process_time() - start
    assert est.n_iter_ == args.epochs
    # skorch's EpochTimer: from on_epoch_begin to on_epoch_end.
    return est, list(est.net_.history[:, "dur"]), total


def throughput(predict, X):
    """Sequences per second of one ``predict(X)`` call, and its output."""
    t0 = time.perf_counter()
    proba = predict(X)
    return len(X) / (time.perf_counter() - t0), proba


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4000)
    parser.add_argument("--n-steps", type=int, default=50)
    parser.add_argument("--n-features", type=int, default=8)
    parser.add_argument("--n-classes", type=int, default=3)
    add_comparison_arguments(parser)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    X, y = make_data(
        args.n_samples, args.n_steps, args.n_features, args.n_classes, seed=0
    )
    X_test, y_test = make_data(
        args.n_samples, args.n_steps, args.n_features, args.n_classes, seed=1
    )

    print(f"- {machine_line()}; skorch {skorch.__version__}")
    print(
        f"- data: {args.n_samples} x {args.n_steps} steps x {args.n_features} "
        f"features (float32), {args.n_classes} classes; hidden_size "
        f"{args.hidden_size}, batch_size {args.batch_size}, {args.epochs} epochs, "
        f"Adam lr {args.lr}, clip {args.clip}"
    )
    print(
        f"- s/epoch: wall, median over {args.epochs * args.fit_repeats} epochs; "
        f"fit CPU s: process CPU time of the whole fit (setup included), median "
        f"of {args.fit_repeats}; predict: wall, median of {args.predict_repeats} "
        f"passes over {args.n_samples} sequences, both loops running our trained "
        f"module; test acc: each side's own trained model; ratio = ours / plain"
    )
    print()
    print(
        "| cell | s/epoch plain | s/epoch ours | ratio "
        "| fit CPU s plain | fit CPU s ours | ratio "
        "| predict seq/s plain | predict seq/s ours | ratio "
        "| test acc plain | test acc ours |"
    )
    print("|---" * 12 + "|")
    noise = []
    for cell in args.cells:
        # Untimed warm-up of both sides: first calls pay for lazy init of kernels.
        warm = argparse.Namespace(**{**vars(args), "epochs": 1})
        plain_fit(X[: 4 * args.batch_size], y[: 4 * args.batch_size], cell, warm)
        ours_fit(X[: 4 * args.batch_size], y[: 4 * args.batch_size], cell, warm)
        epochs = {"plain": [], "ours": [], "again": []}
        fits = {"plain": [], "ours": [], "again": []}
        # Alternate the sides so that drifting machine load hits all of them.
        # "again" is the plain loop a second time: its ratio to the first is
        # what this machine's noise alone makes of two identical loops.
        for _ in range(args.fit_repeats):
            model, ep, total = plain_fit(X, y, cell, args)
            epochs["plain"] += ep
            fits["plain"].append(total)
            est, ep, total = ours_fit(X, y, cell, args)
            epochs["ours"] += ep
            fits["ours"].append(total)
            _, ep, total = plain_fit(X, y, cell, args)
            epochs["again"] += ep
            fits["again"].append(total)

        proba_plain = plain_predict_proba(model, X_test, args.batch_size)
        # Both predict loops run the estimator's own trained module, so that
        # only the loops differ (not the weights each side happened to learn).
        module = est.net_.module_
        # Warm up both paths once, then interleave the timed passes.
        plain_predict_proba(module, X_test[: args.batch_size * 2], args.batch_size)
        est.predict_proba(X_test[: args.batch_size * 2])
        rates = {"plain": [], "ours": [], "again": []}
        for _ in range(args.predict_repeats):
            rate, proba_same = throughput(
                lambda A: plain_predict_proba(module, A, args.batch_size), X_test
            )
            rates["plain"].append(rate)
            rate, proba_ours = throughput(est.predict_proba, X_test)
            rates["ours"].append(rate)
            rate, _ = throughput(
                lambda A: plain_predict_proba(module, A, args.batch_size), X_test
            )
            rates["again"].append(rate)

        ep_p, ep_o, ep_a = (statistics.median(epochs[k]) for k in epochs)
        fit_p, fit_o, fit_a = (statistics.median(fits[k]) for k in fits)
        pr_p, pr_o, pr_a = (statistics.median(rates[k]) for k in rates)
        noise.append(
            f"| {cell} | {ep_a / ep_p:.3f} | {fit_a / fit_p:.3f} | {pr_a / pr_p:.3f} |"
        )
        acc_p = (proba_plain.argmax(1) == y_test).mean()
        assert np.allclose(proba_same, proba_ours, atol=1e-5)
        acc_o = (est.classes_[proba_ours.argmax(1)] == y_test).mean()
        print(
            f"| {cell} | {ep_p:.3f} | {ep_o:.3f} | {ep_o / ep_p:.3f} "
            f"| {fit_p:.2f} | {fit_o:.2f} | {fit_o / fit_p:.3f} "
            f"| {pr_p:,.0f} | {pr_o:,.0f} | {pr_o / pr_p:.3f} "
            f"| {acc_p:.3f} | {acc_o:.3f} |",
            flush=True,
        )
    print(
        "\nThe plain loop against itself (a second plain side in the same "
        "alternation; ratio = again / plain):\n"
    )
    print("| cell | s/epoch ratio | fit CPU ratio | predict ratio |")
    print("|---" * 4 + "|")
    print("\n".join(noise))
    print(f"\n- load average at end: {load_average()}")


if __name__ == "__main__":
    main()
