"""Evaluation of LCR models: metrics, calibration, reports, and validation against recorded references.

Here *validate* means one thing: recompute a model's outputs (and calibration figures) and
compare them with the reference recorded beside its weights (``lcr-hub validate``,
:mod:`lcr_hub.evaluation.reference`). Comparing files with sha256 digests is *verify*
(:mod:`lcr_hub.hub`); whether this machine can run LCR is *check* (``lcr-hub env``).

Example:
    >>> from lcr_hub.evaluation import classifier_metrics
    >>> classifier_metrics([0, 1], [[0.9, 0.1, 0.0, 0.0], [0.2, 0.8, 0.0, 0.0]])["accuracy"]
    1.0
"""

from .metrics import bootstrap_intervals, calibration_errors, classifier_metrics, detector_metrics

__all__ = ["bootstrap_intervals", "calibration_errors", "classifier_metrics", "detector_metrics"]
