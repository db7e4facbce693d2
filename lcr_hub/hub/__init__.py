"""Hub hosting of the LCR checkpoints: released variants, verified loading, publishing, legacy conversion.

Three verbs, one meaning each, across lcr_hub:

- **verify**: compare the sha256 of files with recorded digests (the registry, a
  ``checksums.sha256`` manifest, ``weights_sha256``): :func:`verify_folder`,
  :func:`~lcr_hub.hub.loading.verify_local_checkpoint`, ``lcr-hub verify``.
- **validate**: compare a model's outputs and calibration figures with the reference
  recorded beside its weights: :mod:`lcr_hub.evaluation.reference`, ``lcr-hub validate``.
- **check**: whether this machine can run LCR (Python, packages, device, dtype):
  :func:`lcr_hub.env.compatibility_report`, ``lcr-hub env``.

The original release's names in :mod:`lcr_hub.compat` (``validate_environment``...) are kept
as that release documented them.

Example:
    >>> from lcr_hub.hub import list_variants, load_variant
    >>> sorted({v.name for v in list_variants()})
    ['classifier/minilm', 'detector/minilm', 'detector/smollm2_135m_instruct', 'refinement/smollm2_135m_instruct']
    >>> detector = load_variant("detector/minilm")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from .loading import VerifiedSource, fetch_verified, verified_snapshot
from .registry import FileDigest, Variant, get_variant, list_variants
from .verify import FileCheck, verify_folder


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
    """Load a released variant by name or tag, pinned to its commit (``require_pinned=True``).

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

    # AutoModel knows the LCR classes: importing lcr_hub.hub ran lcr_hub/__init__.py, which registers them.

    v = get_variant(name_or_tag)
    return AutoModel.from_pretrained(v.repo_id, subfolder=v.subfolder, revision=v.commit, require_pinned=True, **kwargs)


__all__ = [
    "FileCheck",
    "FileDigest",
    "Variant",
    "VerifiedSource",
    "describe_variant",
    "fetch_verified",
    "get_variant",
    "list_variants",
    "load_variant",
    "verified_snapshot",
    "verify_folder",
]
