# SPDX-License-Identifier: BSD-3-Clause
"""Compare RNNClassifier with a minimal hand-written PyTorch loop.

Both sides train the same ``RecurrentNet`` on the same data with the same
epochs, batch size, Adam learning rate and gradient-norm clipping, and predict
with the same batch size, so the ratios measure what the estimator (input
checks, skorch's training loop, callbacks, batching) costs on top of the model
itself. Prints a markdown table.

Wall-clock times move with whatever else the machine (or its host) runs: each
repetition times the plain loop, ours, then the plain loop again, and compares
ours with the mean of the two plain runs around it. The second plain run
against the first shows how far noise alone moves the ratio. The whole fit is
also timed in process CPU time.

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
    # The estimator's default network for this data: 50 steps need no
    # convolutions, so the last step is pooled and inputs scaled globally.
    model = RecurrentNet(
        X.shape[2],
        int(y.max()) + 1,
        cell=cell,
        hidden_size=args.hidden_size,
        pooling="last",
        input_norm="global",
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
        # Never stop early: both sides run exactly ``epochs`` epochs, with no
        # held-out data and a constant learning rate.
        n_iter_no_change=args.epochs + 1,
        early_stopping=False,
        lr_schedule=None,
        label_smoothing=0.0,
        random_state=0,
    )
    start = time.process_time()
    est.fit(X, y)
    total = time.process_time() - start
    assert est.n_iter_ == args.epochs
    architecture = est._fitted_architecture
    assert architecture["conv_layers"] == 0
    assert (architecture["pooling"], architecture["input_norm"]) == ("last", "global")
    # skorch's EpochTimer: from on_epoch_begin to on_epoch_end.
    return est, list(est.net_.history[:, "dur"]), total


def timed(predict, X):
    """Seconds of one ``predict(X)`` call, and its output."""
    t0 = time.perf_counter()
    proba = predict(X)
    return time.perf_counter() - t0, proba


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
        "- each repetition runs plain, ours, plain again, back to back "
        f"({args.fit_repeats} fits and {args.predict_repeats} predict passes "
        f"over {args.n_samples} sequences per side); ratio = ours / mean of "
        "the two plain runs around "
        "it, so that the machine's drift cancels; shown as median [quartiles] "
        "over repetitions; s/epoch: wall; fit CPU: process CPU time of the "
        "whole fit, setup included; predict: both loops run our trained "
        "module; test acc: each side's own trained model"
    )
    print()
    print(
        "| cell | s/epoch plain | s/epoch ours | ratio | fit CPU ratio "
        "| predict seq/s plain | predict seq/s ours | ratio "
        "| test acc plain | test acc ours |"
    )
    print("|---" * 10 + "|")
    noise = []
    for cell in args.cells:
        # Untimed warm-up of both sides: first calls pay for lazy init of kernels.
        warm = argparse.Namespace(**{**vars(args), "epochs": 1})
        plain_fit(X[: 4 * args.batch_size], y[: 4 * args.batch_size], cell, warm)
        ours_fit(X[: 4 * args.batch_size], y[: 4 * args.batch_size], cell, warm)
        # "again" is the plain loop a second time: its ratio to the first is
        # what this machine's noise alone makes of two identical loops.
        epoch = {"plain": [], "ours": [], "again": []}
        cpu = {"plain": [], "ours": [], "again": []}
        for _ in range(args.fit_repeats):
            model, ep, total = plain_fit(X, y, cell, args)
            epoch["plain"].append(statistics.mean(ep))
            cpu["plain"].append(total)
            est, ep, total = ours_fit(X, y, cell, args)
            epoch["ours"].append(statistics.mean(ep))
            cpu["ours"].append(total)
            _, ep, total = plain_fit(X, y, cell, args)
            epoch["again"].append(statistics.mean(ep))
            cpu["again"].append(total)

        proba_plain = plain_predict_proba(model, X_test, args.batch_size)
        # Both predict loops run the estimator's own trained module, so that
        # only the loops differ (not the weights each side happened to learn).
        module = est.net_.module_

        def plain(A):
            return plain_predict_proba(module, A, args.batch_size)

        # Warm up both paths once, then interleave the timed passes.
        plain(X_test[: args.batch_size * 2])
        est.predict_proba(X_test[: args.batch_size * 2])
        seconds = {"plain": [], "ours": [], "again": []}
        for _ in range(args.predict_repeats):
            for side, predict in (("plain", plain), ("ours", est.predict_proba)):
                elapsed, proba = timed(predict, X_test)
                seconds[side].append(elapsed)
                if side == "ours":
                    proba_ours = proba
                else:
                    proba_same = proba
            seconds["again"].append(timed(plain, X_test)[0])

        ep_p, ep_o = (statistics.median(epoch[k]) for k in ("plain", "ours"))
        pr_p, pr_o = (
            args.n_samples / statistics.median(seconds[k]) for k in ("plain", "ours")
        )
        acc_p = (proba_plain.argmax(1) == y_test).mean()
        assert np.allclose(proba_same, proba_ours, atol=1e-5)
        acc_o = (est.classes_[proba_ours.argmax(1)] == y_test).mean()
        print(
            f"| {cell} | {ep_p:.3f} | {ep_o:.3f} | {bracketed(epoch)} "
            f"| {bracketed(cpu)} | {pr_p:,.0f} | {pr_o:,.0f} "
            f"| {bracketed(seconds, invert=True)} | {acc_p:.3f} | {acc_o:.3f} |",
            flush=True,
        )
        noise.append(
            f"| {cell} | {control(epoch)} | {control(cpu)} "
            f"| {control(seconds, invert=True)} |"
        )
    print(
        "\nThe plain loop against itself (ratio = again / plain, same "
        "repetitions): what noise alone makes of two identical loops.\n"
    )
    print("| cell | s/epoch ratio | fit CPU ratio | predict ratio |")
    print("|---" * 4 + "|")
    print("\n".join(noise))
    print(f"\n- load average at end: {load_average()}")


def summarize(ratios) -> str:
    """Median [first quartile, third quartile] of per-repetition ratios."""
    if len(ratios) < 2:
        return f"{ratios[0]:.3f}"
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return f"{median:.3f} [{q1:.3f}, {q3:.3f}]"


def bracketed(times, invert=False) -> str:
    """Ours against the mean of the plain runs before and after it.

    With ``invert``, times are per pass and the ratio is of throughput.
    """
    ratios = [
        2 * o / (p + a)
        for p, o, a in zip(times["plain"], times["ours"], times["again"])
    ]
    return summarize([1 / r for r in ratios] if invert else ratios)


def control(times, invert=False) -> str:
    """The second plain run against the first."""
    ratios = [a / p for p, a in zip(times["plain"], times["again"])]
    return summarize([1 / r for r in ratios] if invert else ratios)


if __name__ == "__main__":
    main()
