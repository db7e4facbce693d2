"""lcr_hub: LCR (Latent Conflict Refinement) as Hugging Face models.

``import lcr_hub`` registers the three LCR configs and models with ``AutoConfig`` and
``AutoModel``, so that ``AutoModel.from_pretrained("checkpoints/detector")`` returns an
:class:`LCRDetector`.
"""

from __future__ import annotations

from transformers import AutoConfig, AutoModel

from .configuration_lcr import LCRClassifierConfig, LCRDetectorConfig, LCRRefinementConfig
from .errors import (
    CalibrationDriftError,
    CheckpointError,
    ConfigError,
    DataError,
    EncoderError,
    IncompatibleEnvironmentError,
    IntegrityError,
    LCRHubError,
    PublishError,
    UnpinnedRevisionError,
    UnpinnedRevisionWarning,
)
from .modeling_lcr import (
    LCRClassifier,
    LCRClassifierOutput,
    LCRDetector,
    LCRDetectorOutput,
    LCRRefinement,
    LCRRefinementOutput,
)

from .pipeline import LCRPipeline, LCRPredictions
from .facade import CalibrationValidator, LCRModelLoader  # the original release's workflow
from . import hub  # noqa: E402  (released variants, verified loading, publish, convert)
from .system import LCRResult, LCRSystem

__version__ = "0.1.0"

for _config_class, _model_class in (
    (LCRDetectorConfig, LCRDetector),
    (LCRRefinementConfig, LCRRefinement),
    (LCRClassifierConfig, LCRClassifier),
):
    AutoConfig.register(_config_class.model_type, _config_class, exist_ok=True)
    AutoModel.register(_config_class, _model_class, exist_ok=True)

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
    "LCRHubError",
    "DataError",
    "ConfigError",
    "CheckpointError",
    "IntegrityError",
    "EncoderError",
    "PublishError",
    "UnpinnedRevisionError",
    "UnpinnedRevisionWarning",
    "CalibrationDriftError",
    "IncompatibleEnvironmentError",
    "LCRModelLoader",
    "CalibrationValidator",
    "hub",
    "__version__",
]
