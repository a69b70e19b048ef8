# SPDX-License-Identifier: BSD-3-Clause
"""Choose a SequenceForecaster by GridSearchCV with TimeSeriesSplit.

The data: quarterly US real GDP from 1959 to 2009 (statsmodels' ``macrodata``,
nothing is downloaded). The last 20 quarters (2004-2009) are held out; the
search runs on the quarters before, over 3 folds of 20 quarters.

``X`` is a DataFrame with a PeriodIndex, so the rows of each test fold say
where they sit in time: ``predict`` puts the end of the fold's training rows
in front of them and forecasts every test quarter from the full history
before it, as a forecast made at the time would have. The same folds read
as plain NumPy arrays have no index, and their first quarters are forecast
without any history; the script prints both, and the held-out error of the
chosen model.

Needs statsmodels; about 30 s on a 2-core machine::

    pip install statsmodels
    python examples/forecast_search.py
"""

import warnings
from time import perf_counter

import pandas as pd
import statsmodels.api as sm
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

from sklearn_rnn import SequenceForecaster

HELD_OUT = 20
# One quarter ahead: what every score below measures. horizon="auto" would
# forecast two years (8 quarters) of quarterly data at once; the NumPy
# arrays below have no index, so no season, and "auto" would mean 1 there.
HORIZON = 1


def load_gdp() -> pd.Series:
    data = sm.datasets.macrodata.load_pandas().data
    index = pd.PeriodIndex.from_fields(
        year=data["year"].astype(int), quarter=data["quarter"].astype(int), freq="Q"
    )
    return pd.Series(data["realgdp"].to_numpy(), index=index, name="realgdp")


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    y = load_gdp()
    X = y.to_frame()
    X_dev, y_dev = X.iloc[:-HELD_OUT], y.iloc[:-HELD_OUT]
    X_test, y_test = X.iloc[-HELD_OUT:], y.iloc[-HELD_OUT:]
    cv = TimeSeriesSplit(n_splits=3, test_size=20)
    start = perf_counter()
    search = GridSearchCV(
        SequenceForecaster(horizon=HORIZON, random_state=0),
        {"window": [8, 16], "hidden_size": [16, 32]},
        cv=cv,
        scoring="neg_mean_absolute_error",
    ).fit(X_dev, y_dev)
    seconds = perf_counter() - start
    print(
        f"Real GDP, quarterly: {len(X_dev)} quarters for the search "
        f"({X_dev.index[0]} to {X_dev.index[-1]}), {HELD_OUT} held out "
        f"({X_test.index[0]} to {X_test.index[-1]}); search {seconds:.0f} s"
    )
    print("\n  candidate                    CV MAE  (fold rows alone)")
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"]
    ):
        alone = -cross_val_score(
            SequenceForecaster(horizon=HORIZON, random_state=0, **params),
            X_dev.to_numpy(),
            y_dev.to_numpy(),
            cv=cv,
            scoring="neg_mean_absolute_error",
        ).mean()
        label = ", ".join(f"{k}={v}" for k, v in params.items())
        print(f"  {label:<27} {-score:7.1f}  ({alone:.1f})")
    held_out = mean_absolute_error(y_test, search.best_estimator_.predict(X_test))
    print(
        f"\nChosen: {search.best_params_}; CV MAE {-search.best_score_:.1f}, "
        f"held-out MAE {held_out:.1f} (2004-2009, the 2008-2009 recession "
        "included)"
    )


if __name__ == "__main__":
    main()
