"""The registry of released variants: ``registry.json`` shipped inside the package.

Each entry pins one release: the Hub repo, the subfolder, the tag, the full commit sha and
the sha256 and size of every file of the subfolder at that commit. Loading checks the
downloaded bytes against it; ``lcr-hub publish`` appends to it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from .._hashing import FileDigest
from .._modules.atomic import atomic_write
from ..constants import REGISTRY_ENV
from ..errors import CheckpointError, PublishError

#: The registry shipped with the package.
PACKAGE_REGISTRY = Path(__file__).with_name("registry.json")
_REGISTRY_FORMAT = 1
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Variant:
    """One released variant, e.g. ``detector/minilm`` at tag ``detector-minilm-v1``.

    Args:
        name: The variant's name, which is also its subfolder in the repo.
        model_type: ``lcr_detector``, ``lcr_refinement`` or ``lcr_classifier``.
        repo_id: The Hub repo holding it.
        subfolder: Its folder inside the repo.
        tag: The git tag created when it was published.
        commit: The full 40-hex commit sha of that release.
        files: Path inside the subfolder -> pinned digest, for every file of the subfolder.
    """

    name: str
    model_type: str
    repo_id: str
    subfolder: str
    tag: str
    commit: str
    files: dict[str, FileDigest] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON form stored in ``registry.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "registry") -> "Variant":
        try:
            files = {name: FileDigest(**digest) for name, digest in data["files"].items()}
            variant = cls(**{**data, "files": files})
        except (KeyError, TypeError) as error:
            raise CheckpointError(
                f"{where}: malformed variant entry {data.get('name', '?')!r} ({error}); each entry needs name, "
                "model_type, repo_id, subfolder, tag, commit and files {path: {sha256, size}}."
            ) from None
        if not COMMIT_RE.match(variant.commit):
            raise CheckpointError(f"{where}: variant {variant.name!r} has commit {variant.commit!r}, not a full sha.")
        return variant


def registry_path() -> Path:
    """The registry in use: ``$LCR_HUB_REGISTRY`` if set, else the one shipped in the package."""
    return Path(os.environ.get(REGISTRY_ENV) or PACKAGE_REGISTRY)


def list_variants() -> list[Variant]:
    """All released variants, oldest first.

    Returns:
        The registry's entries.

    Raises:
        CheckpointError: The registry file is missing or malformed.

    Example:
        >>> from lcr_hub.hub import list_variants
        >>> sorted({v.name for v in list_variants()})
        ['classifier/minilm', 'detector/minilm', 'detector/smollm2_135m_instruct', 'refinement/smollm2_135m_instruct']
    """
    path = registry_path()
    try:
        stat = path.stat()
        return list(_read_registry(str(path), stat.st_mtime_ns, stat.st_size))
    except OSError as error:
        raise CheckpointError(f"Cannot read the variant registry {path}: {error}") from None


@lru_cache(maxsize=8)
def _read_registry(path: str, mtime_ns: int, size: int) -> tuple[Variant, ...]:
    # Keyed by modification time and size, so an updated registry is read again.
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise CheckpointError(f"Cannot read the variant registry {path}: {error}") from None
    if data.get("format") != _REGISTRY_FORMAT:
        raise CheckpointError(f"{path}: format {data.get('format')!r}, expected {_REGISTRY_FORMAT}.")
    return tuple(Variant.from_dict(entry, path) for entry in data.get("variants", []))


def get_variant(name_or_tag: str) -> Variant:
    """The newest release of a variant name, or the release with that tag.

    Args:
        name_or_tag: ``"detector/minilm"`` (newest release) or a tag such as ``"detector-minilm-v1"``.

    Returns:
        The registry entry.

    Raises:
        CheckpointError: No such name or tag in the registry.
    """
    variants = list_variants()
    for variant in reversed(variants):
        if name_or_tag in (variant.name, variant.tag):
            return variant
    known = sorted({v.name for v in variants} | {v.tag for v in variants})
    raise CheckpointError(f"No variant or tag {name_or_tag!r} in the registry {registry_path()}; known: {known}.")


def find_release(repo_id: str, subfolder: str, *, commit: str | None = None, tag: str | None = None) -> Variant | None:
    """The registry entry for ``repo_id``/``subfolder`` at a commit or a tag, if any."""
    for variant in list_variants():
        if (variant.repo_id, variant.subfolder.strip("/")) != (repo_id, subfolder.strip("/")):
            continue
        if (commit is not None and variant.commit == commit) or (tag is not None and variant.tag == tag):
            return variant
    return None


def add_variant(variant: Variant) -> Path:
    """Append a release to the registry in use (written atomically).

    Raises:
        PublishError: The registry already has this tag for the repo.
    """
    path = registry_path()
    variants = list_variants() if path.exists() else []
    if any(v.repo_id == variant.repo_id and v.tag == variant.tag for v in variants):
        raise PublishError(f"{path} already has a release tagged {variant.tag!r} for {variant.repo_id}.")
    payload = {"format": _REGISTRY_FORMAT, "variants": [v.to_dict() for v in [*variants, variant]]}
    atomic_write(path, json.dumps(payload, indent=2) + "\n")  # a unique temporary name: concurrent publishers
    return path


# The embedded checkpoints as releases (imported here, not at the top: the registry itself
# needs neither hashing nor the checkpoint location).

#: Python's bytecode folder: an installed package's embedded folders get one beside their
#: remote-code files (pip compiles every module it installs); it is never part of a release.
BYTECODE_CACHE = "__pycache__"


def embedded_component(variant: Variant) -> str | None:
    """The embedded component a variant is released as, if any.

    The embedded checkpoints (``checkpoints/<component>``) are released as
    ``<component>/minilm``.

    Args:
        variant: A registry entry.

    Returns:
        ``"detector"`` or ``"classifier"`` for those variants, else None.

    Example:
        >>> embedded_component(get_variant("detector/minilm"))
        'detector'
        >>> embedded_component(Variant("detector/deberta", "lcr_detector", "o/r", "detector/deberta", "t", "0" * 40))
    """
    from ..constants import DEFAULT_VARIANT

    component, _, name = variant.name.partition("/")
    return component if name == DEFAULT_VARIANT else None


def embedded_release_folder(variant: Variant) -> Path | None:
    """The embedded checkpoint folder, when it is this release.

    It is, when its ``checksums.sha256`` has the digest and size the registry pins for the
    release (the manifest lists every other file's digest, so it names one release). Only
    the manifest is hashed here; the other files are for the caller to check.

    Args:
        variant: A registry entry.

    Returns:
        The folder (under ``$LCR_HUB_CHECKPOINTS`` or the package's checkpoints), or None
        when the variant is not embedded or the embedded folder is another release (or none).

    Example:
        >>> folder = embedded_release_folder(get_variant("detector/minilm"))
        >>> folder is None or folder.name == "detector"
        True
    """
    from .._hashing import sha256_file
    from ..checkpoint import checkpoints_root
    from ..constants import CHECKSUMS_NAME

    component = embedded_component(variant)
    pinned = variant.files.get(CHECKSUMS_NAME)
    if component is None or pinned is None:
        return None
    folder = checkpoints_root() / component
    manifest = folder / CHECKSUMS_NAME
    if not manifest.is_file() or manifest.stat().st_size != pinned.size or sha256_file(manifest) != pinned.sha256:
        return None
    return folder
