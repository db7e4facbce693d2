"""`lcr-hub evaluate`: the detector and classifier on LCR-format data, as a JSON report."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from .._modules.paths import default_checkpoint
from .._modules.provenance import command_line, file_digests, package_versions
from ..constants import CONFIG_NAME, LEVEL2ID, LEVELS, WEIGHTS_NAME
from ..data import SAMPLE_DATA_PATH, build_detection_dataset, load_lcr_dataset
from ..data import resolve_data_files
from ..pipeline import LCRPipeline
from .metrics import classifier_metrics, detector_metrics


def _model_record(path: str | os.PathLike) -> dict:
    folder = Path(path)
    files = [folder / CONFIG_NAME, folder / WEIGHTS_NAME]
    return {"path": str(folder), "files": {d["path"]: d["sha256"] for d in file_digests(files, folder)}}


def evaluate(
    data: Sequence[str | os.PathLike] | None = None,
    *,
    detector: str | os.PathLike | None = None,
    classifier: str | os.PathLike | None = None,
    batch_size: int = 32,
    device: str = "cpu",
    progress: bool = True,
) -> dict:
    """Evaluate a detector (and a classifier) on LCR rows and their consistent twins.

    The detection set holds every row that has a conflict (label 1) and its consistent twin
    (label 0); the classifier is scored on the conflicting rows. Rows are de-duplicated by id.

    Args:
        data: LCR JSONL files or folders (default: the package's hand-written sample).
        detector: Detector folder (default: the embedded checkpoint).
        classifier: Classifier folder (default: the embedded checkpoint).
        batch_size: Rows per encoder pass.
        device: ``cpu``, ``cuda``, ``cuda:1``...
        progress: Show progress bars.

    Returns:
        The report (see the README for its keys).

    Raises:
        DataError: A data file is missing or has a bad row.
        CheckpointError, ConfigError, EncoderError: A model cannot be loaded.
    """
    data_paths = [Path(p) for p in (data or [SAMPLE_DATA_PATH])]
    files = resolve_data_files(data_paths)
    rows = load_lcr_dataset(files)
    detection = build_detection_dataset(rows)
    detector_path = Path(detector) if detector else default_checkpoint("detector")
    classifier_path = Path(classifier) if classifier else default_checkpoint("classifier")
    pipeline = LCRPipeline.from_pretrained(detector_path, classifier_path, device=device)

    examples = detection.to_list()
    start = time.perf_counter()
    predictions = pipeline.predict(examples, batch_size=batch_size, progress=progress)
    seconds = time.perf_counter() - start

    labels = np.asarray(detection["label"], dtype=int)
    levels = detection["conflict_level"]
    positive = labels == 1
    level_probs = predictions.level_probabilities[positive]
    return {
        "n_rows": len(rows),
        "n_detection_examples": len(detection),
        "detector": detector_metrics(
            labels, predictions.conflict_probability, levels, pipeline.detector.config.threshold
        ),
        "classifier": classifier_metrics(
            [LEVEL2ID[level] for level, p in zip(levels, positive) if p], level_probs
        ),
        "throughput": {
            "examples": len(examples),
            "seconds": seconds,
            "examples_per_s": len(examples) / seconds if seconds > 0 else None,
            "batch_size": batch_size,
            "device": device,
        },
        "models": {"detector": _model_record(detector_path), "classifier": _model_record(classifier_path)},
        "data": {"files": file_digests(files)},
        "versions": package_versions(),
        "command": command_line(),
    }


def format_report(report: dict) -> str:
    """A readable table of an :func:`evaluate` report."""
    d, c = report["detector"], report["classifier"]
    lines = [
        f"rows: {report['n_rows']} (detection examples with consistent twins: {report['n_detection_examples']})",
        "",
        "detector      accuracy  precision  recall     f1",
        f"              {d['accuracy']:8.4f}  {d['precision']:9.4f}  {d['recall']:6.4f}  {d['f1']:6.4f}",
        "",
        "level   n     detector acc   classifier P    R      F1",
    ]
    for level in LEVELS:
        dl = d["per_level"].get(level)
        cl = c["per_level"].get(level)
        if dl is None and cl is None:
            continue
        det = f"{dl['n']:<5d} {dl['accuracy']:12.4f}" if dl else f"{'-':<5} {'-':>12}"
        cls = f"{cl['precision']:13.4f} {cl['recall']:6.4f} {cl['f1']:6.4f}" if cl else ""
        lines.append(f"{level:<7} {det}   {cls}")
    lines += [
        "",
        f"classifier    accuracy {c['accuracy']:.4f}   macro-F1 {c['macro_f1']:.4f}",
        f"throughput    {report['throughput']['examples_per_s']:.1f} examples/s "
        f"({report['throughput']['examples']} examples, batch {report['throughput']['batch_size']}, "
        f"{report['throughput']['device']})",
    ]
    return "\n".join(lines)
