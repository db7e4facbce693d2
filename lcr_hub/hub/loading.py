"""Resolve, download and verify a checkpoint folder before anything in it is deserialised.

``_LCRPreTrainedModel.from_pretrained`` (and so ``AutoModel.from_pretrained`` after
``import lcr_hub``) calls :func:`resolve_verified` first: a Hub repo id is resolved to a
commit, its subfolder downloaded through ``huggingface_hub`` (its cache, ``HF_HOME``,
``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and tokens as usual), every file's sha256 checked against
the registry (or, for unknown revisions, the repo's own manifest, with a warning), and only
the verified local folder is handed to transformers. The model is then built from the very
bytes that were checked (:meth:`VerifiedSource.load`), after the safetensors header was
compared with the shapes the config implies, so a rewrite of a file after its check, or a
config whose layer sizes disagree with the weights, never reaches an allocation.

``import lcr_hub`` also installs :func:`lcr_hub.hub.guard.install_download_guard`: every file
that transformers itself resolves from a registered release (``AutoConfig``/``AutoModel`` of
any model type, remote code) is checked against the registry before transformers reads it.
"""

from __future__ import annotations

import json
import os
import warnings
from fnmatch import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch

import httpx2
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub import constants as hf_constants
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import validate_repo_id
from huggingface_hub.errors import (
    HFValidationError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    RevisionResolutionError,
)

from ..constants import CHECKSUMS_NAME, CONFIG_NAME, PICKLE_PATTERNS, WEIGHTS_NAME
from .._hashing import sha256_file
from ..errors import CheckpointError, ConfigError, IntegrityError, UnpinnedRevisionError, UnpinnedRevisionWarning
from .registry import COMMIT_RE, FileDigest, Variant, find_release
from .verify import (
    FileCheck,
    verify_folder,
    check_header_shapes,
    evict,
    folder_files,
    read_manifest,
    read_once,
    recorded_digests,
    safetensors_header,
    tensors_from_buffer,
)

#: ``from_pretrained`` keyword arguments consumed here (the download side).
HUB_KWARGS = ("revision", "subfolder", "cache_dir", "force_download", "local_files_only", "token")
#: Keyword arguments that ``PreTrainedModel.from_pretrained`` handles itself even where the
#: config has an attribute of that name (all other config attributes among the keyword
#: arguments override the config, as in transformers).
LOADING_ONLY_KWARGS = frozenset({"dtype", "torch_dtype", "attn_implementation", "experts_implementation", "name_or_path"})

_DOWNLOAD_ERRORS = (
    httpx2.HTTPError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RevisionResolutionError,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class VerifiedSource:
    """A local folder whose files passed their sha256 checks.

    Args:
        path: The folder to load from.
        repo_id: The Hub repo it came from (None for a local folder).
        commit: The commit it was downloaded at (None for a local folder).
        variant: The registry entry it matched, if any.
    """

    path: Path
    repo_id: str | None = None
    commit: str | None = None
    variant: Variant | None = None
    expected: Mapping[str, FileDigest] | None = None
    cached: bool = False
    where: str = ""

    def read(self, name: str) -> bytes:
        """Read one file of the folder once and check those bytes against its digest.

        Args:
            name: Path inside the folder, e.g. ``"config.json"``.

        Returns:
            The file's bytes, as checked (a file the digests do not list is returned unchecked).

        Raises:
            IntegrityError: The bytes differ from the pinned digest (a cached file is evicted).
            CheckpointError: The file cannot be read.
        """
        where = f"{self.where or self.path}/{name}"
        pinned = (self.expected or {}).get(name)
        limit = pinned.size if pinned is not None and pinned.size >= 0 else -1
        try:
            data, actual = read_once(self.path / name, limit)
        except OSError as error:
            raise CheckpointError(f"Cannot read {where}: {error}. Re-download the folder or restore the file.") from None
        if pinned is not None and (actual != pinned.sha256 or (limit >= 0 and len(data) != limit)):
            if self.cached:
                evict(self.path / name)
            hint = ("The bad file was removed from the Hugging Face cache; if the mismatch persists, the server is "
                    "not serving the released bytes." if self.cached else "Re-download the folder or restore the file.")
            raise IntegrityError(where, pinned.sha256, actual or "(a file larger than the pinned size)", hint)
        return data

    def load(self, model_class: type, kwargs: dict[str, Any]) -> tuple[Any, dict[str, torch.Tensor]]:
        """The config and the state dict of the folder, from checked bytes, shapes checked before allocation.

        ``config.json`` is parsed from the bytes that were checked (unless ``kwargs`` holds a
        ``config`` object); the safetensors header is parsed and compared with the state dict
        of ``model_class(config)`` built on the ``meta`` device; only then are the checked
        weight bytes deserialised.

        Args:
            model_class: The LCR model class being loaded.
            kwargs: ``from_pretrained`` keyword arguments; ``config`` and the config
                attributes among them are popped (they override config.json's values).

        Returns:
            ``(config, state_dict)``.

        Raises:
            ConfigError: config.json is not a JSON object of the class's model type, or
                describes a model that cannot be built.
            CheckpointError: The weights' header is malformed or disagrees with the config.
            IntegrityError: A file differs from its pinned digest.
        """
        from transformers import PreTrainedConfig

        config = kwargs.pop("config", None)
        where = self.where or str(self.path)
        if not isinstance(config, PreTrainedConfig):
            try:
                config_dict = json.loads(self.read(CONFIG_NAME))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ConfigError(f"not a JSON file ({error}); restore it or re-save the model.") from None
            if not isinstance(config_dict, dict):
                raise ConfigError("not a JSON object; restore it or re-save the model.")
            config = model_class.config_class.from_dict(config_dict)
            for key in [k for k in kwargs if k not in LOADING_ONLY_KWARGS and hasattr(config, k)]:
                setattr(config, key, kwargs.pop(key))
        data = self.read(WEIGHTS_NAME)
        header = safetensors_header(data, f"{where}/{WEIGHTS_NAME}")
        try:
            shapes = _implied_shapes(model_class, config)
        except (RuntimeError, ValueError, TypeError) as error:
            raise ConfigError(f"describes no buildable {model_class.__name__}: {error}") from None
        check_header_shapes(shapes, header, f"{where}/{WEIGHTS_NAME}", f"{where}/{CONFIG_NAME}")
        return config, tensors_from_buffer(data, header)


#: (model class, config attributes as JSON) -> the shapes its state dict implies.
_IMPLIED_SHAPES: dict[tuple[type, str], dict[str, tuple[int, ...]]] = {}


class _OnMeta(torch.overrides.TorchFunctionMode):
    """Create tensors on the meta device, in this thread only.

    ``with torch.device("meta")`` also sets a process-wide default device, which two threads
    entering and leaving it at once can leave set to ``meta``; a function mode alone is
    thread-local.
    """

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        from torch.utils._device import _device_constructors

        kwargs = kwargs or {}
        if func in _device_constructors() and kwargs.get("device") is None:
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


def _implied_shapes(model_class: type, config: Any) -> dict[str, tuple[int, ...]]:
    """The state dict shapes of ``model_class(config)``, built on the meta device (nothing allocated).

    Remembered per config (up to 32), so loading the same checkpoint again does not rebuild it.
    """
    key = (model_class, json.dumps(vars(config), sort_keys=True, default=repr))
    shapes = _IMPLIED_SHAPES.get(key)
    if shapes is None:
        with _OnMeta():
            probe = model_class(config)
        shapes = {name: tuple(t.shape) for name, t in probe.state_dict().items()}
        if len(_IMPLIED_SHAPES) >= 32:
            _IMPLIED_SHAPES.clear()
        _IMPLIED_SHAPES[key] = shapes
    return shapes


def _is_pickle(name: str) -> bool:
    return any(fnmatch(name.rsplit("/", 1)[-1], pattern) for pattern in PICKLE_PATTERNS)


def _no_safetensors(where: str, offered: list[str]) -> CheckpointError:
    """The error for a folder without ``model.safetensors``, naming the pickle files it offers."""
    pickles = sorted(name for name in offered if _is_pickle(name))
    found = f"only pickle files ({', '.join(pickles)})" if pickles else f"no {WEIGHTS_NAME}"
    return CheckpointError(
        f"{where} offers {found}. lcr_hub loads weights from {WEIGHTS_NAME} only: unpickling a "
        "file can run arbitrary code. Convert a legacy state dict with `lcr-hub convert FILE --output DIR` "
        "(it reads tensors only, weights_only=True) and publish the converted folder."
    )


def _raise_on_bad(checks: list[FileCheck], folder: Path, where: str, *, cached: bool) -> None:
    mismatched = [c for c in checks if c.status == "mismatch"]
    if mismatched:
        if cached:
            for check in mismatched:
                evict(folder / check.name)
        first = mismatched[0]
        hint = (
            "The bad file was removed from the Hugging Face cache, so the next load downloads it again; "
            "if the mismatch persists, the server is not serving the released bytes."
            if cached
            else "Re-download the folder or restore the file."
        )
        others = f" ({len(mismatched) - 1} more file(s) also differ.)" if len(mismatched) > 1 else ""
        raise IntegrityError(f"{where}/{first.name}", first.expected, first.actual, hint + others)
    missing = [c.name for c in checks if c.status == "missing"]
    if missing:
        raise CheckpointError(
            f"{where} lacks file(s) {missing} that its pinned digests list: the copy is incomplete or not the release."
        )
    unexpected = [c.name for c in checks if c.status == "unexpected"]
    if unexpected:
        raise CheckpointError(
            f"{where} has file(s) {unexpected} that the pinned digests do not list; refusing to load a folder "
            "that differs from the release."
        )


def _verify_local(folder: Path) -> VerifiedSource:
    if not (folder / WEIGHTS_NAME).is_file():
        raise _no_safetensors(str(folder), folder_files(folder) if folder.is_dir() else [])
    manifest = read_manifest(folder)
    if manifest is not None:  # a user's own folder: files it does not list are not checked
        _raise_on_bad(verify_folder(folder, manifest, exact=False), folder, str(folder), cached=False)
    return VerifiedSource(path=folder, expected=manifest, where=str(folder))


def verify_local_checkpoint(folder: str | os.PathLike) -> list[FileCheck]:
    """Re-hash a local checkpoint folder's files and check them against the digests it records.

    ``from_pretrained`` of a local folder checks its ``checksums.sha256`` when it has one;
    this also checks ``model.safetensors`` against ``weights_sha256`` in
    ``training_metadata.json`` and refuses a folder that records no digest at all (what
    ``LCRModelLoader(verify_integrity=True)`` does before loading). Every byte is read:
    verification stamps are not used.

    Args:
        folder: A checkpoint folder.

    Returns:
        One :class:`FileCheck` per checked file (all ``ok``).

    Raises:
        IntegrityError: A file differs from its recorded digest ("Checkpoint hash mismatch").
        CheckpointError: A listed file is missing, or the folder records no digest.

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> "model.safetensors" in [c.name for c in verify_local_checkpoint(default_checkpoint("detector"))]
        True

        ```
    """
    folder = Path(folder)
    digest_sets = recorded_digests(folder)
    if not digest_sets:
        raise CheckpointError(
            f"{folder} records no digests (no {CHECKSUMS_NAME} and no weights_sha256 in its training metadata), so "
            "its integrity cannot be verified. Load it by Hub repo id (pinned digests), or pass verify_integrity=False."
        )
    checks: dict[str, FileCheck] = {}
    for expected in digest_sets:
        found = verify_folder(folder, expected, exact=False, rehash=True)
        _raise_on_bad(found, folder, str(folder), cached=False)
        checks.update((c.name, c) for c in found)
    return [checks[name] for name in sorted(checks)]


def fetch_verified(
    repo_id: str,
    subfolder: str = "",
    revision: str | None = None,
    *,
    require_pinned: bool = False,
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
    local_files_only: bool = False,
    token: str | bool | None = None,
) -> VerifiedSource:
    """Download ``repo_id``/``subfolder`` at ``revision`` and check every file's sha256.

    Args:
        repo_id: The Hub repo, e.g. ``"lcr-research/lcr-checkpoints"``.
        subfolder: The variant's folder, e.g. ``"detector/minilm"``.
        revision: A full commit sha, a release tag, or (not recommended) a branch or short sha.
        require_pinned: Refuse anything but a release pinned in the registry, and any revision that
            is not a full commit sha or a registry tag.
        cache_dir: The Hugging Face cache to use (default ``HF_HUB_CACHE``).
        force_download: Download again even if cached.
        local_files_only: Use the cache only (as ``HF_HUB_OFFLINE=1`` does).
        token: Hub token, as for ``huggingface_hub``.

    Returns:
        The verified local folder (inside the Hugging Face cache), its commit and registry entry.

    Raises:
        UnpinnedRevisionError: ``require_pinned`` and the revision is not pinned.
        IntegrityError: A file's sha256 differs from the pinned one (the file is evicted from the cache).
        CheckpointError: The download failed, a pinned file is missing, the folder offers
            only pickle files, or there is nothing to verify against.

    Example:
        >>> source = fetch_verified("lcr-research/lcr-checkpoints", "detector/minilm",
        ...                         revision="detector-minilm-v1")  # doctest: +SKIP
        >>> source.commit  # doctest: +SKIP
        '0f3c...'
    """
    sub = (subfolder or "").strip("/")
    requested = str(revision) if revision is not None else hf_constants.DEFAULT_REVISION
    by_tag = None if COMMIT_RE.match(requested) else find_release(repo_id, sub, tag=requested)
    label = f"{repo_id}/{sub}" if sub else repo_id
    if require_pinned and not COMMIT_RE.match(requested) and by_tag is None:
        raise UnpinnedRevisionError(
            f"require_pinned=True: revision {requested!r} of {label} is neither a full 40-hex commit sha nor a release tag "
            "in lcr_hub's registry (branches move, short shas are ambiguous). Pin a full commit sha, e.g. from "
            "`lcr-hub variants`."
        )
    local_only = local_files_only or hf_constants.HF_HUB_OFFLINE
    endpoint = hf_constants.ENDPOINT
    if by_tag is not None:
        commit = by_tag.commit  # the registry, not the server, says what a release tag means
        server_commit = getattr(revision, "resolved", None)
        if server_commit is not None and server_commit != commit:
            raise CheckpointError(
                f"Tag {requested!r} of {repo_id} resolves to {server_commit} on {endpoint}, but lcr_hub's registry "
                f"pins it to {commit}: the tag was moved. Pass revision='{commit}' to load the release."
            )
    else:
        try:
            commit = HfApi(endpoint=endpoint).resolve_revision(
                repo_id, revision=revision, cache_dir=cache_dir, local_files_only=local_only, token=token
            ).resolved
        except (RepositoryNotFoundError, RevisionNotFoundError) as error:
            raise CheckpointError(f"{label}: revision {requested!r} not found on {endpoint}: {error}") from None
        except _DOWNLOAD_ERRORS as error:
            raise CheckpointError(
                f"Cannot resolve revision {requested!r} of {repo_id} ({endpoint} unreachable or offline, and the "
                f"cache has no entry for it): {error}. A full commit sha loads offline from the cache."
            ) from None
    variant = by_tag or find_release(repo_id, sub, commit=commit)
    if variant is None and require_pinned:
        raise UnpinnedRevisionError(
            f"require_pinned=True: {label} at commit {commit} is not a release in lcr_hub's registry, so its digests are "
            "not independently pinned. Load a registered variant (`lcr-hub variants`) or pass require_pinned=False."
        )
    if not COMMIT_RE.match(requested) and by_tag is None:
        warnings.warn(
            f"revision {requested!r} of {label} is not a pinned commit: it resolved to {commit} now, but branches "
            f"move. Pass revision='{commit}' to always load these bytes.",
            UnpinnedRevisionWarning,
            stacklevel=4,
        )
    where = f"{label}@{commit}"
    cached = Path(cache_dir or hf_constants.HF_HUB_CACHE).expanduser() / repo_folder_name(repo_id=repo_id, repo_type="model")
    cached = cached / "snapshots" / commit / sub
    if variant is not None and not force_download and all((cached / name).exists() for name in variant.files):
        # Every pinned file is cached at this commit (a commit never changes): they are
        # verified below without asking the server, as huggingface_hub does for commit shas.
        return _checked(cached, variant.files, where, repo_id, commit, variant)
    try:
        snapshot = snapshot_download(
            repo_id,
            revision=commit,
            cache_dir=cache_dir,
            force_download=force_download,
            local_files_only=local_only,
            token=token,
            allow_patterns=[f"{sub}/*"] if sub else None,
            ignore_patterns=list(PICKLE_PATTERNS),
        )
    except _DOWNLOAD_ERRORS as error:
        raise CheckpointError(
            f"Could not download {where} from {endpoint}: {type(error).__name__}: {error}. Nothing was loaded; "
            "completed files stay in the cache (unfinished ones are never placed in the snapshot) and are "
            "verified again on the next try."
        ) from None
    folder = Path(snapshot) / sub
    if not (folder / WEIGHTS_NAME).is_file():
        offered: list[str] = []
        if not local_only:
            try:
                offered = HfApi(endpoint=endpoint).list_repo_files(repo_id, revision=commit, token=token)
            except _DOWNLOAD_ERRORS:
                pass
        raise _no_safetensors(where, [f for f in offered if f.startswith(f"{sub}/" if sub else "")])
    if variant is not None:
        expected: dict[str, FileDigest] | None = variant.files
    else:
        expected = read_manifest(folder)
        if expected is None:
            raise CheckpointError(
                f"{where} is not a release in lcr_hub's registry and has no {CHECKSUMS_NAME}: there is nothing to "
                "verify its files against, so it is not loaded. Publish it with `lcr-hub publish` (which writes the "
                "manifest), or download it yourself and load the local folder."
            )
        manifest = folder / CHECKSUMS_NAME  # present, as read above; it does not list itself
        expected[CHECKSUMS_NAME] = FileDigest(sha256_file(manifest), manifest.stat().st_size)
        warnings.warn(
            f"{where} is not a release in lcr_hub's registry: its files are checked only against the "
            f"{CHECKSUMS_NAME} inside the repo, which whoever can push to the repo also controls (the digests are "
            "not independently pinned). require_pinned=True refuses such revisions.",
            UnpinnedRevisionWarning,
            stacklevel=4,
        )
    return _checked(folder, expected, where, repo_id, commit, variant)


def _checked(folder: Path, expected: dict[str, FileDigest], where: str, repo_id: str, commit: str,
             variant: Variant | None) -> VerifiedSource:
    _raise_on_bad(verify_folder(folder, expected), folder, where, cached=True)
    return VerifiedSource(path=folder, repo_id=repo_id, commit=commit, variant=variant)


def resolve_verified(name_or_path: str | os.PathLike, kwargs: dict[str, Any]) -> VerifiedSource:
    """The ``from_pretrained`` hook: verify, then return the local folder to load.

    Pops the download arguments (``revision``, ``subfolder``, ``cache_dir``,
    ``force_download``, ``local_files_only``, ``token``) and lcr_hub's ``require_pinned`` from
    ``kwargs``; what is left goes to ``PreTrainedModel.from_pretrained``.

    Args:
        name_or_path: A local folder or a Hub repo id.
        kwargs: The ``from_pretrained`` keyword arguments (modified in place).

    Returns:
        The verified source. Local folders are checked against their ``checksums.sha256``
        when they have one.

    Raises:
        IntegrityError, UnpinnedRevisionError, CheckpointError: see :func:`fetch_verified`.
    """
    if "strict" in kwargs:  # the name until 0.1: `strict` now means only exact weights (always on)
        warnings.warn("from_pretrained(strict=...) is deprecated and will be removed in the next release: "
                      "pass require_pinned=... instead (refuse revisions not pinned in lcr_hub's registry).",
                      FutureWarning, stacklevel=4)
        kwargs.setdefault("require_pinned", kwargs.pop("strict"))
    require_pinned = bool(kwargs.pop("require_pinned", False))
    hub = {name: kwargs.pop(name) for name in HUB_KWARGS if name in kwargs}
    subfolder = hub.pop("subfolder", "") or ""
    if os.path.isdir(name_or_path):
        return _verify_local(Path(name_or_path) / subfolder)
    if os.path.exists(name_or_path) or not _is_repo_id(os.fspath(name_or_path)):
        raise CheckpointError(
            f"{os.fspath(name_or_path)} is neither an existing checkpoint folder nor a Hub repo id "
            "('owner/name'). Fix: pass a folder written by save_pretrained() or a repo id with a revision."
        )
    return fetch_verified(
        os.fspath(name_or_path),
        subfolder,
        hub.get("revision"),
        require_pinned=require_pinned,
        cache_dir=hub.get("cache_dir"),
        force_download=bool(hub.get("force_download", False)),
        local_files_only=bool(hub.get("local_files_only", False)),
        token=hub.get("token"),
    )


def _is_repo_id(name: str) -> bool:
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def verified_snapshot(
    repo_id: str,
    subfolder: str = "",
    revision: str | None = None,
    *,
    require_pinned: bool = True,
    cache_dir: str | os.PathLike | None = None,
    local_files_only: bool = False,
    token: str | bool | None = None,
) -> Path:
    """Download a release, check every file (config.json included), and return the local folder.

    The safe way to hand a release to code that is not lcr_hub's, e.g.
    ``AutoModel.from_pretrained(verified_snapshot(repo, subfolder=..., revision=...))``: the
    folder returned passed its checks, so transformers then loads local, checked files.

    Args:
        repo_id: The Hub repo, e.g. ``"lcr-research/lcr-checkpoints"``.
        subfolder: The variant's folder, e.g. ``"detector/minilm"``.
        revision: A full commit sha or a release tag from the registry.
        require_pinned: Refuse anything that is not a release pinned in the registry (default True;
            False also accepts revisions checked against the repo's own manifest, with
            :class:`~lcr_hub.errors.UnpinnedRevisionWarning`).
        cache_dir: The Hugging Face cache to use (default ``HF_HUB_CACHE``).
        local_files_only: Use the cache only.
        token: Hub token, as for ``huggingface_hub``.

    Returns:
        The checked folder inside the Hugging Face cache.

    Raises:
        IntegrityError, UnpinnedRevisionError, CheckpointError: see :func:`fetch_verified`.

    Example:
        ```python
        >>> from transformers import AutoModel
        >>> folder = verified_snapshot("lcr-research/lcr-checkpoints", "detector/minilm",
        ...                            revision="detector-minilm-v1")  # doctest: +SKIP
        >>> model = AutoModel.from_pretrained(folder)  # doctest: +SKIP

        ```
    """
    return fetch_verified(repo_id, subfolder, revision, require_pinned=require_pinned, cache_dir=cache_dir,
                          local_files_only=local_files_only, token=token).path


def verify_variant(name_or_tag: str, folder: str | os.PathLike | None = None,
                   cache_dir: str | os.PathLike | None = None) -> tuple[Path, list[FileCheck]]:
    """Re-hash a released variant's files (a local folder, the embedded copy, or the Hugging Face cache).

    Nothing is downloaded and nothing is removed: this only reports. Every byte is read
    (``lcr-hub verify``): verification stamps are not used.

    Args:
        name_or_tag: A variant name or release tag from the registry.
        folder: A local copy to check. Default: the embedded checkpoint folder when it is
            this release (``detector/minilm`` and ``classifier/minilm``: checked offline),
            else the cached snapshot at the release commit.
        cache_dir: The Hugging Face cache (default ``HF_HUB_CACHE``).

    Returns:
        The folder checked and one :class:`FileCheck` per file.

    Raises:
        CheckpointError: Unknown variant, or the release is neither embedded nor in the cache.

    Example:
        >>> folder, checks = verify_variant("detector/minilm")  # doctest: +SKIP
        >>> all(c.ok for c in checks)  # doctest: +SKIP
        True
    """
    from .registry import BYTECODE_CACHE, embedded_component, embedded_release_folder, get_variant

    variant = get_variant(name_or_tag)
    if folder is None:
        folder = embedded_release_folder(variant)
    if folder is None:
        component = embedded_component(variant)
        embedded = f"the embedded {component} folder is another release, and " if component else ""
        try:
            snapshot = snapshot_download(variant.repo_id, revision=variant.commit, cache_dir=cache_dir,
                                         local_files_only=True, allow_patterns=[f"{variant.subfolder}/*"])
        except _DOWNLOAD_ERRORS as error:
            raise CheckpointError(
                f"{variant.name} ({variant.repo_id}@{variant.commit}): {embedded}it is not in the Hugging Face cache "
                f"({error}). Download it first (lcr_hub.hub.load_variant({variant.tag!r})) or pass --folder."
            ) from None
        folder = Path(snapshot) / variant.subfolder
    checks = verify_folder(folder, variant.files, rehash=True)
    # Bytecode that Python (pip, on install) writes beside the remote-code files is not release content.
    return Path(folder), [c for c in checks if not (c.status == "unexpected" and BYTECODE_CACHE in c.name.split("/"))]
