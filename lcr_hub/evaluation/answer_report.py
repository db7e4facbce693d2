"""``lcr-hub evaluate-answers``: load the system and data, run the strategies, report, plot.

Example:
    >>> print(format_answer_table({"plain": {"L1": {"n": 2, "accuracy": 0.5, "accuracy_ci": [0.0, 1.0],
    ...     "minority_rate": 0.5, "tokens_per_row": 4.0, "seconds_per_row": 1.0}}}))  # doctest: +NORMALIZE_WHITESPACE
    strategy          level   n  accuracy [95% CI]   diff vs plain [95% CI]  minority  tokens/row  s/row
    plain             L1      2  0.50 [0.00, 1.00]   -                       0.50      4.0         1.00
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from .._modules.provenance import command_line, file_digests, git_commit, hardware, package_versions
from ..bases import read_provenance
from ..checkpoint import default_checkpoint
from ..constants import CONFIG_NAME, ON_DUPLICATE_ERROR, WEIGHTS_NAME
from ..data import load_lcr_dataset, resolve_data_files, train_validation_split
from ..errors import ConfigError
from ..system import LCRSystem
from .answers import STRATEGIES, run_strategies, summarize

__all__ = ["evaluate_answers", "format_answer_table", "answer_plot"]


def _model_record(path: str | os.PathLike) -> dict:
    folder = Path(path)
    files = [p for p in (folder / CONFIG_NAME, folder / WEIGHTS_NAME) if p.is_file()]
    return {"path": str(folder), "files": {d["path"]: d["sha256"] for d in file_digests(files, folder)}}


def evaluate_answers(
    base: str,
    detector: str,
    refinement: str,
    *,
    classifier: str | None = None,
    data: Sequence[str],
    strategies: Sequence[str] = STRATEGIES,
    split: str = "all",
    validation_fraction: float = 0.2,
    limit: int | None = None,
    max_new_tokens: int = 24,
    batch_size: int = 8,
    seed: int = 42,
    bootstrap: int = 1000,
    on_duplicate: str = ON_DUPLICATE_ERROR,
    plot: str | os.PathLike | None = None,
    progress: bool = True,
    device: str = "cpu",
) -> dict:
    """Run the answer evaluation and return its report (what ``lcr-hub evaluate-answers`` writes).

    Args:
        base: The causal LM (a prepared base folder, a Hub id or a folder).
        detector, refinement: Trained on that base's ``hidden_states[layer_index]``.
        classifier: The taxonomy classifier that routes (default: the embedded one).
        data: LCR .jsonl files or folders.
        strategies: Subset of :data:`~lcr_hub.evaluation.answers.STRATEGIES`.
        split: ``"all"`` answers every row; ``"validation"`` only the validation part of the
            training split (by id, stratified per level, ``seed``, ``validation_fraction``:
            :func:`~lcr_hub.data.train_validation_split`, as training uses it).
        validation_fraction: Share of the ids in the validation part.
        limit: Only the first ``limit`` rows (after de-duplication and the split).
        max_new_tokens, batch_size, seed: Generation settings.
        bootstrap: Bootstrap replicates of the intervals (0: none).
        on_duplicate: As :func:`lcr_hub.data.load_lcr_dataset`.
        plot: Write the accuracy-per-level plot here (PNG).
        progress: Progress bars.
        device: Torch device of the base.

    Returns:
        ``{"command", "settings", "base", "models", "data", "versions", "hardware", "summary",
        "rows"}``; ``summary`` is :func:`~lcr_hub.evaluation.answers.summarize`.
    """
    files = resolve_data_files(data)
    dataset = load_lcr_dataset(files, on_duplicate=on_duplicate)
    if split == "validation":
        dataset = train_validation_split(dataset, validation_fraction=validation_fraction, seed=seed)[1]
    elif split != "all":
        raise ConfigError(f"split must be 'all' or 'validation', got {split!r}.")
    rows = dataset.to_list()[:limit]
    classifier = classifier or str(default_checkpoint("classifier"))
    start = time.perf_counter()
    system = LCRSystem.from_pretrained(base, detector, refinement, classifier, device=device)
    load_seconds = time.perf_counter() - start
    results = run_strategies(system, rows, strategies, max_new_tokens=max_new_tokens, batch_size=batch_size,
                             seed=seed, progress=progress)
    summary = summarize(rows, results, bootstrap=bootstrap, seed=seed)
    report = {
        "command": command_line(),
        "git_commit": git_commit(),
        "settings": {"strategies": list(strategies), "split": split, "validation_fraction": validation_fraction,
                     "limit": limit, "max_new_tokens": max_new_tokens,
                     "batch_size": batch_size, "seed": seed, "bootstrap": bootstrap, "device": device,
                     "self_consistency_samples": system.classifier.config.self_consistency_samples,
                     "self_consistency_temperature": system.classifier.config.self_consistency_temperature,
                     "load_seconds": load_seconds},
        "base": {"path": base, "revision": system.base.revision, "provenance": read_provenance(base)},
        "models": {"detector": _model_record(detector), "refinement": _model_record(refinement),
                   "classifier": _model_record(classifier)},
        "data": file_digests(files),
        "versions": package_versions(),
        "hardware": hardware(device),
        "summary": summary,
        "rows": [
            {"id": row["id"], "level": row["conflict_level"], "gold_answer": row["gold_answer"],
             **{name: {k: v for k, v in results[name][i].items()} for name in results}}
            for i, row in enumerate(rows)
        ],
    }
    if plot is not None:
        report["plot"] = str(answer_plot(summary, plot))
    return report


def _ci(entry: Mapping, key: str) -> str:
    interval = entry.get(f"{key}_ci")
    return "" if not interval else f" [{interval[0]:.2f}, {interval[1]:.2f}]"


def format_answer_table(summary: Mapping[str, Mapping[str, Mapping]]) -> str:
    """The summary as a fixed-width text table (one line per strategy and level)."""
    lines = [f"{'strategy':<17} {'level':<5} {'n':>3}  {'accuracy [95% CI]':<19} {'diff vs plain [95% CI]':<23} "
             f"{'minority':<9} {'tokens/row':<11} s/row"]
    for name, levels in summary.items():
        for level, e in levels.items():
            diff = f"{e['difference_vs_plain']:+.2f}{_ci(e, 'difference_vs_plain')}" if "difference_vs_plain" in e else "-"
            lines.append(f"{name:<17} {level:<5} {e['n']:>3}  {e['accuracy']:.2f}{_ci(e, 'accuracy'):<15} {diff:<23} "
                         f"{e['minority_rate']:<9.2f} {e['tokens_per_row']:<11.1f} {e['seconds_per_row']:.2f}")
    return "\n".join(lines)


def answer_plot(summary: Mapping[str, Mapping[str, Mapping]], path: str | os.PathLike) -> Path:
    """Accuracy per level (bars) per strategy, with the 95% intervals as error bars (PNG)."""
    from .plots import _pyplot, _save

    plt = _pyplot()
    strategies = list(summary)
    levels = [level for level in next(iter(summary.values()))]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(levels), 4))
    width = 0.8 / max(len(strategies), 1)
    for s, name in enumerate(strategies):
        x = np.arange(len(levels)) + (s - (len(strategies) - 1) / 2) * width
        values = [summary[name][level]["accuracy"] for level in levels]
        low = [v - (summary[name][level].get("accuracy_ci") or [v, v])[0] for v, level in zip(values, levels)]
        high = [(summary[name][level].get("accuracy_ci") or [v, v])[1] - v for v, level in zip(values, levels)]
        ax.bar(x, values, width, yerr=[low, high], capsize=2, label=name)
    ax.set_xticks(np.arange(len(levels)), levels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("answer accuracy")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return _save(fig, path, plt)
