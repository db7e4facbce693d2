"""Evaluation of LCR models: metrics and reports."""

from .metrics import bootstrap_intervals, calibration_errors, classifier_metrics, detector_metrics

__all__ = ["bootstrap_intervals", "calibration_errors", "classifier_metrics", "detector_metrics"]
