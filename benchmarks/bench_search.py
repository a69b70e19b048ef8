# SPDX-License-Identifier: BSD-3-Clause
"""Time one GridSearchCV run sequentially, on 2 loky workers and on a Dask cluster.

The grid has 8 small configurations (cell x hidden_size x bidirectional),
each fitted on 3 folds of synthetic sequences: 24 fits. The search runs with
``n_jobs=1`` in this process, with ``n_jobs=2`` (joblib's loky processes),
and through ``joblib.parallel_backend("dask")`` on a Dask cluster: by default
a ``LocalCluster`` of 2 worker processes with 1 thread each on loopback, or
the scheduler given with ``--scheduler``. The same ``random_state`` must give
the same ``cv_results_`` scores and ``best_params_`` everywhere, and the
script says whether it did.

Worker start-up (processes importing torch) is timed apart from the search,
by a small warm-up search on each parallel backend. "fit s" adds up the wall
seconds of the 24 fits and their scoring as the workers measured them
(``cv_results_``): when it grows with parallelism, the fits slowed each other
down (fewer free cores than workers, or too many threads). On an idle
machine, the parallel wall time approaches "fit s" / 2. The last speedup
column counts the start-up in, as a first search in a fresh process pays it
(joblib keeps its workers for later searches). Prints a markdown table.

    python benchmarks/bench_search.py
    python benchmarks/bench_search.py --scheduler tcp://10.0.0.5:8786

``--worker-threads 2`` adds a run that gives each loky worker 2 torch
threads (``inner_max_num_threads``), to see what too many threads cost.
"""

from __future__ import annotations

import argparse
import time

import joblib
import numpy as np
import torch
from _common import load_average, machine_line
from bench_fit_predict import make_data
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_rnn import RNNClassifier

GRID = {
    "cell": ["gru", "lstm"],
    "hidden_size": [16, 32],
    "bidirectional": [False, True],
}


def make_search(args, grid=GRID, max_epochs=None, n_jobs=None):
    estimator = RNNClassifier(
        batch_size=args.batch_size,
        max_epochs=max_epochs or args.epochs,
        # Never stop early: every fit runs exactly ``epochs`` epochs.
        n_iter_no_change=args.epochs + 1,
        random_state=0,
    )
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return GridSearchCV(estimator, grid, cv=cv, n_jobs=n_jobs)


def timed_search(args, X, y, n_jobs=None):
    search = make_search(args, n_jobs=n_jobs)
    start = time.perf_counter()
    search.fit(X, y)
    return search, time.perf_counter() - start


def warm_up(args, X, y, n_jobs=None):
    """Start the workers and import torch there; return the wall seconds."""
    one = {name: values[:1] for name, values in GRID.items()}
    start = time.perf_counter()
    # Two candidates, so that each of two workers gets a fit.
    make_search(args, {**one, "hidden_size": GRID["hidden_size"]}, 1, n_jobs).fit(
        X[:120], y[:120]
    )
    return time.perf_counter() - start


def fit_seconds(search):
    """Wall seconds of all fits and scorings, summed over candidates and folds."""
    results = search.cv_results_
    per_candidate = results["mean_fit_time"] + results["mean_score_time"]
    return float(per_candidate.sum() * search.n_splits_)


def compare(reference, search):
    """Return "yes" when scores and best params equal the reference's, or why not."""
    diff = np.max(
        np.abs(
            search.cv_results_["mean_test_score"]
            - reference.cv_results_["mean_test_score"]
        )
    )
    same_best = search.best_params_ == reference.best_params_
    if diff == 0 and same_best:
        return "yes"
    return f"no (max score diff {diff:.2g}, same best params: {same_best})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--n-steps", type=int, default=20)
    parser.add_argument("--n-features", type=int, default=4)
    parser.add_argument("--n-classes", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads of this process, used by the n_jobs=1 search",
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=None,
        help="also run n_jobs=2 with this many torch threads per loky worker",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="address of a running Dask scheduler; default: a 2x1 LocalCluster",
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    X, y = make_data(
        args.n_samples, args.n_steps, args.n_features, args.n_classes, seed=0
    )
    print(f"- {machine_line()}")
    print(
        f"- data: {args.n_samples} x {args.n_steps} steps x {args.n_features} "
        f"features, {args.n_classes} classes; grid {GRID} (8 candidates) x 3 "
        f"folds = 24 fits of {args.epochs} epochs, batch_size {args.batch_size}"
    )

    rows = []
    sequential, seconds = timed_search(args, X, y, n_jobs=1)
    rows.append(
        (f"n_jobs=1 ({args.threads} torch thread(s))", "-", sequential, seconds, "-")
    )
    base = seconds

    startup = warm_up(args, X, y, n_jobs=2)
    worker_threads = joblib.Parallel(n_jobs=2)(
        joblib.delayed(torch.get_num_threads)() for _ in range(2)
    )
    search, seconds = timed_search(args, X, y, n_jobs=2)
    same = compare(sequential, search)
    rows.append(("n_jobs=2 (loky)", startup, search, seconds, same))
    print(f"- torch threads in the loky workers: {worker_threads}")
    if args.worker_threads is not None:
        # Another environment, so loky starts new workers.
        with joblib.parallel_config("loky", inner_max_num_threads=args.worker_threads):
            startup = warm_up(args, X, y, n_jobs=2)
            search, seconds = timed_search(args, X, y, n_jobs=2)
        name = f"n_jobs=2 (loky), {args.worker_threads} threads per worker"
        rows.append((name, startup, search, seconds, compare(sequential, search)))

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    if args.scheduler is None:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        label = "Dask LocalCluster (2 processes x 1 thread)"
    else:
        cluster = args.scheduler
        label = f"Dask at {args.scheduler}"
    with Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            startup = time.perf_counter() - start + warm_up(args, X, y)
            search, seconds = timed_search(args, X, y)
        dask_threads = sorted(client.run(torch.get_num_threads).values())
    if args.scheduler is None:
        cluster.close()
    rows.append((label, startup, search, seconds, compare(sequential, search)))
    print(f"- torch threads in the Dask workers: {dask_threads}")
    print(f"- best params (n_jobs=1): {sequential.best_params_}")
    print()
    print(
        "| run | start-up s | search wall s | fit s | speedup vs n_jobs=1 "
        "| speedup with start-up | same results |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, startup, search, seconds, same in rows:
        total = seconds + (0.0 if isinstance(startup, str) else startup)
        startup = startup if isinstance(startup, str) else f"{startup:.1f}"
        print(
            f"| {name} | {startup} | {seconds:.1f} | {fit_seconds(search):.1f} "
            f"| {base / seconds:.2f}x | {base / total:.2f}x | {same} |"
        )
    print(f"\n- load average at end: {load_average()}")


if __name__ == "__main__":
    main()
