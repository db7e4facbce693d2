"""Training of the LCR heads on a frozen base: detector and classifier (``runs``, ``heads``),
refinement module (``refinement``). Nothing below this package imports it.
"""

from .heads import (
    DETECTOR_MIXER_LEARNING_RATE,
    DETECTOR_MIXING_LAYERS,
    PAIR_LOSS_WEIGHT,
    copy_bert_layer,
    document_pair_targets,
    new_detector,
    train_head,
)
from .runs import TrainingRun, train_detector, train_embedded_classifier

# The public API; the hyper-parameter constants, copy_bert_layer and new_detector stay importable for
# scripts and tests.
__all__ = [
    "TrainingRun",
    "document_pair_targets",
    "train_detector",
    "train_embedded_classifier",
    "train_head",
]
