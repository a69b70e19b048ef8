# SPDX-License-Identifier: BSD-3-Clause
"""The file itself: header, versions, content digest, atomic write, reading.

A file is a safetensors file whose metadata header holds the format name,
the format version, the versions that wrote it, the JSON description of the
estimator, and a SHA-256 digest of the description and of every tensor.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings

import numpy as np
import torch

#: Version of the file layout written by ``save``; ``load`` reads this version
#: only. It changes when a file written now would be misread.
FORMAT_VERSION = 2
_FORMAT = "sklearn_rnn"


def safetensors():
    """Return the safetensors package, or say how to install it."""
    try:
        import safetensors
        import safetensors.torch
    except ImportError as exc:
        raise ImportError(
            "Saving and loading models needs the safetensors package: "
            "pip install safetensors"
        ) from exc
    return safetensors


def library_version() -> str:
    # Imported here: the package imports this module while it initializes.
    import sklearn_rnn

    return sklearn_rnn.__version__


def _environment() -> dict:
    import sklearn
    import skorch

    return {
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors().__version__,
    }


def _update(digest, data) -> None:
    # Each part with its length, so that no two contents hash the same parts.
    data = memoryview(data).cast("B")
    digest.update(len(data).to_bytes(8, "little"))
    digest.update(data)


def content_digest(description: str, tensors: dict) -> str:
    """Return the SHA-256 digest of a description and tensors, as ``sha256:...``.

    The tensors enter in the order of their names, each with its name, dtype
    and shape, so the digest does not depend on the file's layout.
    """
    digest = hashlib.sha256()
    _update(digest, description.encode("utf-8"))
    for key in sorted(tensors):
        tensor = tensors[key]
        header = json.dumps([key, str(tensor.dtype), list(tensor.shape)])
        _update(digest, header.encode("utf-8"))
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        # An empty tensor has no bytes (and no stride torch can view as bytes).
        _update(digest, flat.view(torch.uint8).numpy() if flat.numel() else b"")
    return f"sha256:{digest.hexdigest()}"


def write(path, description: str, tensors: dict) -> None:
    """Write the file next to ``path``, then move it into place."""
    metadata = {
        "format": _FORMAT,
        "format_version": str(FORMAT_VERSION),
        "sklearn_rnn_version": library_version(),
        "environment": json.dumps(_environment()),
        "estimator": description,
        "digest": content_digest(description, tensors),
    }
    save_file = safetensors().torch.save_file
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_rnn-", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read(path) -> tuple[str, dict]:
    """Return the estimator description and the tensors of a checked file.

    Raises
    ------
    ValueError
        If ``path`` is a directory, not a readable safetensors file, not
        written by ``save``, of another format version, or if its content
        does not match its digest.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(
            f"{path!r} is a directory, not a sklearn_rnn model file: pass the "
            "path of the file that save wrote."
        )
    module = safetensors()
    try:
        with module.safe_open(path, framework="pt") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}
    except module.SafetensorError as exc:
        raise ValueError(
            f"{path!r} is not a sklearn_rnn model file: it is not a readable "
            f"safetensors file (truncated, corrupted or another format): {exc}"
        ) from exc
    if metadata.get("format") != _FORMAT:
        raise ValueError(
            f"{path!r} is not a sklearn_rnn model file: a safetensors file "
            "without the sklearn_rnn metadata (not written by "
            "sklearn_rnn.persistence.save)."
        )
    _check_version(path, metadata)
    description = metadata.get("estimator")
    if type(description) is not str or metadata.get("digest") != content_digest(
        description, tensors
    ):
        raise ValueError(
            f"{path!r}: the file's content does not match its digest: it was "
            "edited or corrupted after it was saved."
        )
    written_by = metadata.get("sklearn_rnn_version", "an unknown version")
    if written_by != library_version():
        warnings.warn(
            f"{path!r} was written by sklearn_rnn {written_by}; this is "
            f"sklearn_rnn {library_version()}. Check its predictions.",
            UserWarning,
            stacklevel=3,
        )
    return description, tensors


def _check_version(path: str, metadata: dict) -> None:
    version = metadata.get("format_version")
    if version == str(FORMAT_VERSION):
        return
    written_by = metadata.get("sklearn_rnn_version", "an unknown version")
    raise ValueError(
        f"{path!r} was written with file format version {version!r} (by "
        f"sklearn_rnn {written_by}); this version of sklearn_rnn "
        f"({library_version()}) reads format version {FORMAT_VERSION} only. "
        "Load it with the sklearn_rnn version that wrote it, or refit the "
        "model with this version and re-save it with save()."
    )


def parse(path, description: str):
    """Return the JSON payload of a description, refusing NaN and the like."""

    def reject_constant(name):
        raise ValueError(f"invalid JSON constant {name}")

    try:
        payload = json.loads(description, parse_constant=reject_constant)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(
            f"{os.fspath(path)!r} has an unreadable estimator description: {exc}"
        ) from exc
    if type(payload) is not dict or set(payload) != {"__estimator__"}:
        raise ValueError(f"{os.fspath(path)!r} does not describe an estimator.")
    return payload
