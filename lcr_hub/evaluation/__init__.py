"""Evaluation of LCR models: metrics and reports."""

from .metrics import classifier_metrics, detector_metrics

__all__ = ["classifier_metrics", "detector_metrics"]
