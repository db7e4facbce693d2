"""Detector and classifier metrics, computed with scikit-learn.

Both functions return plain, JSON-serialisable dicts; ``lcr-hub evaluate`` and the
training scripts write them unchanged into their reports and metadata.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from ..constants import CONFLICT_LEVELS


def calibration_errors(outcomes: Sequence[int], probabilities: Sequence[float], n_bins: int = 15) -> tuple[float, float]:
    """Expected and maximum calibration error over equal-width probability bins.

    Each example falls in the bin ``[k/n, (k+1)/n)`` of its probability (1.0 in the last
    bin). ECE is the example-weighted mean over non-empty bins of ``|mean probability -
    observed frequency|``; MCE is the largest such gap.

    Args:
        outcomes: 1 where the predicted event happened (a conflict, for the detector; a
            correct top class, for the classifier), else 0.
        probabilities: The predicted probability of that event.
        n_bins: Number of bins (15 by default).

    Returns:
        ``(ece, mce)``; ``(0.0, 0.0)`` for no examples.

    Example:
        >>> calibration_errors([1, 0], [0.75, 0.25])
        (0.25, 0.25)
    """
    y = np.asarray(outcomes, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if len(y) == 0:
        return 0.0, 0.0
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece, mce = 0.0, 0.0
    for k in np.unique(bins):
        sel = bins == k
        gap = abs(p[sel].mean() - y[sel].mean())
        ece += sel.mean() * gap
        mce = max(mce, gap)
    return float(ece), float(mce)


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
        ``{"n", "threshold", "auroc", "ece", "mce", "brier", "accuracy", "precision",
        "recall", "f1", "per_level": {L: {"n", "accuracy", "predicted_positive_rate"}}}``;
        ``auroc`` is None when only one class is present.

    Example:
        >>> detector_metrics([1, 0], [0.9, 0.2], ["L1", "L1"], 0.6)["accuracy"]
        1.0
    """
    y = np.asarray(labels, dtype=int)
    pred = (np.asarray(probabilities, dtype=float) >= threshold).astype(int)
    lv = np.asarray(levels)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, pred, average="binary", zero_division=0
    )
    per_level = {}
    for level in (lv.code for lv in CONFLICT_LEVELS):
        sel = lv == level
        if sel.any():
            per_level[level] = {
                "n": int(sel.sum()),
                "accuracy": float(accuracy_score(y[sel], pred[sel])),
                "predicted_positive_rate": float(pred[sel].mean()),
            }
    probs = np.asarray(probabilities, dtype=float)
    ece, mce = calibration_errors(y, probs)
    return {
        "n": int(len(y)),
        "threshold": float(threshold),
        "auroc": float(roc_auc_score(y, probs)) if len(set(y.tolist())) == 2 else None,
        "ece": ece,
        "mce": mce,
        "brier": float(brier_score_loss(y, probs)) if len(y) else 0.0,
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
        ``{"n", "ece", "mce", "confusion_matrix", "accuracy", "macro_f1", "per_level": {L:
        {"precision", "recall", "f1", "support"}}}``; macro-F1 averages over the levels
        present in the gold labels; ECE/MCE are of the top-class probability; the confusion
        matrix has gold levels as rows and predicted levels as columns (L1..L4).

    Example:
        >>> import numpy as np
        >>> classifier_metrics([0, 3], np.eye(4)[[0, 3]])["macro_f1"]
        1.0
    """
    y = np.asarray(labels, dtype=int)
    probs = np.asarray(probabilities, dtype=float).reshape(len(y), len(CONFLICT_LEVELS))
    pred = probs.argmax(-1) if len(y) else np.zeros(0, dtype=int)
    present = sorted(set(y.tolist()))
    ids = [level.id for level in CONFLICT_LEVELS]
    precision, recall, f1, support = precision_recall_fscore_support(
        y, pred, labels=ids, zero_division=0
    )
    per_level = {
        CONFLICT_LEVELS[i].code: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i in ids
        if support[i] > 0
    }
    ece, mce = calibration_errors((pred == y).astype(int), probs.max(-1) if len(y) else np.zeros(0))
    return {
        "n": int(len(y)),
        "ece": ece,
        "mce": mce,
        "confusion_matrix": confusion_matrix(y, pred, labels=ids).tolist() if len(y) else [[0] * len(ids)] * len(ids),
        "accuracy": float(accuracy_score(y, pred)) if len(y) else 0.0,
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)) if len(y) else 0.0,
        "per_level": per_level,
    }


def bootstrap_intervals(
    groups: Sequence[str],
    compute: Callable[[np.ndarray], dict[str, float | None]],
    *,
    n: int = 1000,
    seed: int = 42,
    confidence: float = 0.95,
) -> dict[str, list[float]]:
    """Percentile bootstrap confidence intervals, resampling whole groups.

    A row and its consistent twin share a group (the row id), so they are drawn together.

    Args:
        groups: The group of each example.
        compute: Maps an array of example indices to ``{metric: value}``.
        n: Bootstrap replicates (0 returns ``{}``).
        seed: Seed of the resampling.
        confidence: Coverage of the interval.

    Returns:
        ``{metric: [low, high]}`` for every metric that had a value in every replicate.

    Example:
        >>> import numpy as np
        >>> ci = bootstrap_intervals(["a", "b"], lambda i: {"m": float(len(i))}, n=10)
        >>> ci["m"]
        [2.0, 2.0]
    """
    if n <= 0 or len(groups) == 0:
        return {}
    names = sorted(set(groups))
    members = {g: [] for g in names}
    for i, g in enumerate(groups):
        members[g].append(i)
    index = [np.asarray(members[g]) for g in names]
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(n):
        drawn = rng.integers(0, len(names), size=len(names))
        values = compute(np.concatenate([index[k] for k in drawn]))
        for key, value in values.items():
            samples.setdefault(key, []).append(np.nan if value is None else value)
    tail = (1 - confidence) / 2 * 100
    return {
        key: [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))]
        for key, v in samples.items()
        if not np.isnan(v).any()
    }
