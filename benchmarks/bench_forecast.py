# SPDX-License-Identifier: BSD-3-Clause
"""Compare SequenceForecaster with a plain PyTorch loop on the same windows.

Both sides train the same ``RecurrentNet`` (one input feature, one output)
to forecast the next value of one synthetic series from the ``window`` values
before it, with the same epochs, batch size, Adam learning rate, gradient-norm
clipping and mean squared error; the plain loop cuts its windows with
``sklearn_rnn.make_windows``. Then both predict a later stretch of the series
(one-step forecasts, same batch size) and forecast ``steps`` values past the
end of the training series recursively, one step at a time. The ratios
(ours / plain) measure what the forecaster costs on top of the model.

What differs by design, not by overhead:

- Scaling. The plain loop standardizes the series once with its mean and
  deviation; the forecaster (``normalize="none"`` here, so that the targets
  are the same numbers) does the same per series, and also standardizes the
  inputs on every ``predict`` and ``forecast`` call and maps the outputs back
  to the original scale. Its default ``normalize="window"`` would subtract
  each window's last value as well (one more subtraction per window).
- Which windows. ``fit`` trains on one window per row that has history: the
  first ``window - 1`` of them are shorter (the rows that exist), so it sees
  ``n - 1`` windows where ``make_windows`` gives the ``n - window`` full ones,
  and its batches go through the variable-length path (length bucketing,
  padding masks for the batch that holds short windows).
- Inputs and outputs. The forecaster takes a table with one row per time
  step and cuts the windows itself on every call (``predict`` returns one
  float64 value per row); the plain loop is handed ready-made float32
  windows. Inference pads every batch to ``batch_size`` rows so that a
  window's forecast never depends on what it is batched with; a recursive
  ``forecast`` therefore runs a full batch for each step, where the plain
  loop runs one window.
- The training loop. skorch's loop with its callbacks (epoch timer, early
  stopping bookkeeping, learning-rate record), input validation, history.

"s/epoch" comes from skorch's epoch timer for the forecaster and a timer
around each epoch of the plain loop, so it leaves out the set-up above; "fit
CPU s" is the process CPU time of the whole fit, set-up included, which other
processes disturb much less than wall time (with one torch thread at least).
The two sides alternate so that drifting machine load hits both. Prints a
markdown table.

    python benchmarks/bench_forecast.py --threads 1
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

from sklearn_rnn import SequenceForecaster, make_windows
from sklearn_rnn.modules import RecurrentNet


def make_series(n, seed=0):
    """A trend, a daily and a weekly cycle (hourly steps), and AR(1) noise."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    noise = np.zeros(n)
    shocks = rng.normal(scale=2.0, size=n)
    for i in range(1, n):
        noise[i] = 0.7 * noise[i - 1] + shocks[i]
    return (
        100
        + 0.01 * t
        + 10 * np.sin(2 * np.pi * t / 24)
        + 5 * np.sin(2 * np.pi * t / 168)
        + noise
    )


class PlainForecaster:
    """The plain side's fitted state: the module and the series' scaling."""

    def __init__(self, model, center, scale, window):
        self.model, self.center, self.scale, self.window = model, center, scale, window


def plain_fit(series, cell, args):
    """Train with a bare loop; return the model, per-epoch wall and total CPU s."""
    start = time.process_time()
    torch.manual_seed(0)
    center, scale = series.mean(), series.std()
    X, y = make_windows((series - center) / scale, window=args.window)
    X_t = torch.from_numpy(X.astype(np.float32))
    y_t = torch.from_numpy(y.astype(np.float32)[:, None])
    lengths = torch.full((len(X),), args.window, dtype=torch.int64)
    model = RecurrentNet(1, 1, cell=cell, hidden_size=args.hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.MSELoss()
    epochs = train_plain(model, optimizer, criterion, X_t, lengths, y_t, args)
    fitted = PlainForecaster(model, center, scale, args.window)
    return fitted, epochs, time.process_time() - start


def plain_predict(fitted, series, batch_size):
    """One-step forecasts of ``series[window:]``, each from the values before it."""
    fitted.model.eval()
    X, _ = make_windows((series - fitted.center) / fitted.scale, window=fitted.window)
    X_t = torch.from_numpy(X.astype(np.float32))
    lengths = torch.full((len(X),), fitted.window, dtype=torch.int64)
    with torch.inference_mode():
        out = [
            fitted.model(X_t[i : i + batch_size], lengths[i : i + batch_size])
            for i in range(0, len(X), batch_size)
        ]
    return torch.cat(out)[:, 0].double().numpy() * fitted.scale + fitted.center


def plain_forecast(fitted, history, steps):
    """Forecast ``steps`` values after ``history``, feeding forecasts back in."""
    fitted.model.eval()
    z = torch.zeros(fitted.window + steps)
    z[: fitted.window] = torch.from_numpy(
        (history[-fitted.window :] - fitted.center) / fitted.scale
    )
    lengths = torch.tensor([fitted.window])
    with torch.inference_mode():
        for i in range(steps):
            window = z[i : i + fitted.window].view(1, fitted.window, 1)
            z[fitted.window + i] = fitted.model(window, lengths)[0, 0]
    return z[fitted.window :].double().numpy() * fitted.scale + fitted.center


def ours_fit(series, cell, args):
    est = SequenceForecaster(
        window=args.window,
        normalize="none",
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
    est.fit(series[:, None], series)
    total = time.process_time() - start
    assert est.n_iter_ == args.epochs
    # skorch's EpochTimer: from on_epoch_begin to on_epoch_end.
    return est, list(est.net_.history[:, "dur"]), total


def timed(fn, *args):
    """Wall seconds of one call, and its result."""
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--steps", type=int, default=48, help="recursive forecast")
    add_comparison_arguments(parser)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    series = make_series(args.n_train + args.n_test)
    train, test = series[: args.n_train], series[args.n_train :]
    n_plain = args.n_test - args.window
    n_ours = args.n_test - 1  # row 0 of the test table has no history

    print(f"- {machine_line()}; skorch {skorch.__version__}")
    print(
        f"- data: synthetic hourly series, {args.n_train} training steps (windows: "
        f"{args.n_train - args.window} plain, {args.n_train - 1} ours), "
        f"{args.n_test} test steps; window {args.window}, hidden_size "
        f"{args.hidden_size}, batch_size {args.batch_size}, {args.epochs} epochs, "
        f"Adam lr {args.lr}, clip {args.clip}, MSE"
    )
    print(
        f"- s/epoch: wall, median over {args.epochs * args.fit_repeats} epochs; "
        f"fit CPU s: process CPU time of the whole fit, median of "
        f"{args.fit_repeats}; predict: one-step forecasts per second over the test "
        f"stretch ({n_plain} plain, {n_ours} ours), wall, median of "
        f"{args.predict_repeats}; forecast: ms for {args.steps} recursive steps, "
        f"median of {args.predict_repeats}; MAE: one-step test forecasts from a "
        f"full window; ratio = ours / plain"
    )
    print()
    print(
        "| cell | s/epoch plain | s/epoch ours | ratio "
        "| fit CPU s plain | fit CPU s ours | ratio "
        "| predict /s plain | predict /s ours | ratio "
        f"| forecast({args.steps}) ms plain | ms ours | ratio "
        "| MAE plain | MAE ours |"
    )
    print("|---" * 15 + "|")
    for cell in args.cells:
        # Untimed warm-up of both sides: first calls pay for lazy init of kernels.
        warm = argparse.Namespace(**{**vars(args), "epochs": 1})
        short = train[: 4 * args.batch_size + args.window]
        plain_fit(short, cell, warm)
        ours_fit(short, cell, warm)
        epochs = {"plain": [], "ours": []}
        fits = {"plain": [], "ours": []}
        # Alternate the two sides so that drifting machine load hits both.
        for _ in range(args.fit_repeats):
            fitted, ep, total = plain_fit(train, cell, args)
            epochs["plain"] += ep
            fits["plain"].append(total)
            est, ep, total = ours_fit(train, cell, args)
            epochs["ours"] += ep
            fits["ours"].append(total)

        sides = {
            "plain": (
                lambda: plain_predict(fitted, test, args.batch_size),
                lambda: plain_forecast(fitted, train, args.steps),
            ),
            "ours": (
                lambda: est.predict(test[:, None]),
                lambda: est.forecast(args.steps),
            ),
        }
        for predict, forecast in sides.values():
            predict()
            forecast()
        rates = {"plain": [], "ours": []}
        latency = {"plain": [], "ours": []}
        n_pred = {"plain": n_plain, "ours": n_ours}
        preds = {}
        for _ in range(args.predict_repeats):
            for side, (predict, forecast) in sides.items():
                seconds, preds[side] = timed(predict)
                rates[side].append(n_pred[side] / seconds)
                seconds, _ = timed(forecast)
                latency[side].append(1000 * seconds)

        ep_p, ep_o = (statistics.median(epochs[k]) for k in ("plain", "ours"))
        fit_p, fit_o = (statistics.median(fits[k]) for k in ("plain", "ours"))
        pr_p, pr_o = (statistics.median(rates[k]) for k in ("plain", "ours"))
        fc_p, fc_o = (statistics.median(latency[k]) for k in ("plain", "ours"))
        # Score the rows that have a full window on both sides.
        mae_p = np.abs(preds["plain"] - test[args.window :]).mean()
        mae_o = np.abs(preds["ours"][args.window :] - test[args.window :]).mean()
        print(
            f"| {cell} | {ep_p:.3f} | {ep_o:.3f} | {ep_o / ep_p:.2f} "
            f"| {fit_p:.2f} | {fit_o:.2f} | {fit_o / fit_p:.2f} "
            f"| {pr_p:,.0f} | {pr_o:,.0f} | {pr_o / pr_p:.2f} "
            f"| {fc_p:.1f} | {fc_o:.1f} | {fc_o / fc_p:.2f} "
            f"| {mae_p:.2f} | {mae_o:.2f} |",
            flush=True,
        )
    print(f"\n- load average at end: {load_average()}")


if __name__ == "__main__":
    main()
