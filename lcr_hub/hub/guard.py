"""The download guard: transformers' own Hub downloads of a registered release are checked too.

``AutoModel.from_pretrained(repo, subfolder=..., revision=...)`` reads ``config.json``
through ``AutoConfig`` before any model class (and so before lcr_hub's verified download)
is chosen: a mirror that swaps ``config.json`` for one of another ``model_type`` would get
another class built from unchecked files. ``import lcr_hub`` therefore installs
:func:`install_download_guard`, which checks each file transformers resolves from the
Hugging Face cache against the registry's pinned digest before transformers reads it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
from pathlib import Path
from typing import Any

from .. import _hashing as stamps
from ..errors import CheckpointError, IntegrityError
from .registry import Variant, find_release, list_variants
from .verify import evict

logger = logging.getLogger(__name__)

#: Where huggingface_hub keeps a repo file: ``.../models--<org>--<name>/snapshots/<commit>/<path>``.
SNAPSHOT_FILE_RE = re.compile(r"/models--(?P<repo>[^/]+)/snapshots/(?P<commit>[0-9a-f]{40})/(?P<path>.+)$")


def check_resolved_file(repo_id: str, file: str | os.PathLike, revision: str | None = None) -> None:
    """Check one file that transformers resolved from the Hub cache, if it belongs to a release.

    A file under ``snapshots/<commit>/<subfolder>/`` of a registered repo is compared with
    the registry's digest when ``<commit>`` is a release of ``<subfolder>``; one the release
    does not list, or one stored under another commit than the pinned ``revision`` (a full
    sha or a registry tag) asked for, is refused too. Any other file is left alone.

    Args:
        repo_id: The repo transformers downloaded from.
        file: The path it resolved (inside the Hugging Face cache).
        revision: The revision it was asked for.

    Raises:
        IntegrityError: The file differs from the pinned digest (it is evicted from the cache).
        CheckpointError: The file is not part of the release, or the server answered another commit.

    Example:
        ```python
        >>> check_resolved_file("someone/else", "/tmp/models--someone--else/snapshots/" + "0" * 40 + "/config.json")

        ```
    """
    match = SNAPSHOT_FILE_RE.search(Path(file).as_posix())
    if match is None or match["repo"] != repo_id.replace("/", "--"):
        return
    commit, sub, name = match["commit"], *match["path"].rpartition("/")[::2]
    requested = str(revision) if revision is not None else ""
    wanted = find_release(repo_id, sub, commit=requested) or find_release(repo_id, sub, tag=requested)
    label = f"{repo_id}/{sub}" if sub else repo_id
    if wanted is not None and wanted.commit != commit:
        evict(file)
        raise CheckpointError(
            f"{label}/{name}: asked for the release at {wanted.commit} ({requested}), but the server answered "
            f"commit {commit}; the file was removed from the cache. The server does not serve the release."
        )
    release = wanted or find_release(repo_id, sub, commit=commit)
    if release is None:
        return  # not a pinned release: lcr_hub's own loaders check such revisions against the manifest
    where = f"{label}@{commit}/{name}"
    pinned = release.files.get(name)
    if pinned is None:
        evict(file)
        raise CheckpointError(
            f"{where} is not a file of the release {release.tag} (the registry pins {sorted(release.files)}); the "
            "server does not serve the release, and the file was removed from the cache."
        )
    actual = stamps.file_sha256(file)
    if actual != pinned.sha256 or os.stat(file).st_size != pinned.size:
        evict(file)
        raise IntegrityError(where, pinned.sha256, actual, "The bad file was removed from the Hugging Face cache; if "
                             "the mismatch persists, the server is not serving the released bytes.")


def install_download_guard() -> bool:
    """Make transformers check every file it resolves from a registered release (idempotent).

    Wraps ``transformers.utils.hub.cached_files``, through which ``cached_file``, and so
    ``AutoConfig``, ``AutoModel``, every model class and remote-code loading, resolve Hub
    files: each file it returns passes :func:`check_resolved_file` first. Files of other
    repos, of local folders and of unregistered commits pass through untouched.

    Returns:
        True when the guard is installed (False: this transformers has no ``cached_files``).

    Example:
        ```python
        >>> install_download_guard()
        True

        ```
    """
    from transformers.utils import hub as transformers_hub

    original = getattr(transformers_hub, "cached_files", None)
    if original is None:
        logger.warning("transformers.utils.hub.cached_files not found: AutoModel loads are not checked by lcr_hub.")
        return False
    if getattr(original, "lcr_hub_guard", False):
        return True
    signature = inspect.signature(original)

    @functools.wraps(original)
    def cached_files(*args: Any, **kwargs: Any) -> list[str] | None:
        resolved = original(*args, **kwargs)
        if resolved:
            bound = signature.bind_partial(*args, **kwargs).arguments
            repo_id = str(bound.get("path_or_repo_id", ""))
            if not os.path.isdir(repo_id) and any(v.repo_id == repo_id for v in _variants_or_none()):
                for file in resolved:
                    check_resolved_file(repo_id, file, bound.get("revision"))
        return resolved

    cached_files.lcr_hub_guard = True  # type: ignore[attr-defined]
    transformers_hub.cached_files = cached_files
    return True


def _variants_or_none() -> list[Variant]:
    try:
        return list_variants()
    except CheckpointError as error:  # a broken registry must not break loading other repos
        logger.warning("lcr_hub's download guard is inactive: %s", error)
        return []
