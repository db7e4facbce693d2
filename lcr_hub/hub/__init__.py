"""Hub hosting of the LCR checkpoints: released variants, verified loading, publishing, legacy conversion.

Example:
    ```python
    >>> from lcr_hub.hub import list_variants, load_variant
    >>> [v.name for v in list_variants()]  # doctest: +SKIP
    ['detector/minilm', 'classifier/minilm']
    >>> detector = load_variant("detector/minilm")  # doctest: +SKIP
    ```
"""

from __future__ import annotations

from typing import Any

from .loading import VerifiedSource, fetch_verified, verified_snapshot
from .registry import FileDigest, Variant, get_variant, list_variants, registry_path
from .verify import FileCheck, check_folder


def describe_variant(name_or_tag: str) -> str:
    """A short human-readable description of a released variant.

    Args:
        name_or_tag: A variant name (``detector/minilm``) or a release tag.

    Returns:
        Several lines: repo, subfolder, tag, commit, files with sizes and digests, and the
        ``from_pretrained`` call that loads it.
    """
    v = get_variant(name_or_tag)
    lines = [
        f"{v.name}  ({v.model_type})",
        f"  repo       {v.repo_id}",
        f"  subfolder  {v.subfolder}",
        f"  tag        {v.tag}",
        f"  commit     {v.commit}",
        "  files",
        *(f"    {d.sha256}  {d.size:>10}  {name}" for name, d in sorted(v.files.items())),
        "  load with",
        f'    AutoModel.from_pretrained("{v.repo_id}", subfolder="{v.subfolder}", revision="{v.commit}")',
    ]
    return "\n".join(lines)


def load_variant(name_or_tag: str, **kwargs: Any):
    """Load a released variant by name or tag, pinned to its commit, in strict mode.

    Args:
        name_or_tag: A variant name (newest release) or a release tag.
        **kwargs: Passed to ``from_pretrained`` (``dtype``, ``device_map``, ``cache_dir``...).

    Returns:
        The model (:class:`~lcr_hub.LCRDetector`, ``LCRRefinement`` or ``LCRClassifier``).

    Raises:
        IntegrityError: A downloaded file differs from the release.
        CheckpointError: Unknown name, or the download failed.
    """
    from transformers import AutoModel

    import lcr_hub  # noqa: F401  (registers the LCR classes with AutoModel)

    v = get_variant(name_or_tag)
    return AutoModel.from_pretrained(v.repo_id, subfolder=v.subfolder, revision=v.commit, strict=True, **kwargs)


__all__ = [
    "FileCheck",
    "FileDigest",
    "Variant",
    "VerifiedSource",
    "check_folder",
    "describe_variant",
    "fetch_verified",
    "get_variant",
    "list_variants",
    "load_variant",
    "registry_path",
    "verified_snapshot",
]
