"""Detector and classifier metrics, computed with scikit-learn.

Both functions return plain, JSON-serialisable dicts; ``lcr-hub evaluate`` and the
training scripts write them unchanged into their reports and metadata.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from ..constants import LEVELS


def detector_metrics(
    labels: Sequence[int], probabilities: Sequence[float], levels: Sequence[str], threshold: float
) -> dict:
    """Binary conflict-detection metrics.

    Args:
        labels: 1 for a conflicting row, 0 for its consistent twin.
        probabilities: The detector's probability per example.
        levels: The conflict level (``L1``..``L4``) of each example's row.
        threshold: Probability at or above which a conflict is predicted.

    Returns:
        ``{"n", "accuracy", "precision", "recall", "f1", "per_level": {L: {"n", "accuracy",
        "predicted_positive_rate"}}}``.

    Example:
        ```python
        >>> detector_metrics([1, 0], [0.9, 0.2], ["L1", "L1"], 0.6)["accuracy"]
        1.0
        ```
    """
    y = np.asarray(labels, dtype=int)
    pred = (np.asarray(probabilities, dtype=float) >= threshold).astype(int)
    lv = np.asarray(levels)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, pred, average="binary", zero_division=0
    )
    per_level = {}
    for level in LEVELS:
        sel = lv == level
        if sel.any():
            per_level[level] = {
                "n": int(sel.sum()),
                "accuracy": float(accuracy_score(y[sel], pred[sel])),
                "predicted_positive_rate": float(pred[sel].mean()),
            }
    return {
        "n": int(len(y)),
        "threshold": float(threshold),
        "accuracy": float(accuracy_score(y, pred)) if len(y) else 0.0,
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "per_level": per_level,
    }


def classifier_metrics(labels: Sequence[int], probabilities: np.ndarray) -> dict:
    """Four-way taxonomy metrics.

    Args:
        labels: Gold level ids (0..3).
        probabilities: ``(n, 4)`` class probabilities.

    Returns:
        ``{"n", "accuracy", "macro_f1", "per_level": {L: {"precision", "recall", "f1",
        "support"}}}``; macro-F1 averages over the levels present in the gold labels.

    Example:
        ```python
        >>> import numpy as np
        >>> classifier_metrics([0, 3], np.eye(4)[[0, 3]])["macro_f1"]
        1.0
        ```
    """
    y = np.asarray(labels, dtype=int)
    probs = np.asarray(probabilities, dtype=float).reshape(len(y), len(LEVELS))
    pred = probs.argmax(-1) if len(y) else np.zeros(0, dtype=int)
    present = sorted(set(y.tolist()))
    ids = list(range(len(LEVELS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y, pred, labels=ids, zero_division=0
    )
    per_level = {
        LEVELS[i]: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i in ids
        if support[i] > 0
    }
    return {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)) if len(y) else 0.0,
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)) if len(y) else 0.0,
        "per_level": per_level,
    }
