"""lcr_hub: LCR (Latent Conflict Refinement) as Hugging Face models.

``import lcr_hub`` registers the three LCR configs and models with ``AutoConfig`` and
``AutoModel`` (so that ``AutoModel.from_pretrained(folder)`` of an LCR checkpoint returns an
:class:`LCRDetector`, :class:`LCRRefinement` or :class:`LCRClassifier`) and makes their
``from_pretrained`` verify every file's sha256 before anything is deserialised. Everything
else is imported on first use.

Layers (each imports only from those above it): ``constants``, ``errors``, ``_hashing`` ->
``models`` -> ``data`` -> ``encoding`` -> ``checkpoint``, ``cards`` -> ``hub`` ->
``localization`` -> ``pipeline``, ``system``, ``env`` -> ``evaluation``, ``detect`` -> ``training`` -> ``compat`` -> ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .constants import PACKAGE_VERSION as __version__

_LAZY = {
    "LCRPipeline": ".pipeline",
    "LCRPredictions": ".pipeline",
    "LCRSystem": ".system",
    "LCRResult": ".system",
}

from .models import (  # noqa: E402  (registration below needs the classes)
    LCRClassifier,
    LCRClassifierConfig,
    LCRClassifierOutput,
    LCRDetector,
    LCRDetectorConfig,
    LCRDetectorOutput,
    LCRRefinement,
    LCRRefinementConfig,
    LCRRefinementOutput,
)

if TYPE_CHECKING:
    from .pipeline import LCRPipeline, LCRPredictions
    from .system import LCRResult, LCRSystem


def _verified_source(name_or_path: Any, kwargs: dict[str, Any]) -> Any:
    """The models' ``source_resolver``: lcr_hub.hub's verified download, imported on first load."""
    from .hub.loading import resolve_verified

    return resolve_verified(name_or_path, kwargs)


def _register() -> None:
    from transformers import AutoConfig, AutoModel

    from .models.modeling_lcr import _LCRPreTrainedModel

    for config_class, model_class in (
        (LCRDetectorConfig, LCRDetector),
        (LCRRefinementConfig, LCRRefinement),
        (LCRClassifierConfig, LCRClassifier),
    ):
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        AutoModel.register(config_class, model_class, exist_ok=True)
    _LCRPreTrainedModel.source_resolver = staticmethod(_verified_source)
    from .hub.guard import install_download_guard

    install_download_guard()  # AutoConfig/AutoModel downloads of a pinned release are checked too


_register()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lcr_hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "LCRDetectorConfig",
    "LCRRefinementConfig",
    "LCRClassifierConfig",
    "LCRDetector",
    "LCRRefinement",
    "LCRClassifier",
    "LCRDetectorOutput",
    "LCRRefinementOutput",
    "LCRClassifierOutput",
    "LCRPipeline",
    "LCRPredictions",
    "LCRSystem",
    "LCRResult",
    "__version__",
]
