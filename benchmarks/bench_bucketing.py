# SPDX-License-Identifier: BSD-3-Clause
"""Variable-length training: naive padding against length bucketing.

Ragged sequences with long-tailed lengths (5 to 500 steps) train one epoch at
a time through the same GRU, fed three ways:

- naive: random batches, every batch padded to the longest sequence of the
  whole data set (what a plain ``DataLoader`` over one padded array does);
- bucketed: ``sklearn_rnn.data.BatchIterator``, which sorts sequences by length
  within chunks, shuffles the batches and trims each to its longest sequence
  (what ``RNNClassifier.fit`` uses);
- equal-length: sequences all of the mean length, as the cost to aim for.

It prints epoch seconds (median), the share of processed time steps that are
padding, and the cost per real time step relative to equal-length data. The
last line times ``RNNClassifier.fit`` itself on the ragged data.

Run: ``python benchmarks/bench_bucketing.py [--threads 1]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _common import machine_line

from sklearn_rnn import RNNClassifier
from sklearn_rnn.data import BatchIterator, SequenceDataset, pad_sequences
from sklearn_rnn.modules import RecurrentNet


def make_lengths(n, rng):
    # Long-tailed: most sequences short, a few near the cap.
    return np.clip(rng.lognormal(mean=3.3, sigma=0.9, size=n), 5, 500).astype(int)


def run_epoch(module, optimizer, batches):
    """Train one epoch; return (seconds, processed steps, real steps)."""
    loss_fn = torch.nn.CrossEntropyLoss()
    processed = real = 0
    start = time.perf_counter()
    for Xb, (yb, _) in batches:
        optimizer.zero_grad()
        loss = loss_fn(module(**Xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimizer.step()
        processed += Xb["X"].shape[0] * Xb["X"].shape[1]
        real += int(Xb["lengths"].sum())
    return time.perf_counter() - start, processed, real


def naive_batches(dataset, batch_size, rng):
    order = torch.from_numpy(rng.permutation(len(dataset)))
    for start in range(0, len(dataset), batch_size):
        idx = order[start : start + batch_size]
        # The whole padded width, whatever the batch holds.
        yield (
            {"X": dataset.X[idx], "lengths": dataset.lengths[idx]},
            (dataset.y[idx], dataset.sample_weight[idx]),
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--n-features", type=int, default=8)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rng = np.random.RandomState(0)
    lengths = make_lengths(args.n_samples, rng)
    X_list = [rng.normal(size=(t, args.n_features)).astype(np.float32) for t in lengths]
    y = rng.randint(0, 2, size=args.n_samples)
    weight = torch.ones(args.n_samples)
    X_pad, lens = pad_sequences(X_list)
    ragged = SequenceDataset(
        torch.from_numpy(X_pad), torch.from_numpy(lens), torch.from_numpy(y), weight
    )
    mean_len = int(round(lengths.mean()))
    X_eq = rng.normal(size=(args.n_samples, mean_len, args.n_features))
    equal = SequenceDataset(
        torch.from_numpy(X_eq.astype(np.float32)),
        torch.full((args.n_samples,), mean_len),
        torch.from_numpy(y),
        weight,
    )

    def feeds():
        yield (
            "naive padding",
            ragged,
            lambda: naive_batches(ragged, args.batch_size, rng),
        )
        yield (
            "bucketed",
            ragged,
            lambda: BatchIterator(
                ragged, args.batch_size, shuffle=True, random_state=rng
            ),
        )
        yield (
            "equal-length",
            equal,
            lambda: BatchIterator(
                equal, args.batch_size, shuffle=True, random_state=rng
            ),
        )

    # One model per feed; the feeds take turns epoch by epoch, so that a
    # change in machine load hits all three alike.
    sides = {}
    for name, _, make in feeds():
        torch.manual_seed(0)
        module = RecurrentNet(args.n_features, 2, hidden_size=args.hidden_size)
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
        sides[name] = (module, optimizer, make, [])
    for _ in range(args.epochs):
        for module, optimizer, make, runs in sides.values():
            runs.append(run_epoch(module, optimizer, make()))
    results = {}
    for name, (_, _, _, runs) in sides.items():
        seconds = float(np.median([r[0] for r in runs]))
        processed = sum(r[1] for r in runs)
        real = sum(r[2] for r in runs)
        results[name] = (seconds, 1 - real / processed, seconds * len(runs) / real)

    clf = RNNClassifier(
        cell="gru",
        hidden_size=args.hidden_size,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        lr=1e-3,
        n_iter_no_change=args.epochs + 1,
        random_state=0,
    ).fit(X_list, y)
    fit_epoch = float(np.median(clf.net_.history[:, "dur"]))

    print(machine_line())
    print(
        f"{args.n_samples} sequences, lengths 5-500 (median {int(np.median(lengths))}, "
        f"mean {mean_len}), {args.n_features} features, GRU {args.hidden_size}, "
        f"batch {args.batch_size}, median of {args.epochs} epochs\n"
    )
    print("| feeding | epoch s | padded steps | s per real step vs equal-length |")
    print("| --- | ---: | ---: | ---: |")
    base = results["equal-length"][2]
    for name, (seconds, padded, per_step) in results.items():
        print(f"| {name} | {seconds:.2f} | {padded:.0%} | {per_step / base:.2f}x |")
    naive, bucketed = results["naive padding"][0], results["bucketed"][0]
    print(f"\nbucketing speed-up over naive padding: {naive / bucketed:.1f}x")
    print(f"RNNClassifier.fit on the ragged data: {fit_epoch:.2f} s per epoch")


if __name__ == "__main__":
    main()
