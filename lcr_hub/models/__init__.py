"""The three LCR models and their configs: torch + transformers only, uploadable as remote code.

``configuration_lcr.py`` and ``modeling_lcr.py`` (with ``lcr_hub/constants.py`` and
``lcr_hub/errors.py`` beside them) are what a published checkpoint carries for
``trust_remote_code=True``; they know nothing of the Hub.
"""

from .configuration_lcr import LCRClassifierConfig, LCRDetectorConfig, LCRRefinementConfig
from .modeling_lcr import (
    LCRClassifier,
    LCRClassifierOutput,
    LCRDetector,
    LCRDetectorOutput,
    LCRRefinement,
    LCRRefinementOutput,
)

__all__ = [
    "LCRClassifier",
    "LCRClassifierConfig",
    "LCRClassifierOutput",
    "LCRDetector",
    "LCRDetectorConfig",
    "LCRDetectorOutput",
    "LCRRefinement",
    "LCRRefinementConfig",
    "LCRRefinementOutput",
]
