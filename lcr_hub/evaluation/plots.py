"""PNG plots of an evaluation: the detector's reliability diagram, the classifier's confusion matrix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .._modules.atomic import atomic_path
from ..constants import CONFLICT_LEVELS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def reliability_diagram(
    labels: Sequence[int], probabilities: Sequence[float], path: str | os.PathLike, title: str, n_bins: int = 15
) -> Path:
    """Write the detector's reliability diagram (observed conflict rate per probability bin).

    Args:
        labels: 1 for a conflict, 0 for a consistent twin.
        probabilities: The detector's probabilities.
        path: The PNG to write.
        title: Plot title (name the model and the data).
        n_bins: Equal-width bins, as for the ECE.

    Returns:
        The path written.
    """
    plt = _pyplot()
    y = np.asarray(labels, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    centers = (np.arange(n_bins) + 0.5) / n_bins
    observed = np.array([y[bins == k].mean() if (bins == k).any() else np.nan for k in range(n_bins)])
    counts = np.array([(bins == k).sum() for k in range(n_bins)])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    top.bar(centers, np.nan_to_num(observed), width=1 / n_bins, edgecolor="black", alpha=0.7, label="observed conflict rate")
    top.set_ylabel("fraction of conflicts")
    top.set_ylim(0, 1)
    top.legend(loc="upper left")
    top.set_title(title)
    bottom.bar(centers, counts, width=1 / n_bins, edgecolor="black", color="tab:orange")
    bottom.set_xlabel("predicted conflict probability")
    bottom.set_ylabel("examples")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    return _save(fig, path, plt)


def confusion_matrix_plot(matrix: Sequence[Sequence[int]], path: str | os.PathLike, title: str) -> Path:
    """Write the classifier's confusion matrix (gold levels as rows, predictions as columns).

    Args:
        matrix: 4x4 counts, as in ``classifier_metrics(...)["confusion_matrix"]``.
        path: The PNG to write.
        title: Plot title (name the model and the data).

    Returns:
        The path written.
    """
    plt = _pyplot()
    m = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(m, cmap="Blues")
    fig.colorbar(image, ax=ax)
    labels = [level.label for level in CONFLICT_LEVELS]
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted level")
    ax.set_ylabel("gold level")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path, plt)


def _save(fig, path: str | os.PathLike, plt) -> Path:
    path = Path(path)
    try:
        with atomic_path(path) as temp:  # a unique name: concurrent evaluations may plot to one folder
            fig.savefig(temp, dpi=100)
    finally:
        plt.close(fig)
    return path
