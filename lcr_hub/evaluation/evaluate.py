"""`lcr-hub evaluate`: the detector and classifier on LCR-format data, as a JSON report."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..checkpoint import default_checkpoint
from ..constants import PACKAGE_VERSION as __version__
from .._modules.provenance import command_line, file_digests, git_commit, hardware, package_versions
from ..constants import CONFIG_NAME, CONFLICT_LEVELS, ON_DUPLICATE_ERROR, WEIGHTS_NAME, level_by_code
from ..data import SAMPLE_DATA_PATH, build_detection_dataset, load_lcr_data, train_validation_split
from ..errors import DataError, LCRHubError
from ..pipeline import LCRPipeline, LCRPredictions
from .._modules.seeding import seed_everything
from .localization import format_localization, localization_metrics
from .metrics import bootstrap_intervals, classifier_metrics, detector_metrics


def _model_record(path: str | os.PathLike) -> dict:
    folder = Path(path)
    files = [folder / CONFIG_NAME, folder / WEIGHTS_NAME]
    return {"path": str(folder), "files": {d["path"]: d["sha256"] for d in file_digests(files, folder)}}


def _oracle(detection) -> dict:
    """The majority vote over the per-document ``answer`` annotations (no model sees them).

    Predicts a conflict when the annotated answers disagree, and the majority answer as the
    answer. On LCR data this is perfect by construction (``gold_answer`` is the majority
    and twins agree); it is reported as an oracle, not as a baseline a model could match.
    """
    labels, predicted, correct_answer = [], [], []
    for row in detection:
        answers = [d["answer"] for d in row["documents"]]
        labels.append(row["label"])
        predicted.append(int(len(set(answers)) > 1))
        if row["label"] == 1:
            majority = Counter(answers).most_common(1)[0][0]
            correct_answer.append(majority == row["gold_answer"])
    return {
        "note": "oracle: reads the per-document answer annotations, which no model sees",
        "detector_accuracy": float(np.mean(np.asarray(labels) == np.asarray(predicted))) if labels else 0.0,
        "answer_accuracy": float(np.mean(correct_answer)) if correct_answer else 0.0,
    }


_PREDICTION_FIELDS = ("conflict_probability", "conflict_logits", "level_probabilities", "level_logits", "windows_cut",
                      "documents_cut")


def _predict_in_processes(
    pipeline: LCRPipeline, examples: list[dict], batch_size: int, accelerator: Accelerator, progress: bool
) -> LCRPredictions:
    """Run the pipeline's batches across the accelerator's processes; return every row, in order, everywhere.

    The batches are :meth:`LCRPipeline.batches`, fixed before sharding, so each row is padded
    with the same rows whatever the number of processes and its probabilities are the same
    bits. Accelerate deals whole batches to the processes, pads the last round with repeated
    batches, and ``gather_for_metrics`` drops those repeats; the gathered rows are put back in
    their original order and checked to hold each index exactly once.
    """
    batches = pipeline.batches(examples, batch_size)
    loader = accelerator.prepare_data_loader(DataLoader(batches, batch_size=1, collate_fn=list), device_placement=False)
    parts: list[dict] = []
    with tqdm(total=len(examples), desc="Scoring", unit="row", disable=not (progress and accelerator.is_main_process)) as bar:
        for (indices,) in loader:
            predicted = pipeline.predict([examples[i] for i in indices], batch_size=len(indices), progress=False)
            part = {"index": np.asarray(indices), **{k: getattr(predicted, k) for k in _PREDICTION_FIELDS},
                    "pair_logits": predicted.pair_logits}
            gathered = accelerator.gather_for_metrics([part], use_gather_object=True)
            parts.extend(gathered)
            bar.update(sum(len(g["index"]) for g in gathered))
    index = np.concatenate([p["index"] for p in parts]) if parts else np.zeros(0, dtype=int)
    order = np.argsort(index, kind="stable")
    if not np.array_equal(index[order], np.arange(len(examples))):
        raise LCRHubError(
            f"{accelerator.num_processes} processes returned {len(index)} predictions for {len(examples)} examples "
            f"({len(examples) - len(np.unique(index))} missing, {len(index) - len(np.unique(index))} repeated); "
            "report this with the launch command."
        )

    def joined(key: str) -> np.ndarray | None:
        if not parts or parts[0][key] is None:
            return None
        return np.concatenate([p[key] for p in parts])[order]

    probabilities = joined("conflict_probability")
    if probabilities is None:
        probabilities = np.zeros(0)
    pair_logits = [logits for p in parts for logits in (p["pair_logits"] or [None] * len(p["index"]))]
    return LCRPredictions(
        conflict_probability=probabilities,
        detected=probabilities >= pipeline.detector.config.threshold,
        level_probabilities=joined("level_probabilities"),
        conflict_logits=joined("conflict_logits"),
        level_logits=joined("level_logits"),
        **pipeline.localize(examples, [pair_logits[i] for i in order]),
        windows_cut=joined("windows_cut"),
        documents_cut=joined("documents_cut"),
    )


def _input_record(pipeline: LCRPipeline, predictions: LCRPredictions, max_windows: int | None) -> dict:
    """How the rows were read, and how much of them no model saw (the report's ``input``)."""
    config = pipeline.detector.config
    windows_cut = predictions.windows_cut if predictions.windows_cut is not None else np.zeros(0, dtype=int)
    documents_cut = predictions.documents_cut if predictions.documents_cut is not None else np.zeros(0, dtype=int)
    return {
        "mode": getattr(config, "input_mode", None),
        "window_overlap": getattr(config, "window_overlap", None) if pipeline.windowing is not None else None,
        "max_windows": max_windows,
        "examples_with_cuts": int(((windows_cut > 0) | (documents_cut > 0)).sum()),
        "windows_cut": int(windows_cut.sum()),
        "documents_cut": int(documents_cut.sum()),
    }


def evaluate(
    data: Sequence[str | os.PathLike] | None = None,
    *,
    data_revision: str | None = None,
    on_duplicate: str = ON_DUPLICATE_ERROR,
    detector: str | os.PathLike | None = None,
    classifier: str | os.PathLike | None = None,
    split: str = "all",
    validation_fraction: float = 0.2,
    batch_size: int = 32,
    device: str = "cpu",
    bootstrap: int = 1000,
    seed: int = 42,
    plots: str | os.PathLike | None = None,
    deterministic: bool = False,
    progress: bool = True,
    max_windows: int | None = None,
) -> dict | None:
    """Evaluate a detector (and a classifier) on LCR rows and their consistent twins.

    The detection set holds every row that has a conflict (label 1) and its consistent twin
    (label 0); the classifier is scored on the conflicting rows. Rows are de-duplicated by id.

    Launched in several processes (``torchrun``, ``accelerate launch``), each process scores
    a share of the batches; the predictions are gathered with Accelerate and the metrics,
    intervals and plots are computed once, on the main process, on the same arrays in the
    same order as a single process would, so the figures are identical.

    Args:
        data: LCR JSONL files or folders, or Hub dataset repos written
            ``hf://datasets/owner/name[@revision]`` (default: the package's hand-written sample).
        data_revision: Revision of the Hub dataset repos in ``data`` that name none (pin a commit sha).
        on_duplicate: ``"error"`` refuses an id that repeats with different content;
            ``"keep_first"`` keeps its first row (see :func:`~lcr_hub.data.load_lcr_dataset`).
            The report's ``data.duplicates`` says how many rows were dropped.
        detector: Detector folder (default: the embedded checkpoint).
        classifier: Classifier folder (default: the embedded checkpoint).
        split: ``"all"`` scores every row; ``"validation"`` only the validation part of the
            training split (by id, stratified per level, ``seed``, ``validation_fraction``:
            :func:`~lcr_hub.data.train_validation_split`, as training and ``calibrate``).
        validation_fraction: The share of ids in the validation part.
        batch_size: Rows per encoder pass.
        device: ``cpu``, ``cuda``, ``cuda:1``... With several processes, ``cpu`` or each
            process's own GPU (Accelerate's ``device``).
        bootstrap: Replicates of the 95% bootstrap intervals of the headline metrics
            (rows and their twins resampled together; 0 disables).
        seed: Seed of the bootstrap.
        plots: A folder for ``reliability_diagram.png`` (detector) and
            ``confusion_matrix.png`` (classifier).
        deterministic: Ask torch for deterministic kernels (``use_deterministic_algorithms``,
            cuDNN deterministic, no benchmark mode); recorded in the report.
        progress: Show progress bars.
        max_windows: Optional cap on the windows read per row (models with
            ``input_mode="windows"``); the report's ``input`` counts what it dropped (and,
            for joint-sequence checkpoints, the documents truncated away).

    Returns:
        The report (see the README for its keys); None on the other processes of a
        multi-process run.

    Raises:
        DataError: A data file is missing or has a bad row, or no row has a conflict.
        CheckpointError, ConfigError, EncoderError: A model cannot be loaded.
    """
    wall_start = time.perf_counter()
    seed_everything(seed, deterministic=deterministic)
    data_sources = [os.fspath(p) for p in (data or [SAMPLE_DATA_PATH])]  # not Path: it would fold hf://
    loaded = load_lcr_data(data_sources, revision=data_revision, on_duplicate=on_duplicate)
    files, rows = loaded.files, loaded.dataset
    if split == "validation":
        rows = train_validation_split(rows, validation_fraction=validation_fraction, seed=seed)[1]
    elif split != "all":
        raise ValueError(f"split must be 'all' or 'validation', got {split!r}")
    detection = build_detection_dataset(rows)
    if len(detection) == 0:
        raise DataError(
            f"none of the {len(rows)} rows has a conflict (in every row all documents assert the "
            "gold answer). evaluate scores conflicting rows and the consistent twins it builds from "
            "them. Fix: add rows where one or more documents contradict the gold answer.",
            path=", ".join(str(f) for f in files),
        )
    detector_path = Path(detector) if detector else default_checkpoint("detector")
    classifier_path = Path(classifier) if classifier else default_checkpoint("classifier")
    accelerator = Accelerator(cpu=torch.device(device).type == "cpu")
    if accelerator.num_processes > 1 and accelerator.device.type != "cpu":
        device = str(accelerator.device)  # each process on its own GPU
    pipeline = LCRPipeline.from_pretrained(detector_path, classifier_path, device=device, max_windows=max_windows)

    examples = detection.to_list()
    start = time.perf_counter()
    predictions = _predict_in_processes(pipeline, examples, batch_size, accelerator, progress)
    seconds = time.perf_counter() - start
    if not accelerator.is_main_process:
        return None

    labels = np.asarray(detection["label"], dtype=int)
    levels = np.asarray(detection["conflict_level"])
    level_ids = np.asarray([level_by_code(level).id for level in levels])
    threshold = pipeline.detector.config.threshold
    probabilities = predictions.conflict_probability
    level_probs = predictions.level_probabilities

    def measure(index: np.ndarray) -> tuple[dict, dict]:
        positive = index[labels[index] == 1]
        return (
            detector_metrics(labels[index], probabilities[index], levels[index], threshold),
            classifier_metrics(level_ids[positive], level_probs[positive]),
        )

    detector_report, classifier_report = measure(np.arange(len(labels)))

    def headline(index: np.ndarray) -> dict:
        d, c = measure(index)
        return {"detector.accuracy": d["accuracy"], "detector.f1": d["f1"], "detector.auroc": d["auroc"],
                "detector.ece": d["ece"], "classifier.accuracy": c["accuracy"], "classifier.macro_f1": c["macro_f1"]}

    intervals = bootstrap_intervals(detection["id"], headline, n=bootstrap, seed=seed)
    for key, interval in intervals.items():
        component, metric = key.split(".")
        (detector_report if component == "detector" else classifier_report).setdefault("ci95", {})[metric] = interval
    plot_files = {}
    if plots is not None:
        from .plots import confusion_matrix_plot, reliability_diagram

        data_name = ", ".join(Path(p).name for p in data_sources)
        plot_files["reliability_diagram"] = str(reliability_diagram(
            labels, probabilities, Path(plots) / "reliability_diagram.png",
            f"Reliability: detector {detector or 'embedded (checkpoints/detector)'}\non {data_name}",
        ))
        plot_files["confusion_matrix"] = str(confusion_matrix_plot(
            classifier_report["confusion_matrix"], Path(plots) / "confusion_matrix.png",
            f"Confusion: classifier {classifier or 'embedded (checkpoints/classifier)'}\non {data_name}",
        ))
    localization = None
    if predictions.localizations is not None:
        conflicting = np.flatnonzero(labels == 1)
        localization = localization_metrics([examples[i] for i in conflicting],
                                            [predictions.localizations[i] for i in conflicting],
                                            bootstrap=bootstrap, seed=seed)
    return {
        "n_rows": len(rows),
        "split": {"name": split, "validation_fraction": validation_fraction, "seed": seed},
        "plots": plot_files,
        "n_detection_examples": len(detection),
        "detector": detector_report,
        "classifier": classifier_report,
        "localization": localization,
        "oracle_majority_vote": _oracle(detection),
        "input": _input_record(pipeline, predictions, max_windows),
        "bootstrap": {"replicates": bootstrap, "seed": seed, "resampled": "row ids (a row with its twin)"},
        "throughput": {
            "examples": len(examples),
            "seconds": seconds,
            "examples_per_s": len(examples) / seconds if seconds > 0 else None,
            "batch_size": batch_size,
            "device": device,
        },
        "models": {"detector": _model_record(detector_path), "classifier": _model_record(classifier_path)},
        "data": {"files": file_digests(files), "sources": data_sources, "revision": data_revision,
                 "duplicates": loaded.duplicates.as_dict()},
        "versions": package_versions(),
        "command": command_line(),
        "provenance": {
            "lcr_hub_version": __version__,
            "git_commit": git_commit(),
            "seed": seed,
            "deterministic": deterministic,
            "device": device,
            "num_processes": accelerator.num_processes,
            "distributed_type": accelerator.distributed_type.value,
            "hardware": hardware(device),
            "wall_time_s": time.perf_counter() - wall_start,
        },
    }


def _fmt(value: float | None) -> str:
    return "  -   " if value is None else f"{value:.4f}"


def format_report(report: dict) -> str:
    """A readable table of an :func:`evaluate` report."""
    d, c = report["detector"], report["classifier"]
    lines = [
        f"rows: {report['n_rows']} (detection examples with consistent twins: {report['n_detection_examples']})",
        "",
        "detector      accuracy  precision  recall     f1       AUROC    ECE      Brier",
        f"              {d['accuracy']:8.4f}  {d['precision']:9.4f}  {d['recall']:6.4f}  {d['f1']:6.4f}   "
        f"{_fmt(d['auroc'])}   {d['ece']:.4f}   {d['brier']:.4f}",
        "",
        "level   n     detector acc   classifier P    R      F1",
    ]
    for level in (lv.code for lv in CONFLICT_LEVELS):
        dl = d["per_level"].get(level)
        cl = c["per_level"].get(level)
        if dl is None and cl is None:
            continue
        det = f"{dl['n']:<5d} {dl['accuracy']:12.4f}" if dl else f"{'-':<5} {'-':>12}"
        cls = f"{cl['precision']:13.4f} {cl['recall']:6.4f} {cl['f1']:6.4f}" if cl else ""
        lines.append(f"{level:<7} {det}   {cls}")
    lines += [
        "",
        f"classifier    accuracy {c['accuracy']:.4f}   macro-F1 {c['macro_f1']:.4f}   ECE {c['ece']:.4f}",
    ]
    ci = {**{f"detector {k}": v for k, v in d.get("ci95", {}).items()},
          **{f"classifier {k}": v for k, v in c.get("ci95", {}).items()}}
    if ci:
        lines.append(f"95% bootstrap intervals ({report['bootstrap']['replicates']} replicates, rows with their twins):")
        lines += [f"  {name:<24} [{lo:.4f}, {hi:.4f}]" for name, (lo, hi) in ci.items()]
    if report.get("localization"):
        lines += format_localization(report["localization"])
    o = report["oracle_majority_vote"]
    read = report.get("input")
    if read is not None:
        lines.append(
            f"input         {read['mode']}: {read['windows_cut']} windows and {read['documents_cut']} documents "
            f"not read, in {read['examples_with_cuts']} examples (cap: {read['max_windows'] or 'none'})"
        )
    lines += [
        f"oracle (majority vote over the answer annotations no model sees): detector accuracy "
        f"{o['detector_accuracy']:.4f}, answer accuracy {o['answer_accuracy']:.4f}",
        f"throughput    {report['throughput']['examples_per_s']:.1f} examples/s "
        f"({report['throughput']['examples']} examples, batch {report['throughput']['batch_size']}, "
        f"{report['throughput']['device']})",
    ]
    return "\n".join(lines)
