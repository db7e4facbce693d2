"""Where LCR rows come from: local ``.jsonl`` files and folders, and Hub dataset repos.

A data entry is a local path unless it is written explicitly as a Hub dataset repo,
``hf://datasets/owner/name`` (optionally ``@revision``). A mistyped local path is therefore
reported as a missing file (with a suggestion when a similar one exists), never sent to
the Hub.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..constants import HUB_DATASET_PREFIX
from ..errors import DataError

__all__ = ["parse_hub_dataset", "resolve_data_files"]

#: ``owner/name``: the repo id of a Hub dataset (as after ``hf://datasets/``).
_HUB_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
#: How many entries of a folder are compared with a mistyped name (a huge folder is not listed).
_MAX_SUGGESTION_ENTRIES = 10_000
_JSONL_GLOB = "*.jsonl"
_HUB_FORM = f"{HUB_DATASET_PREFIX}owner/name[@revision]"


def parse_hub_dataset(entry: str | os.PathLike) -> tuple[str, str | None] | None:
    """Split a ``hf://datasets/owner/name[@revision]`` data entry into ``(repo_id, revision)``.

    Args:
        entry: One data entry, as given on the command line.

    Returns:
        ``(repo_id, revision)`` (``revision`` None when the entry names none), or None
        when the entry is not a Hub dataset reference (i.e. it is a local path).

    Raises:
        DataError: The entry starts with ``hf://datasets/`` but names no ``owner/name`` repo.

    Example:
        ```py
        >>> parse_hub_dataset("hf://datasets/my-org/lcr-rows@v1.0")
        ('my-org/lcr-rows', 'v1.0')
        >>> parse_hub_dataset("hf://datasets/my-org/lcr-rows")
        ('my-org/lcr-rows', None)
        >>> parse_hub_dataset("my-org/lcr-rows") is None  # a local path
        True

        ```
    """
    text = os.fspath(entry)
    if not isinstance(text, str) or not text.startswith(HUB_DATASET_PREFIX):
        return None
    repo_id, at, revision = text[len(HUB_DATASET_PREFIX):].partition("@")
    if not _HUB_REPO_ID.match(repo_id) or (at and not revision):
        raise DataError(
            f"{text!r} is not a Hub dataset reference. Fix: write {_HUB_FORM}, e.g. "
            f"{HUB_DATASET_PREFIX}my-org/lcr-rows@<commit sha>; every .jsonl file of the repo is read "
            "(a path inside the repo is not supported)."
        )
    return repo_id, revision or None


def _similar_path(path: Path) -> Path | None:
    """An existing path that differs from the missing ``path`` by small typos in its parts, or None."""
    base = Path(path.anchor) if path.is_absolute() else Path(".")
    parts = path.parts[1:] if path.is_absolute() else path.parts
    changed = False
    for part in parts:
        candidate = base / part
        if candidate.exists():
            base = candidate
            continue
        try:
            names = [p.name for p in itertools.islice(base.iterdir(), _MAX_SUGGESTION_ENTRIES)]
        except OSError:
            return None
        matches = difflib.get_close_matches(part, names, n=1, cutoff=0.75)
        if not matches:
            return None
        base, changed = base / matches[0], True
    return base if changed and base.exists() else None


def _missing_path_error(entry: str | os.PathLike) -> DataError:
    """The error for a data entry that is neither a file, a folder nor a Hub dataset reference."""
    path = Path(entry)
    if path.exists():
        message = (
            f"not a regular file or folder: {entry}. Fix: pass a .jsonl file, a folder of them, or "
            f"a Hub dataset repo as {_HUB_FORM}."
        )
    else:
        message = f"no such file or folder: {entry}"
        if not path.is_absolute():
            message += f" (relative paths are read from the working directory {Path.cwd()})"
        message += "."
        similar = _similar_path(path)
        if similar is not None:
            message += f" Did you mean {similar}?"
        message += " Fix: check the path"
        if similar is None and _HUB_REPO_ID.match(os.fspath(entry)):
            message += f"; to read the Hub dataset repo '{entry}', write {HUB_DATASET_PREFIX}{entry}"
        message += "."
    error = DataError(message)
    error.path = str(path)
    return error


def resolve_data_files(
    paths: str | os.PathLike | Sequence[str | os.PathLike], revision: str | None = None
) -> list[Path]:
    """Expand files, folders and Hub dataset repos into a list of local ``.jsonl`` files.

    Folders are not searched recursively (``*.jsonl`` sorted by name). An entry written
    ``hf://datasets/owner/name`` (optionally ``@revision``) is a dataset repo on the Hub
    (``HF_ENDPOINT``): its ``.jsonl`` files are downloaded through ``huggingface_hub`` (its
    cache, ``HF_HOME``, ``HF_HUB_OFFLINE`` and tokens as usual), so that every row gets the
    same file:line validation and every file the same sha256 provenance as local data. Any
    other entry is a local path: a missing one is an error, never a Hub request.

    Args:
        paths: Files, folders or Hub dataset references.
        revision: Revision of the Hub dataset repos that name none with ``@`` (a full commit
            sha pins the data; default the repo's main branch). Only valid with a Hub
            dataset reference among ``paths``.

    Returns:
        Local file paths, in the order given.

    Raises:
        DataError: A path does not exist (the message names the working directory and a
            similar existing path, if any), a folder or repo holds no ``.jsonl`` file, a repo
            or revision cannot be fetched, an entry's ``@revision`` contradicts ``revision``,
            or ``revision`` is given without a Hub dataset reference.

    Example:
        ```py
        >>> resolve_data_files(["data/natural"])
        [PosixPath('data/natural/validation.jsonl')]
        >>> resolve_data_files(["hf://datasets/my-org/lcr-rows@0123abcd..."])  # doctest: +SKIP

        ```
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise DataError("No data path given. Fix: pass a .jsonl file, a folder of them, or a list of either.")
    files: list[Path] = []
    used_revision = False
    for entry in paths:
        hub = parse_hub_dataset(entry)
        if hub is not None:
            repo_id, pinned = hub
            if pinned is not None and revision is not None and pinned != revision:
                raise DataError(
                    f"{os.fspath(entry)!r} names revision {pinned!r} but the data revision {revision!r} "
                    "was also given. Fix: give the revision once (with @ or as the data revision)."
                )
            files.extend(_hub_dataset_files(repo_id, pinned or revision))
            used_revision = True
            continue
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.glob(_JSONL_GLOB) if p.is_file())
            if not found:
                raise DataError(
                    f"the folder contains no '{_JSONL_GLOB}' file (folders are not searched recursively). "
                    "Fix: pass a folder that holds LCR .jsonl files, or the files themselves.",
                    path=path,
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise _missing_path_error(entry)
    if revision is not None and not used_revision:
        raise DataError(
            f"A data revision ({revision!r}) was given but no Hub dataset repo: the revision applies to "
            f"{_HUB_FORM} dataset repos only. Fix: drop it for local files."
        )
    return files


def _hub_dataset_files(repo_id: str, revision: str | None) -> list[Path]:
    """Download the ``.jsonl`` files of a Hub dataset repo at ``revision``; return their local paths."""
    from huggingface_hub import snapshot_download

    where = f"dataset repo '{repo_id}' at revision {revision or 'main'}"
    try:
        folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                        allow_patterns=[_JSONL_GLOB, f"**/{_JSONL_GLOB}"]))
    except Exception as error:  # huggingface_hub raises several unrelated types (HTTP, offline, revision)
        raise DataError(
            f"Could not fetch the {where}: {type(error).__name__}: {error}. Fix: check the repo id and the "
            "revision, HF_ENDPOINT/HF_HUB_OFFLINE and your token, or pass local files."
        ) from error
    found = sorted(p for p in folder.rglob(_JSONL_GLOB) if p.is_file())
    if not found:
        raise DataError(f"The {where} holds no '{_JSONL_GLOB}' file. Fix: upload LCR rows as .jsonl files.")
    return found
