# SPDX-License-Identifier: BSD-3-Clause
"""The skorch net the estimators build, and their private callbacks.

skorch runs the training: epochs, callbacks, history, validation, devices.
The net here changes how one training batch is run, not what happens in it.
"""

from __future__ import annotations

import re
import sys

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.utils import TeeGenerator


def _listeners(net: NeuralNet, event: str) -> list:
    """The ``event`` handlers of the net's callbacks that do something.

    skorch's base ``Callback`` methods do nothing, so leaving them out
    changes nothing but the cost of calling them. Handlers are looked up on
    each callback object, as skorch's ``notify`` does: a callback may set
    one as an attribute.
    """
    base = getattr(Callback, event)
    handlers = []
    for _, cb in net.callbacks_:
        handler = getattr(cb, event, None)
        if handler is not None and getattr(handler, "__func__", None) is not base:
            handlers.append(handler)
    return handlers


class _SequenceNet(NeuralNet):
    """skorch net with a per-sample weighted loss and built-in gradient clipping.

    Batches carry ``(target, sample_weight)`` as their ``y``; the criterion is
    built with ``reduction="none"`` and the weighted mean is taken here, so that
    an integer weight acts like repeating the sample. A weight of ``None``
    (all samples alike) takes the plain mean.

    Gradients are clipped right after ``backward`` rather than through skorch's
    ``GradientNormClipping`` callback, which walks every named parameter on
    each batch and cost about as much as the clipping itself on small models.

    A training epoch runs the same steps, events and history records as
    skorch's own loop, with less of skorch's generic machinery per batch: the
    batches are already tensors on the net's device (no ``to_tensor`` walk),
    and each event reaches only the callbacks that handle it.
    """

    def __init__(self, *args, clip_grad_norm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_grad_norm = clip_grad_norm

    def initialize(self):
        super().initialize()
        # A learning-rate scheduler among the callbacks holds the optimizer
        # (and its state tensors): pickled apart from it, a net trained on
        # CUDA would not unpickle on a CPU. skorch maps the attributes named
        # here (prefixes: the callbacks given and initialized) to the
        # available device together, references kept.
        if "callbacks" not in self.cuda_dependent_attributes_:
            self.cuda_dependent_attributes_ = [
                *self.cuda_dependent_attributes_,
                "callbacks",
            ]
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
        loss = self.criterion_(y_pred, target)
        if weight is None:
            return loss.mean()
        if loss.ndim > 1:
            loss = loss.mean(dim=tuple(range(1, loss.ndim)))
        # A batch whose weights are all zero contributes nothing (not 0/0).
        return (loss * weight).sum() / weight.sum().clamp_min(1e-12)

    def _set_training(self, training=True):
        # skorch calls this on every batch; setting every submodule to a mode
        # it already has walks the whole module tree. Reading the flags is
        # cheaper.
        modules = (*self.module_.modules(), *self.criterion_.modules())
        if all(m.training is training for m in modules):
            return
        super()._set_training(training)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.module_(**Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        if self.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(
                self.module_.parameters(), self.clip_grad_norm
            )
        return {"loss": loss, "y_pred": y_pred}

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop notifies every callback of three events per batch and
        # goes through several generic helpers, a visible share of the time of
        # a small model's batch (benchmarks/bench_fit_predict.py compares the
        # epoch with a plain PyTorch loop). Validation and any other step
        # function keep skorch's loop.
        if not training or iterator is None or step_fn != self.train_step:
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        begin = _listeners(self, "on_batch_begin")
        grad = _listeners(self, "on_grad_computed")
        end = _listeners(self, "on_batch_end")
        history = self.history
        count = 0
        for batch in iterator:
            # The net's own on_batch_begin.
            history.new_batch()
            for handler in begin:
                handler(self, batch=batch, training=True)
            step = self._train_batch(batch, grad, fit_params)
            history.record_batch(prefix + "_loss", step["loss"].item())
            history.record_batch(prefix + "_batch_size", len(batch[0]["lengths"]))
            for handler in end:
                handler(self, batch=batch, training=True, **step)
            count += 1
        history.record(prefix + "_batch_count", count)

    def _train_batch(self, batch, grad_listeners, fit_params) -> dict:
        """One optimizer step on ``batch``, as skorch's ``train_step``.

        The optimizer gets a closure (LBFGS calls it more than once); the
        step returned is that of its first call.
        """
        steps = []

        def closure():
            self._zero_grad_optimizer()
            step = self.train_step_single(batch, **fit_params)
            steps.append(step)
            for handler in grad_listeners:
                handler(
                    self,
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch,
                    training=True,
                )
            return step["loss"]

        self._step_optimizer(closure)
        return steps[0]


class _RecordLR(Callback):
    """Record the learning rate each epoch starts with, as ``lr``."""

    def on_epoch_begin(self, net, **kwargs):
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])


class _ValidScore(Callback):
    """Record ``valid_score`` from the predictions of the validation pass.

    skorch computes those predictions for the validation loss already; this
    scores them instead of running the network over the validation data again.
    """

    def __init__(self, score):
        self.score = score

    def on_epoch_begin(self, net, **kwargs):
        self.outputs_, self.targets_ = [], []

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        if not training and y_pred is not None:
            self.outputs_.append(y_pred.detach())
            self.targets_.append(batch[1][0])

    def on_epoch_end(self, net, **kwargs):
        if self.outputs_:
            score = self.score(torch.cat(self.outputs_), torch.cat(self.targets_))
            net.history.record("valid_score", float(score))
        # No tensors stay behind in a fitted (and pickled) net.
        self.outputs_, self.targets_ = [], []


class _QuietPrintLog(PrintLog):
    """skorch's per-epoch table, not even formatted when nothing prints it.

    skorch's ``PrintLog`` builds the table with tabulate at every epoch and
    only then asks whether to print it, which costs as much as a whole epoch
    of a small model on a few dozen sequences.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.verbose or self.sink is not print:
            super().on_epoch_end(net, **kwargs)

    def format_row(self, row, key, color):
        # skorch colours the best values with ANSI codes: on a terminal only,
        # not in a log file or a pipe.
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not _colour_sink(self.sink):
            text = _ANSI_CODE.sub("", text)
        return text


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _colour_sink(sink) -> bool:
    """Whether ``sink`` prints to a terminal (``print`` to a tty stdout)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return sink is print and isatty is not None and isatty()
