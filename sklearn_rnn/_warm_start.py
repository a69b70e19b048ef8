# SPDX-License-Identifier: BSD-3-Clause
"""Training on from a fitted net: ``warm_start``, ``partial_fit``, and rollback.

A warm start (or a ``partial_fit`` after the first) trains the fitted skorch
net in place with the current training settings; a fit that fails leaves the
estimator as it was.
"""

from __future__ import annotations

from contextlib import contextmanager

from ._training import (
    move_net,
    optimizer_class,
    optimizer_settings,
    snapshot_net,
    switch_optimizer,
)

__all__ = ["_WarmStartMixin"]

# Entries of ``_fitted_architecture`` that are settings of the training net
# rather than arguments of the module: each fit sets them anew.
NET_SETTINGS = ("batch_size", "holds_out")


class _WarmStartMixin:
    """Continuing the fitted ``net_`` of a network estimator."""

    @contextmanager
    def _restore_on_error(self):
        """Leave the estimator exactly as it was when ``fit`` raises.

        Validation sets fitted attributes as it goes, and a warm start trains
        the fitted net in place: a fit refused late (a warm start on data of
        another shape) or failing during training (a callback that raises,
        memory running out) must not leave a half-updated model behind. The
        net's weights, optimizer state and history are put back too.
        """
        state = dict(vars(self))
        restore_net = snapshot_net(self.net_) if self._is_warm() else None
        try:
            yield
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            if restore_net is not None:
                restore_net()
            raise

    def _is_warm(self) -> bool:
        """Whether this fit trains on from the fitted net."""
        return hasattr(self, "net_") and (bool(self.warm_start) or self._one_pass())

    def _one_pass(self) -> bool:
        """Whether this is a ``partial_fit``: one epoch, nothing held out."""
        return getattr(self, "_partial_fit_running", False)

    @contextmanager
    def _partial_fit_call(self):
        """Mark the fit within as a ``partial_fit``."""
        self._partial_fit_running = True
        try:
            yield
        finally:
            del self._partial_fit_running

    def _epochs(self) -> int:
        return 1 if self._one_pass() else self.max_epochs

    def _continue_net(self, architecture, device, callbacks) -> None:
        """Apply the training settings changed since the last fit to ``net_``.

        As in scikit-learn's warm starts, the weights carry over and the
        current parameters (optimizer, learning rate, device, ...) apply.
        """
        net = self.net_
        optimizer = optimizer_class(self.optimizer)
        if optimizer is not net.optimizer:
            switch_optimizer(
                net, optimizer, optimizer_settings(self.optimizer, self._weight_decay())
            )
        move_net(net, device)
        # Set weight_decay wherever the optimizer has one, so that a return
        # to 0 applies too.
        if "weight_decay" in net.optimizer_.defaults:
            decay = {"optimizer__weight_decay": self._weight_decay()}
        else:
            decay = optimizer_settings(self.optimizer, self._weight_decay())
        net.set_params(
            lr=self.lr,
            **decay,
            batch_size=architecture["batch_size"],
            max_epochs=self._epochs(),
            verbose=self.verbose,
        )
        net.clip_grad_norm = self.clip_grad_norm
        # The loss may depend on whether data is held out this time.
        net.criterion = self._criterion(architecture["holds_out"])
        net.initialize_criterion()
        self._fitted_architecture = {
            **self._fitted_architecture,
            **{key: architecture[key] for key in NET_SETTINGS},
        }
        net.callbacks = callbacks
        net.initialize_callbacks()
        self._continue_settings(architecture)
