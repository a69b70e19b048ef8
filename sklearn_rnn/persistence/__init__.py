# SPDX-License-Identifier: BSD-3-Clause
"""Saving and loading fitted estimators without pickle.

:func:`save` writes one `safetensors <https://huggingface.co/docs/safetensors>`_
file: the network weights (and every numeric array) are its tensors, and a
JSON description of the estimator (class, constructor parameters, fitted
attributes, per-epoch training history) sits in the file's metadata header,
with a SHA-256 digest of the whole content. :func:`load` reads it back
without unpickling anything: classes and functions are named in the file,
looked up in an allow-list, and imported only when the caller trusts them
(:func:`get_untrusted_types` lists those a file would import).

A file that does not match what it claims (edited, truncated, another format,
another format version) raises a ``ValueError`` that names the problem.
"""

from __future__ import annotations

import json

from sklearn.base import BaseEstimator

# Each of these modules adds the types it stores to the encoders and decoders.
from . import _arrays, _estimators, _objects, _pandas  # noqa: F401
from ._codec import Reader, Writer
from ._file import FORMAT_VERSION, parse, read, write
from ._network import load_optimizer as _load_optimizer  # noqa: F401
from ._objects import untrusted_error, untrusted_names

__all__ = ["FORMAT_VERSION", "get_untrusted_types", "load", "save"]


def save(estimator, path, *, include_optimizer: bool = True) -> None:
    """Save a fitted (or unfitted) estimator to a file, without pickle.

    The file is a single `safetensors` file: the network weights and numeric
    arrays are its tensors; the class, constructor parameters, fitted
    attributes and training history are JSON in its metadata header, with
    the format version, the versions of sklearn_rnn, scikit-learn, torch,
    skorch and numpy that wrote it, and a SHA-256 digest of the content.
    :func:`load` reads it back.

    Parameters
    ----------
    estimator : estimator
        Any scikit-learn estimator. The estimators of sklearn_rnn, a
        ``Pipeline`` and scikit-learn's ``StandardScaler``, ``MinMaxScaler``,
        ``MaxAbsScaler`` and ``RobustScaler`` load as they are; any other
        class or function in the file (a ``GridSearchCV``, a
        ``FunctionTransformer`` and its ``func``, a custom ``tokenizer``) is
        stored by its name and loads only when trusted (see :func:`load`).
    path : str or os.PathLike
        Where to write. The file is written next to it first and then moved
        into place, so an interrupted save leaves any previous file intact.
    include_optimizer : bool, default=True
        Whether to store the optimizer state (for Adam, two tensors the size
        of the weights), so that a ``warm_start`` fit of the loaded estimator
        continues exactly as the original would. Without it the file is
        smaller and the loaded optimizer starts afresh.

    Raises
    ------
    TypeError
        If a parameter or a fitted attribute cannot be stored as data: a
        lambda or a function defined inside another function (it could not
        be found again by its name), an object that pickles in its own way,
        skorch ``callbacks``, a pandas object (pass a list or array instead).
        The message names the value.
    ValueError
        If a ``Pipeline`` has a ``memory`` (set ``memory=None``: a cache is
        used during fit only), or a fixed-width string array is padded far
        beyond its longest value (more than 64 MiB in all).

    See Also
    --------
    load : Read the file back.
    get_untrusted_types : The names a file would import on load.

    Notes
    -----
    Classes and functions are stored by their module and qualified name
    (``"mymodule.my_tokenizer"``), never as code: loading them needs the same
    module on the loading side, and the caller's trust. An object that is
    not an estimator is stored as its class name and its ``__dict__``, the
    state pickle would store for it; one that pickles in its own way (with
    ``__reduce__``, ``__getstate__`` or ``__slots__``) is refused. skorch
    ``callbacks`` are used during ``fit`` only: set ``callbacks=None`` before
    saving.

    The per-epoch history of ``net_`` is kept, so ``n_iter_``, ``history_``
    and ``warm_start`` continue as they would on the original. The per-batch
    records of each epoch (``net_.history[i]["batches"]``) are not stored, so
    that long trainings do not outgrow the file's header: they load as empty
    lists. Metadata requests set with ``set_fit_request`` and the like are
    kept.

    A :class:`~sklearn_rnn.SequenceForecaster` keeps the end of each training
    series and its time index: pandas time stamps (with their unit and time
    zone), periods and frequencies are stored as text (a frequency by its
    alias, such as ``"h"`` or ``"W-SUN"``) and read back with pandas' own
    parsers. A frequency without an alias that reads back as itself (a
    ``CustomBusinessDay`` with holidays) is refused with a ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> from tempfile import TemporaryDirectory
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn.persistence import load, save
    >>> X = np.random.RandomState(0).normal(size=(20, 5, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> with TemporaryDirectory() as tmp:
    ...     save(clf, f"{tmp}/model.safetensors")
    ...     loaded = load(f"{tmp}/model.safetensors")
    >>> bool((loaded.predict(X) == clf.predict(X)).all())
    True
    """
    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            f"save expects a scikit-learn estimator, got {type(estimator).__name__}."
        )
    writer = Writer(include_optimizer)
    payload = writer.encode(estimator, "")
    description = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    write(path, description, writer.tensors)


def load(path, *, device=None, trusted=None):
    """Load an estimator saved by :func:`save`, without pickle.

    Nothing in the file is executed: weights are read by safetensors, the
    content is checked against its digest, classes and functions are looked
    up in an allow-list (the estimators of sklearn_rnn, ``Pipeline``,
    scikit-learn's scalers, the optimizers of ``torch.optim``,
    ``str.split``), and the network is rebuilt from its saved architecture.
    Any other name in the file is refused unless listed in ``trusted``;
    nothing is imported before that check.

    Parameters
    ----------
    path : str or os.PathLike
        The file written by :func:`save`.
    device : str, torch.device or None, default=None
        If given, replaces the ``device`` parameter of every network in the
        file, for instance ``"cpu"`` to load on a machine without the GPU the
        model was trained on.
    trusted : list of str or None, default=None
        Names of classes and functions outside the allow-list that the file
        may import, as :func:`get_untrusted_types` lists them: module and
        qualified name, such as ``"mymodule.my_tokenizer"``. Pass only names
        you have reviewed: importing a module runs its code, and a trusted
        class is called with parameters read from the file.

    Returns
    -------
    estimator : estimator
        The estimator, with the parameters, fitted attributes, weights,
        training history and (if saved) optimizer state of the original.

    Raises
    ------
    ValueError
        If the path is a directory, the file is not a safetensors file, is
        truncated, was not written by :func:`save`, has another format
        version, does not match its digest, names a class or function that
        is neither allowed nor trusted (the message lists them), or does not
        match what it describes (invalid parameters, missing or inconsistent
        fitted attributes, weights of the wrong shape or dtype, stray
        tensors).

    See Also
    --------
    save : Write the file.
    get_untrusted_types : The names to review before passing ``trusted``.

    Notes
    -----
    A file written by another version of sklearn_rnn loads when its format
    version is the same, with a ``UserWarning``; parameters added to the
    estimators since then take their default values.

    The digest catches a file damaged or edited by mistake; it is no
    signature (whoever edits a file can write a new digest). Parameters and
    fitted attributes are checked as the estimators' constructors and
    ``fit`` would check them; a ``TextTokenizer``'s ``token_pattern`` is
    checked to compile, but a pattern that backtracks for a long time on
    some texts (such as ``"(a+)+$"``) is not detected: review the parameters
    of a file from a source you do not trust.

    Examples
    --------
    >>> from tempfile import TemporaryDirectory
    >>> from sklearn_rnn import TextTokenizer
    >>> from sklearn_rnn.persistence import load, save
    >>> tok = TextTokenizer().fit(["the cat sat", "the dog"])
    >>> with TemporaryDirectory() as tmp:
    ...     save(tok, f"{tmp}/tokenizer.safetensors")
    ...     load(f"{tmp}/tokenizer.safetensors").transform(["the dog sat"])
    array([[2, 4, 5]])
    """
    trusted = _trusted_names(trusted)
    description, tensors = read(path)
    payload = parse(path, description)
    refused = untrusted_names(payload, trusted)
    if refused:
        raise untrusted_error(str(path), refused)
    reader = Reader(tensors, device, trusted)
    try:
        estimator = reader.decode(payload, "")
    except RecursionError as exc:
        raise ValueError(f"{str(path)!r} is nested too deeply.") from exc
    unused = sorted(set(tensors) - reader.used)
    if unused:
        raise ValueError(
            f"{str(path)!r} holds tensors its description does not use: {unused[:5]}."
        )
    return estimator


def get_untrusted_types(path) -> list[str]:
    """List the classes and functions a file would import when loaded.

    These are the names outside the allow-list of :func:`load`; review them
    and pass those you trust as ``load(path, trusted=[...])``. Nothing is
    imported.

    Parameters
    ----------
    path : str or os.PathLike
        The file written by :func:`save`.

    Returns
    -------
    names : list of str
        Module and qualified names, sorted; empty when the file loads
        without ``trusted``.

    Raises
    ------
    ValueError
        If the file cannot be read (see :func:`load`).

    See Also
    --------
    load : Load the file, with ``trusted`` names.

    Examples
    --------
    >>> from tempfile import TemporaryDirectory
    >>> import numpy as np
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_rnn.persistence import get_untrusted_types, load, save
    >>> with TemporaryDirectory() as tmp:
    ...     save(FunctionTransformer(func=np.log1p), f"{tmp}/log.safetensors")
    ...     names = get_untrusted_types(f"{tmp}/log.safetensors")
    ...     loaded = load(f"{tmp}/log.safetensors", trusted=names)
    >>> names
    ['numpy.log1p', 'sklearn.preprocessing._function_transformer.FunctionTransformer']
    >>> loaded.func is np.log1p
    True
    """
    description, _ = read(path)
    return [name for _, name in untrusted_names(parse(path, description))]


def _trusted_names(trusted) -> frozenset:
    if trusted is None:
        return frozenset()
    if isinstance(trusted, str) or not all(type(n) is str for n in trusted):
        raise TypeError(
            "trusted must be a list of names (str), such as those "
            f"get_untrusted_types returns; got {trusted!r}."
        )
    return frozenset(trusted)
