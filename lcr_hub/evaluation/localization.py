"""Localisation metrics: does the detector point at the documents that disagree?

On annotated LCR rows, a document's ``answer`` says which value it asserts; the documents
whose answer differs from ``gold_answer`` (the majority's value) are the **minority**. On each
conflicting row with at least three documents (with two, no side is a minority):

- **top-pair hit**: the most conflicting pair holds one minority and one majority document;
- **minority-document accuracy**: the highest-scoring document holds a minority value.

Both per level, with percentile-bootstrap intervals over rows
(:func:`~lcr_hub.evaluation.metrics.bootstrap_intervals`), and the calibration (ECE) of the
pair probabilities against "the two documents' answers differ".

Example:
    >>> from lcr_hub.localization import localize
    >>> row = {"id": "r", "conflict_level": "L1", "gold_answer": "1911",
    ...        "documents": [{"answer": "1911"}, {"answer": "1914"}, {"answer": "1911"}]}
    >>> loc = localize([3.0, -2.0, 2.5], [0, 1, 2])  # (0,1) (0,2) (1,2)
    >>> m = localization_metrics([row], [loc], bootstrap=0)
    >>> m["top_pair_hit_rate"], m["minority_document_accuracy"]
    (1.0, 1.0)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..constants import CONFLICT_LEVELS, MIN_DOCUMENTS_FOR_MINORITY
from ..localization import Localization
from .metrics import bootstrap_intervals, calibration_errors

__all__ = ["localization_metrics"]

_METRICS = ("top_pair_hit_rate", "minority_document_accuracy")


def _minority(row: Mapping[str, Any]) -> np.ndarray:
    """``(documents,)`` bool: the documents whose annotated answer is not the gold (majority) answer."""
    return np.asarray([d["answer"] != row["gold_answer"] for d in row["documents"]], dtype=bool)


def _summary(hits: np.ndarray, correct: np.ndarray, levels: np.ndarray, index: np.ndarray) -> dict[str, float | None]:
    """``{metric, "L1.metric", ...}`` on the examples ``index``; None for an empty selection."""
    out: dict[str, float | None] = {}
    for prefix, sel in [("", index)] + [(f"{lv.code}.", index[levels[index] == lv.code]) for lv in CONFLICT_LEVELS]:
        out[f"{prefix}top_pair_hit_rate"] = float(hits[sel].mean()) if len(sel) else None
        out[f"{prefix}minority_document_accuracy"] = float(correct[sel].mean()) if len(sel) else None
    return out


def localization_metrics(
    rows: Sequence[Mapping[str, Any]],
    localizations: Sequence[Localization],
    *,
    bootstrap: int = 1000,
    seed: int = 42,
) -> dict[str, Any]:
    """Top-pair hit rate, minority-document accuracy (per level, with intervals) and pair ECE.

    Args:
        rows: Annotated LCR rows (``id``, ``conflict_level``, ``gold_answer``, ``documents``
            with ``answer``); rows without a conflict or with fewer than three documents are
            counted as left out.
        localizations: The detector's localisation of each row, in the same order.
        bootstrap: Bootstrap replicates (rows resampled by ``id``; 0: no intervals).
        seed: Seed of the bootstrap.

    Returns:
        ``{"n", "n_left_out", "top_pair_hit_rate", "minority_document_accuracy",
        "pair_ece", "pair_mce", "n_pairs", "ci95": {metric: [lo, hi]}, "per_level": {L: {"n",
        metric..., "ci95": {...}}}}``; the rates are None when no row qualifies.
    """
    hits, correct, levels, ids = [], [], [], []
    pair_outcomes, pair_probabilities = [], []
    left_out = 0
    for row, loc in zip(rows, localizations):
        minority = _minority(row)
        for (i, j), p in zip(loc.pairs, loc.pair_probabilities):
            pair_outcomes.append(int(row["documents"][i]["answer"] != row["documents"][j]["answer"]))
            pair_probabilities.append(float(p))
        if not minority.any() or len(minority) < MIN_DOCUMENTS_FOR_MINORITY:
            left_out += 1
            continue
        i, j = loc.pairs[int(np.argmax(loc.pair_probabilities))]
        hits.append(bool(minority[i] != minority[j]))
        correct.append(bool(minority[int(np.argmax(loc.document_scores))]))
        levels.append(row["conflict_level"])
        ids.append(str(row["id"]))
    hit_array, correct_array, level_array = np.asarray(hits, bool), np.asarray(correct, bool), np.asarray(levels)
    everything = np.arange(len(hits))
    values = _summary(hit_array, correct_array, level_array, everything)
    intervals = bootstrap_intervals(
        ids, lambda index: _summary(hit_array, correct_array, level_array, index), n=bootstrap, seed=seed
    )
    ece, mce = calibration_errors(pair_outcomes, pair_probabilities)
    per_level = {}
    for level in (lv.code for lv in CONFLICT_LEVELS):
        n = int((level_array == level).sum())
        if n:
            per_level[level] = {"n": n, **{m: values[f"{level}.{m}"] for m in _METRICS},
                                "ci95": {m: intervals[f"{level}.{m}"] for m in _METRICS if f"{level}.{m}" in intervals}}
    return {
        "n": len(hits),
        "n_left_out": left_out,
        **{m: values[m] for m in _METRICS},
        "ci95": {m: intervals[m] for m in _METRICS if m in intervals},
        "pair_ece": ece,
        "pair_mce": mce,
        "n_pairs": len(pair_outcomes),
        "per_level": per_level,
        "rule": f"conflicting rows with >= {MIN_DOCUMENTS_FOR_MINORITY} documents; minority: answer != gold_answer",
    }


def format_localization(metrics: Mapping[str, Any]) -> list[str]:
    """The lines of ``evaluate``'s table for :func:`localization_metrics`."""
    def cell(value: float | None, interval: Sequence[float] | None) -> str:
        if value is None:
            return "-"
        return f"{value:.4f}" + (f" [{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")

    ci = metrics.get("ci95", {})
    lines = [
        f"localisation  ({metrics['n']} conflicting rows with >= {MIN_DOCUMENTS_FOR_MINORITY} documents; "
        f"{metrics['n_left_out']} rows left out; 95% intervals)",
        f"  top-pair hit rate           {cell(metrics['top_pair_hit_rate'], ci.get('top_pair_hit_rate'))}",
        f"  minority-document accuracy  {cell(metrics['minority_document_accuracy'], ci.get('minority_document_accuracy'))}",
        f"  pair ECE {metrics['pair_ece']:.4f} ({metrics['n_pairs']} pairs: 'the two answers differ')",
    ]
    for level, v in metrics["per_level"].items():
        lines.append(f"  {level:<4} n={v['n']:<5} top pair {cell(v['top_pair_hit_rate'], v['ci95'].get('top_pair_hit_rate'))}"
                     f"   minority {cell(v['minority_document_accuracy'], v['ci95'].get('minority_document_accuracy'))}")
    return lines
