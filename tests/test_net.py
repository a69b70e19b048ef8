# SPDX-License-Identifier: BSD-3-Clause
"""The training loop of the skorch net: the same training as skorch's own loop."""

import numpy as np
import pytest
import torch
from conftest import CHEAP_PARAMS
from skorch import NeuralNet
from skorch.callbacks import Callback, GradientNormClipping

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._net import _listeners, _QuietPrintLog, _SequenceNet
from sklearn_rnn._training import move_net

PARAMS = {**CHEAP_PARAMS, "max_epochs": 3}


class _Events(Callback):
    """Record every batch event the net sends, with what it carries."""

    def initialize(self):
        self.events_ = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.events_.append(("begin", training, len(batch[0]["lengths"])))

    def on_grad_computed(self, net, named_parameters, batch=None, training=None):
        names = [name for name, _ in named_parameters]
        # TeeGenerator: a second pass sees the parameters again.
        assert names == [name for name, _ in named_parameters]
        norm = sum(float(p.grad.norm()) for _, p in net.module_.named_parameters())
        self.events_.append(("grad", training, tuple(names), round(norm, 4)))

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        loss = round(kwargs["loss"].item(), 6)
        self.events_.append(("end", training, loss, tuple(kwargs["y_pred"].shape)))


class _Inherited(_Events):
    """Handles the events through its parent class."""


@pytest.fixture
def skorch_loop(monkeypatch):
    """Switch the estimators to skorch's own epoch loop and mode switching."""

    def use():
        monkeypatch.setattr(
            _SequenceNet, "run_single_epoch", NeuralNet.run_single_epoch
        )
        monkeypatch.setattr(_SequenceNet, "_set_training", NeuralNet._set_training)

    return use


def _fit(Estimator, X, y, **params):
    est = Estimator(**{**PARAMS, **params})
    return est.fit(X, y)


def _same_training(ours, theirs):
    for name, value in ours.net_.module_.state_dict().items():
        assert torch.equal(value, theirs.net_.module_.state_dict()[name]), name
    keys = ("train_loss", "train_batch_size")
    assert (
        ours.net_.history[:, "batches", :, keys]
        == (theirs.net_.history[:, "batches", :, keys])
    )
    assert ours.history_.drop(columns="dur").equals(theirs.history_.drop(columns="dur"))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"early_stopping": True},
        {"optimizer": "sgd", "lr_schedule": "onecycle"},
        {"optimizer": torch.optim.LBFGS, "lr": 0.5, "max_epochs": 2},
        {"clip_grad_norm": None, "dropout": 0.3, "num_layers": 2},
    ],
)
@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_training_matches_skorch_loop(Estimator, params, sequences_3d, skorch_loop):
    """Check that training gives bit-identical weights and history to skorch's loop."""
    X, y = sequences_3d
    if Estimator is RNNRegressor:
        y = X[:, :, 1].mean(axis=1)
    weight = np.linspace(0.5, 2.0, len(X))
    ours = Estimator(**{**PARAMS, **params}).fit(X, y, sample_weight=weight)
    skorch_loop()
    theirs = Estimator(**{**PARAMS, **params}).fit(X, y, sample_weight=weight)
    _same_training(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("Callback_", [_Events, _Inherited])
def test_batch_events_match_skorch_loop(Callback_, sequences_3d, skorch_loop):
    """Check that user callbacks see the same batch events as under skorch's loop."""
    X, y = sequences_3d
    params = {"early_stopping": True, "callbacks": [("events", Callback_())]}
    ours = _fit(RNNClassifier, X, y, **params)
    skorch_loop()
    theirs = _fit(RNNClassifier, X, y, **params)
    events = dict(ours.net_.callbacks_)["events"].events_
    assert events == dict(theirs.net_.callbacks_)["events"].events_
    n_train = len(X) - int(np.ceil(0.1 * len(X)))
    batches = -(-n_train // PARAMS["batch_size"])
    kinds = [event[:2] for event in events]
    assert kinds.count(("begin", True)) == batches * PARAMS["max_epochs"]
    assert kinds.count(("grad", True)) == batches * PARAMS["max_epochs"]
    assert kinds.count(("end", False)) == PARAMS["max_epochs"]  # one valid batch
    grads = [event for event in events if event[0] == "grad"]
    names = tuple(name for name, _ in ours.net_.module_.named_parameters())
    assert all(event[2] == names for event in grads)


def test_gradient_clipping_callback_applies(sequences_3d, skorch_loop):
    """Check that skorch's GradientNormClipping, given as a callback, still acts."""
    X, y = sequences_3d
    clip = [("clip", GradientNormClipping(gradient_clip_value=1e-3))]
    params = {"clip_grad_norm": None, "callbacks": clip}
    clipped = _fit(RNNClassifier, X, y, **params)
    free = _fit(RNNClassifier, X, y, clip_grad_norm=None)
    assert not np.allclose(clipped.predict_proba(X), free.predict_proba(X))
    skorch_loop()
    _same_training(clipped, _fit(RNNClassifier, X, y, **params))


def test_listeners_skip_callbacks_that_do_nothing():
    """Check that only callbacks handling an event are called for it."""

    class Net:
        callbacks_ = [
            ("plain", Callback()),
            ("events", _Events()),
            ("sub", _Inherited()),
        ]

    listeners = _listeners(Net(), "on_batch_end")
    assert [type(handler.__self__) for handler in listeners] == [_Events, _Inherited]
    assert _listeners(Net(), "on_epoch_end") == []


class _AttributeHandlers(Callback):
    """Set its batch handlers as attributes of the object, not methods."""

    def initialize(self):
        self.calls_ = []
        for event in ("on_batch_begin", "on_grad_computed", "on_batch_end"):
            setattr(self, event, lambda net, _e=event, **kw: self.calls_.append(_e))
        return self


def test_attribute_handlers_are_called(sequences_3d, skorch_loop):
    """Check that handlers set on a callback object run, as under skorch's loop."""
    X, y = sequences_3d
    params = {"callbacks": [("fn", _AttributeHandlers())]}
    ours = dict(_fit(RNNClassifier, X, y, **params).net_.callbacks_)["fn"].calls_
    skorch_loop()
    theirs = dict(_fit(RNNClassifier, X, y, **params).net_.callbacks_)["fn"].calls_
    assert ours == theirs
    batches = -(-len(X) // PARAMS["batch_size"]) * PARAMS["max_epochs"]
    assert len(ours) == 3 * batches


def test_warm_start_move_keeps_optimizer_on_module(sequences_3d, monkeypatch):
    """Check that moving a fitted net gives the optimizer the moved parameters.

    ``Module.to`` may replace the parameters (a torch option); the optimizer
    and its state must follow. The meta device stands in for an accelerator.
    """
    X, y = sequences_3d
    est = _fit(RNNClassifier, X, y)
    monkeypatch.setattr(
        torch.__future__, "get_overwrite_module_params_on_conversion", lambda: True
    )
    move_net(est.net_, torch.device("meta"))
    params = list(est.net_.module_.parameters())
    assert all(p.is_meta for p in params)
    group = est.net_.optimizer_.param_groups[0]["params"]
    assert len(group) == len(params)
    assert all(a is b for a, b in zip(group, params))
    state = est.net_.optimizer_.state
    assert all(state[p]["exp_avg"].is_meta for p in params)


def test_epoch_table_built_only_when_printed(sequences_3d, monkeypatch, capsys):
    """Check that the per-epoch table is formatted only when it is printed."""
    X, y = sequences_3d
    tables = []
    original = _QuietPrintLog.table

    def table(self, row):
        tables.append(row["epoch"])
        return original(self, row)

    monkeypatch.setattr(_QuietPrintLog, "table", table)
    est = _fit(RNNClassifier, X, y)
    assert tables == []
    assert capsys.readouterr().out == ""
    est.set_params(verbose=1, warm_start=True).fit(X, y)
    assert tables == [4, 5, 6]
    assert "train_loss" in capsys.readouterr().out


class _DropoutOff(Callback):
    """Switch the dropout layer off before every batch, as a user might."""

    def on_batch_begin(self, net, **kwargs):
        net.module_.dropout.eval()


def test_training_mode_restored_on_every_submodule(sequences_3d, skorch_loop):
    """Check that a submodule left in eval mode trains again, as under skorch."""
    X, y = sequences_3d
    params = {"dropout": 0.5, "num_layers": 2, "callbacks": [("off", _DropoutOff())]}
    ours = _fit(RNNClassifier, X, y, **params)
    skorch_loop()
    _same_training(ours, _fit(RNNClassifier, X, y, **params))


def test_predict_puts_every_submodule_in_eval_mode(sequences_3d):
    """Check that a submodule left in training mode does not drop out at predict."""
    X, y = sequences_3d
    est = _fit(RNNClassifier, X, y, dropout=0.5, num_layers=2)
    expected = est.predict_proba(X)
    est.net_.module_.dropout.train()
    np.testing.assert_array_equal(est.predict_proba(X), expected)
    assert not est.net_.module_.dropout.training


def test_epoch_table_has_colours_only_on_a_terminal(sequences_3d, monkeypatch, capsys):
    """Check that the epoch table has ANSI colours on a terminal only."""
    X, y = sequences_3d
    RNNClassifier(hidden_size=4, max_epochs=3, verbose=1, random_state=0).fit(X, y)
    assert "\x1b[" not in capsys.readouterr().out
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    RNNClassifier(hidden_size=4, max_epochs=3, verbose=1, random_state=0).fit(X, y)
    assert "\x1b[" in capsys.readouterr().out
