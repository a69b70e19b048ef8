# SPDX-License-Identifier: BSD-3-Clause
"""Parameter documentation shared by the estimators' docstrings."""

_RECURRENT_DOC = """\
    cell : {"rnn", "rnn_relu", "lstm", "gru"}, default="lstm"
        Recurrent cell: a simple RNN with tanh or ReLU, an LSTM or a GRU.
        The LSTM is the default because torch runs it through oneDNN's fused
        kernel on the CPU, where a GRU of the same width trains more slowly
        (``benchmarks/bench_fit_predict.py`` times both; on a GPU both use
        cuDNN); the two scored alike on the examples.

    hidden_size : int{auto}, default={hidden_default}
        Hidden units per direction and layer.{hidden_why}

    num_layers : int, default=1
        Number of stacked recurrent layers.

    bidirectional : bool, default=False
        Whether each layer also reads the sequences backwards. Each sequence is
        reversed within its own length, so padding never reaches a valid step.

    dropout : float{auto}, default={dropout_default}
        Dropout rate between recurrent layers and before the head.{dropout_why}
"""

_POOLING_DOC = """\
    pooling : {"last", "mean", "max", "attention"}{auto}, default="{default}"
        How per-step outputs become one vector per sequence: the output at the
        last valid step (both directions' final states when bidirectional),
        the mean or maximum over the valid steps, or their mean weighted by a
        learned score of each step (softmax over the valid steps).{why}
"""

_HEAD_DOC = """\
    head_hidden_sizes : tuple of int, default=()
        Hidden layers of a ReLU MLP between the pooled vector and the output
        layer. Empty means a single linear output layer.

    projection_size : int or None, default=None
        If set, a linear layer with ReLU maps each time step's features to this
        size before the recurrent stack.
"""

_FRONT_END_DOC = """\
    conv_layers : int or "auto", default="auto"
        Number of convolution blocks ahead of the recurrent layers: each is a
        1-D convolution (kernel 5, stride 2, ``hidden_size`` channels) and a
        ReLU, and halves the number of steps the recurrent layers read.
        Padding stays out of every valid step. "auto" adds blocks until the
        median training sequence is at most 64 steps long (none for shorter
        sequences, nor for token ids), so long series train in seconds rather
        than minutes.

    conv_branch : bool or "auto", default=False
        Whether a fully convolutional branch (as in LSTM-FCN: three
        convolutions of kernels 7, 5 and 3 with ``hidden_size // 2``,
        ``hidden_size`` and ``hidden_size // 2`` channels, batch
        normalization and ReLU, then the mean over the valid steps) reads the
        standardized inputs beside the recurrent layers; its features join
        the pooled recurrent ones before the output layer. Its first
        convolution strides by the smallest power of 2 that leaves the
        longest training sequence at most 512 steps. "auto" adds it with the
        convolution blocks (long numeric sequences), never for token ids.
        Off by default: on the benchmark suite it lifted OSULeaf (0.91
        against 0.76, with ``lr=0.001``) but lowered the ragged PLAID and
        the short series (README, "Why these defaults").

    input_norm : {"sequence", "global", "auto"} or None, default="auto"
        Standardization of numeric inputs inside the network (so it travels
        with saving and ONNX export). "global": each feature by its mean and
        standard deviation over the valid training steps. "sequence": that,
        then each feature of each sequence over its own valid steps, with
        that sequence's mean and log standard deviation of the feature given
        to the network as two more features, so level and scale are not
        lost. None leaves inputs as they are. "auto" is "sequence" when the
        network has convolution blocks (long sequences), else "global".
        Token ids are never scaled.
"""

_TOKEN_DOC = """\
    token_ids : "auto" or bool, default="auto"
        Whether ``X`` holds integer token ids (for instance from
        :class:`~sklearn_rnn.TextTokenizer`) that go through an embedding
        layer. "auto" reads as token ids what ``TextTokenizer`` returns: a
        2-D integer NumPy array, or a list of 1-D integer arrays; integer
        DataFrames and sequences of several integer features are numbers.
        Set False to read a 2-D integer array as numbers, True to read any
        input as ids.
        Id 0 is padding and marks the end of each sequence; id 1 is the
        out-of-vocabulary id, which ids above those seen in ``fit`` map to.
        Ids in ``fit`` must be below 10,000,000 (the rows of the embedding
        table); larger integers are refused, as they are usually numbers.

    embedding_dim : int, default=64
        Size of the token embedding vectors.

    pretrained_embeddings : array-like of shape (vocab_size, dim), default=None
        Initial embedding vectors, row ``i`` for token id ``i`` (for instance
        word vectors a user has loaded). Needs token id input
        (``token_ids=True`` or "auto"); sets the vocabulary size and
        ``embedding_dim``.

    freeze_embeddings : bool, default=False
        Whether the embedding vectors stay fixed during training. A warm
        start may change it (train vectors first frozen, say).
"""

_WEIGHT_DECAY_DOC = """\
    weight_decay : float, default=0.0
        Weight decay (L2 penalty) passed to the optimizer.
"""

_FORECASTER_WEIGHT_DECAY_DOC = """\
    weight_decay : float or "auto", default="auto"
        Weight decay (L2 penalty) passed to the optimizer. "auto" is 0.01
        with ``normalize_="seasonal"`` (it shrinks the network's correction
        towards the seasonal forecast it is added to) and 0 otherwise.
"""

_OPTIMIZER_DOC = """\
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, \
default="adam"
        Optimizer, by name or as a ``torch.optim.Optimizer`` subclass.

    lr : float, default=0.005
        Learning rate.

{weight_decay}
    lr_schedule : {"plateau", "cosine", "onecycle"} or None, \
default={schedule}
        Learning-rate schedule, through skorch's ``LRScheduler``: "plateau"
        halves the rate when the monitored loss has not improved by ``tol``
        for more than half the stopping patience (see ``n_iter_no_change``);
        "cosine" anneals it to zero over ``max_epochs``; "onecycle" warms up
        to ``lr`` then anneals, stepping every batch. None keeps ``lr``
        constant. Each call to ``fit`` runs a whole schedule, with
        ``warm_start`` too.
"""

_BUDGET_DOC = """\
    batch_size : int or "auto", default="auto"
        Samples per mini-batch, for training and prediction. "auto" takes a
        tenth of the training samples, at least 8 and at most 32, so that
        small data sets still take several optimizer steps per epoch.

    max_epochs : int, default=200
        Maximum number of passes over the training data. Reaching it before
        the stopping rule (``n_iter_no_change``, ``tol``) is met raises a
        ``ConvergenceWarning``, except with the cosine and one-cycle
        schedules. Raising it never shortens training.

    early_stopping : bool or "auto", default="auto"
        Whether to hold out ``validation_fraction`` of the training data, stop
        when the validation loss stops improving and restore the best weights.
        When False, training stops once the training loss stops improving.
        "auto" holds out data from 1,000 training samples on.

    validation_fraction : float, default=0.1
        Share of the training data held out when early stopping is on.

    n_iter_no_change : int or "auto", default="auto"
        Epochs without an improvement of at least ``tol`` before stopping.
        "auto" waits 10 epochs, and more when epochs are short: as many as
        make 200 optimizer steps, so that a small data set (a few batches per
        epoch) is not stopped on the first plateau of its loss.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss that counts as an improvement.
"""

_FIXED_BUDGET_DOC = """\
    batch_size : int, default=32
        Samples per mini-batch, for training and prediction.

    max_epochs : int, default=100
        Maximum number of passes over the training data. Reaching it before
        the stopping rule (``n_iter_no_change``, ``tol``) is met raises a
        ``ConvergenceWarning``, except with the cosine and one-cycle
        schedules.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data, stop
        when the validation loss stops improving and restore the best weights.
        When False, training stops once the training loss stops improving.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``:
        the latest windows of each series. The ``horizon_ - 1`` windows just
        before them train nothing, as their targets reach into the held-out
        ones (with ``multi_output_``; else no window is left out).

    n_iter_no_change : int, default=10
        Epochs without an improvement of at least ``tol`` before stopping.

    tol : float, default=1e-4
        Smallest decrease of the monitored loss that counts as an improvement.
"""

_RUNTIME_DOC = """\
    clip_grad_norm : float or None, default=1.0
        Maximum norm of the gradients, clipped before each step to guard
        against exploding gradients. None turns clipping off.

    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        Where to train and predict; "auto" takes CUDA when it is available.
        Any ``torch.device`` string such as "cuda:1" works too.

    n_threads : int or None, default=None
        Number of torch threads while this estimator fits and predicts; the
        previous count comes back afterwards. None keeps torch's count, capped
        by ``OMP_NUM_THREADS`` when it is set and, inside a Dask worker, by the
        CPU cores per worker thread. In ``GridSearchCV(n_jobs=k)`` each loky
        worker thus trains with ``cpu_count() // k`` threads, and each Dask
        worker process with 1. Set it where nothing else limits threads
        (joblib's threading or multiprocessing backends, Dask with
        ``processes=False`` and several workers), or to take more than the
        worker's share. Small networks often train fastest with 1.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. An int gives identical fits on CPU; the caller's global torch
        random state is left untouched.

    verbose : int, default=0
        0 prints nothing. 1 shows a progress bar over each epoch's batches (on
        stderr) and a table with one row per epoch (on stdout): training loss,
        validation loss and score with ``early_stopping``, learning rate and
        duration.

    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances, or ``(name, callback)`` pairs) for
        the training loop, such as ``skorch.callbacks.Checkpoint``. They are
        deep-copied in ``fit`` (as ``clone`` would), so the objects passed here
        stay untouched: read their state from ``net_.callbacks_``. Batches
        carry ``(target, sample_weight)`` as ``y`` and the network returns raw
        outputs, so skorch's ``EpochScoring`` and ``BatchScoring`` do not
        apply; ``history_`` has the validation score as ``valid_score``.

    warm_start : bool, default=False
        When True, ``fit`` continues training the current weights instead of
        starting from new ones.
"""

_SEQUENCE_POOLING_WHY = """
        "auto" takes "max" for token ids and when the network has convolution
        blocks (``conv_layers``, for long sequences), else "last": each scored
        better on that kind of data (see "How well the defaults learn" in
        the README)."""

_SEQUENCE_TEXT_WHY = {
    "hidden_why": """ "auto" is 128 for token ids
        (texts) and 64 for numeric sequences.""",
    "dropout_why": """
        "auto" is 0.3 for token ids and 0 for numeric sequences. Wider and
        with dropout, the classifier tied TF-IDF with logistic regression on
        the SMS messages of the benchmark suite (README, "How well the
        defaults learn").""",
}


def _fill(doc: str, values: dict) -> str:
    for key, value in values.items():
        doc = doc.replace("{" + key + "}", value)
    return doc


# The sequence estimators (classifier, regressor).
_ARCHITECTURE_DOC = (
    _fill(
        _RECURRENT_DOC,
        {
            "auto": ' or "auto"',
            "hidden_default": '"auto"',
            "dropout_default": '"auto"',
            **_SEQUENCE_TEXT_WHY,
        },
    )
    + "\n"
    + _fill(
        _POOLING_DOC,
        {"default": "auto", "why": _SEQUENCE_POOLING_WHY, "auto": ' or "auto"'},
    )
    + "\n"
    + _HEAD_DOC
    + "\n"
    + _FRONT_END_DOC
    + "\n"
    + _TOKEN_DOC
)
_TRAINING_DOC = (
    _fill(_OPTIMIZER_DOC, {"schedule": '"plateau"', "weight_decay": _WEIGHT_DECAY_DOC})
    + "\n"
    + _BUDGET_DOC
    + "\n"
    + _RUNTIME_DOC
)

# The forecaster: no token ids or front-end, fixed training settings.
_FORECASTER_ARCHITECTURE_DOC = (
    _fill(
        _RECURRENT_DOC,
        {
            "auto": "",
            "hidden_default": "64",
            "dropout_default": "0.0",
            "hidden_why": "",
            "dropout_why": "",
        },
    )
    + "\n"
    + _fill(_POOLING_DOC, {"default": "last", "why": "", "auto": ""})
    + "\n"
    + _HEAD_DOC
)
_FORECASTER_TRAINING_DOC = (
    _fill(
        _OPTIMIZER_DOC,
        {"schedule": "None", "weight_decay": _FORECASTER_WEIGHT_DECAY_DOC},
    )
    + "\n"
    + _FIXED_BUDGET_DOC
    + "\n"
    + _RUNTIME_DOC
)

_ATTRIBUTES_DOC = """\
    n_features_in_ : int
        Number of features per time step for 3-D and variable-length input.
        For 2-D input, where each row is one univariate sequence, the number
        of columns (time steps), as in scikit-learn: 2-D input at ``predict``
        must then have the same number of columns.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of a 2-D DataFrame seen in ``fit``. Defined only
        when those columns are all strings.

    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the per-epoch training log.

    vocab_size_ : int
        Number of embedding rows (largest id seen in ``fit`` plus one, or the
        rows of ``pretrained_embeddings``). Only with token id input.

    n_iter_ : int
        Number of epochs trained, over all calls to ``fit`` with
        ``warm_start=True``.

    history_ : pandas.DataFrame
        One row per epoch: ``epoch``, ``train_loss``, ``valid_loss`` and
        ``valid_score`` (with ``early_stopping``), ``lr`` (at the start of the
        epoch) and ``dur`` (seconds).

    best_epoch_ : int
        The last epoch that improved the monitored loss (the validation loss
        with ``early_stopping``, else the training loss) by at least ``tol``.
        With ``early_stopping`` the model holds that epoch's weights.
"""

_INPUT_NOTES = """\
    ``X`` can be a 3-D array ``(n_samples, n_timesteps, n_features)``; a 2-D
    array or DataFrame ``(n_samples, n_timesteps)``, each row one univariate
    sequence (not a feature vector); or variable-length data, either a list of
    ``(n_timesteps_i, n_features)`` arrays or a 3-D array padded with trailing
    all-NaN time steps. NaN anywhere else is an error. Sequence length may
    differ between ``fit`` and ``predict``. Numeric features need no scaling
    beforehand: the network standardizes them itself (``input_norm``).

    Long sequences go through strided convolutions before the recurrent
    layers (``conv_layers="auto"``: none up to 64 steps). Small data sets
    train without held-out data, with a patience of at least 200 optimizer
    steps; from 1,000 samples on, ``validation_fraction`` is held out to stop
    on the validation loss and restore the best weights.
"""
