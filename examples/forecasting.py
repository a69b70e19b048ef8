# SPDX-License-Identifier: BSD-3-Clause
"""Forecast three years of monthly CO2 with SequenceForecaster, against baselines.

The data: weekly CO2 concentrations measured at Mauna Loa from March 1958 to
December 2001, shipped with statsmodels, averaged into months (the five
months without a reading are interpolated). A steady yearly cycle rides on a
rising trend, so repeating the last observed year (seasonal naive) is the
natural yardstick, and Holt-Winters exponential smoothing with additive trend
and season the classical model to beat.

The last 36 months (1999-2001) are held out. Every model sees only the months
before them and forecasts all 36 from the end of that history.

The network can forecast 36 months in two ways: recursively (``horizon=1``,
each forecast fed back as the next input) or directly (``horizon=36``: the
network reads the last window once and emits all 36 months, the default
``multi_output``). The script picks the
one with the lower error on a validation stretch: the last 36 months of the
history (1996-1998), forecast by a model trained on the months before. The
other settings below were tried on that same stretch; the held-out years took
no part in any choice.

The 80% interval starts from the direct model's 10% and 90% quantiles (one
pair trained for each month ahead; quantiles of recursive steps would treat
the forecasts fed back as observed, and ``forecast`` refuses them). Quantiles
fitted on ~400 windows come out too narrow, so the band is then widened by
conformalized quantile regression: by how far the validation stretch fell
outside the validation model's band (the 80% quantile of those distances).

The network is small and trains on about 450 windows, so its error moves
with ``random_state``: the held-out forecast is the mean of the forecasts of
``--seeds`` networks (5 by default) that differ only in their seed, and each
one's error is printed too. The validation choice and the interval use seed
0 alone.

Needs statsmodels and matplotlib; nothing is downloaded. Eight network fits:
about two and a half minutes on a 2-core machine.
The plot goes to ``--plot``, by default forecast.png in the current directory
(the repository's .gitignore leaves out *.png)::

    pip install statsmodels matplotlib
    python examples/forecasting.py --plot /tmp/forecast.png
"""

import argparse
import warnings
from time import perf_counter

import numpy as np
import statsmodels.api as sm
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from sklearn_rnn import SequenceForecaster

STEPS = 36  # three yearly seasons held out
STRATEGIES = {
    "recursive": {"horizon": 1, "window": 24, "max_epochs": 100},
    # Each target is 36 months past its window: a longer window shows the
    # trend's recent slope, and the harder task needs more epochs.
    "direct": {"horizon": STEPS, "window": 48, "max_epochs": 200},
}


def make_forecaster(strategy, seed=0):
    return SequenceForecaster(
        target_column="co2",
        cell="gru",  # chosen on the validation stretch, like the rest
        quantiles=(0.1, 0.5, 0.9),
        hidden_size=32,
        batch_size=32,
        random_state=seed,
        **STRATEGIES[strategy],
    )


def fit_forecast(strategy, history, seed=0):
    """Fit on ``history``; return the model, its forecast path, fit seconds."""
    start = perf_counter()
    model = make_forecaster(strategy, seed).fit(history.to_frame(), history)
    seconds = perf_counter() - start
    return model, model.forecast(STEPS), seconds  # a Series on the next months


def plot(filename, history, actual, forecasts, quantiles):
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.5))
    tail = history[-8 * 12 :]
    ax.plot(tail.index, tail, color="black", linewidth=1, label="history")
    ax.plot(actual.index, actual, color="black", linewidth=2, label="held out")
    ax.fill_between(
        actual.index,
        quantiles[:, 0],
        quantiles[:, -1],
        color="tab:green",
        alpha=0.25,
        label="SequenceForecaster 80% band (direct, conformal)",
    )
    # Baselines first, the network last, in the colour of its interval.
    styles = [("tab:gray", ":"), ("tab:orange", "--"), ("tab:green", "-")]
    for (name, values), (color, style) in zip(forecasts.items(), styles):
        ax.plot(actual.index, values, color=color, linestyle=style, label=name)
    ax.set_ylabel("CO2 (ppm)")
    ax.set_title("Mauna Loa CO2, monthly: 36-month forecasts")
    ax.legend(loc="upper left", fontsize="small")
    fig.savefig(filename, dpi=120, bbox_inches="tight")
    plt.close(fig)


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--plot", default="forecast.png", help="PNG file to write")
parser.add_argument(
    "--seeds", type=int, default=5, help="networks averaged for the forecast"
)
args = parser.parse_args()
# Small networks train fastest on one thread, more so on a busy machine.
torch.set_num_threads(1)
# max_epochs was chosen on the validation stretch; some seeds are still
# improving slowly when they reach it.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

weekly = sm.datasets.co2.load_pandas().data["co2"]
co2 = weekly.resample("MS").mean().interpolate("time")
history, actual = co2[:-STEPS], co2[-STEPS:]
print(
    f"CO2 at Mauna Loa, monthly: {len(history)} months of history "
    f"({history.index[0]:%Y-%m} to {history.index[-1]:%Y-%m}), {STEPS} held out "
    f"({actual.index[0]:%Y-%m} to {actual.index[-1]:%Y-%m})"
)

# -- Choose the strategy on the last 36 months of the history -------------
train, valid = history[:-STEPS], history[-STEPS:]
valid_models = {name: fit_forecast(name, train) for name in STRATEGIES}
scores = {
    name: mean_absolute_error(valid, fit[1]) for name, fit in valid_models.items()
}
# Conformity scores of the direct band on the validation stretch.
_, q_valid = valid_models["direct"][0].forecast(STEPS, return_quantiles=True)
outside = np.maximum(q_valid.iloc[:, 0] - valid, valid - q_valid.iloc[:, -1])
level = min(1.0, np.ceil((STEPS + 1) * 0.8) / STEPS)
widen = np.quantile(outside, level, method="higher")
strategy = min(scores, key=scores.get)
print(
    f"Validation on {valid.index[0]:%Y}-{valid.index[-1]:%Y}, MAE: "
    + ", ".join(f"{name} {mae:.2f}" for name, mae in scores.items())
    + f" -> {strategy}\n"
)

# -- Forecast the held-out years ----------------------------------------
models = {name: fit_forecast(name, history) for name in STRATEGIES}
runs = [models[strategy]] + [
    fit_forecast(strategy, history, seed) for seed in range(1, args.seeds)
]
path = np.mean([run[1] for run in runs], axis=0)
fit_seconds = sum(run[2] for run in runs)
seed_maes = [mean_absolute_error(actual, run[1]) for run in runs]
# Direct quantiles: one pair trained for each month ahead.
_, quantiles = models["direct"][0].forecast(STEPS, return_quantiles=True)
quantiles = quantiles.to_numpy()[:, [0, -1]] + [-widen, widen]
start = perf_counter()
holt_winters = ExponentialSmoothing(
    history, trend="add", seasonal="add", seasonal_periods=12
).fit()
hw_seconds = perf_counter() - start
forecasts = {
    "Seasonal naive (last year)": (np.tile(history[-12:], STEPS // 12), 0.0),
    "Holt-Winters (additive)": (holt_winters.forecast(STEPS), hw_seconds),
    f"SequenceForecaster ({strategy}, {args.seeds} seeds)": (path, fit_seconds),
}
print(f"  {'36-month forecast':<40} {'fit s':>6} {'MAE ppm':>8} {'MAPE %':>7}")
for name, (values, seconds) in forecasts.items():
    mae = mean_absolute_error(actual, values)
    mape = 100 * mean_absolute_percentage_error(actual, values)
    print(f"  {name:<40} {seconds:6.1f} {mae:8.2f} {mape:7.2f}")
print(
    f"  one network each (seeds 0-{args.seeds - 1}), MAE ppm: "
    + " ".join(f"{mae:.2f}" for mae in seed_maes)
)
low, high = quantiles[:, 0], quantiles[:, -1]
inside = (actual >= low) & (actual <= high)
print(
    f"\n80% interval (direct quantiles, conformal widening {widen:.2f} ppm): "
    f"{inside.sum()} of {STEPS} held-out months inside "
    f"({inside.mean():.0%}), mean width {np.mean(high - low):.2f} ppm"
)

plot(
    args.plot,
    history,
    actual,
    {name: np.asarray(values) for name, (values, _) in forecasts.items()},
    quantiles,
)
print(f"Plot written to {args.plot}")
