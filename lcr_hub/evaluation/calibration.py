"""Temperature scaling: fit the detector's and the classifier's temperature by minimising NLL."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..checkpoint import default_checkpoint, read_checkpoint, retemper
from .._modules.provenance import command_line, file_digests
from ..constants import ON_DUPLICATE_ERROR, level_by_code
from ..data import build_detection_dataset, load_lcr_data, train_validation_split
from ..errors import CalibrationFitError, CheckpointError, DataError
from ..pipeline import LCRPipeline
from .metrics import calibration_errors
from .reference import reference_record


def negative_log_likelihood(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0) -> float:
    """Mean NLL of ``targets`` under ``logits / temperature``.

    Args:
        logits: ``(n,)`` binary logits (targets 0/1) or ``(n, k)`` class logits (targets ids).
        targets: The targets.
        temperature: The temperature applied to the logits.

    Returns:
        The mean negative log-likelihood.
    """
    x = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    return float(_nll(x / temperature, torch.as_tensor(np.asarray(targets))))


def _nll(scaled: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if scaled.dim() == 1:
        return torch.nn.functional.binary_cross_entropy_with_logits(scaled, targets.double())
    return torch.nn.functional.cross_entropy(scaled, targets.long())


def fit_temperature(logits: np.ndarray, targets: np.ndarray, *, max_iter: int = 200) -> float:
    """The temperature ``T > 0`` minimising the NLL of ``targets`` under ``logits / T``.

    Optimises ``log T`` with L-BFGS (so ``T`` stays positive), starting from ``T = 1``.

    Args:
        logits: ``(n,)`` binary or ``(n, k)`` class logits.
        targets: 0/1 labels or class ids.
        max_iter: L-BFGS iterations.

    Returns:
        The fitted temperature.

    Example:
        >>> import numpy as np
        >>> logits = np.array([8.0, -8.0, 8.0, -8.0]); targets = np.array([1, 0, 0, 1])
        >>> fit_temperature(logits, targets) > 1  # overconfident logits get a larger T
        True
    """
    x = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(targets))
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = _nll(x / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def _scores(logits: np.ndarray, targets: np.ndarray, temperature: float) -> dict:
    if logits.ndim == 1:
        probs = 1 / (1 + np.exp(-logits / temperature))
        ece, mce = calibration_errors(targets, probs)
    else:
        z = logits / temperature
        z = np.exp(z - z.max(-1, keepdims=True))
        probs = z / z.sum(-1, keepdims=True)
        ece, mce = calibration_errors((probs.argmax(-1) == targets).astype(int), probs.max(-1))
    return {"temperature": temperature, "nll": negative_log_likelihood(logits, targets, temperature), "ece": ece, "mce": mce}


def separates(logits: np.ndarray, targets: np.ndarray) -> bool:
    """Whether ``logits`` classify every example correctly (binary: sign; classes: argmax).

    Then the NLL of ``logits / T`` keeps falling as ``T -> 0`` and has no minimum at any
    ``T > 0``: a temperature cannot be fitted, only driven to the optimiser's limit.
    """
    logits, targets = np.asarray(logits), np.asarray(targets)
    if logits.ndim == 1:
        return bool(np.all((logits > 0) == (targets == 1)))
    return bool(np.all(logits.argmax(-1) == targets))


def _halves(groups: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of the example indices, whole groups (an LCR id and its twin) together."""
    unique = sorted(set(groups))
    random.Random(seed).shuffle(unique)
    first = set(unique[: len(unique) // 2])
    in_first = np.asarray([g in first for g in groups])
    return np.flatnonzero(in_first), np.flatnonzero(~in_first)


def cross_fitted(logits: np.ndarray, targets: np.ndarray, groups: Sequence[str], current: float, seed: int) -> dict:
    """Out-of-sample check of temperature scaling by two-fold cross-fitting.

    The temperature is fitted on one half of the examples and scored on the other, both
    ways; the held-out scores of both halves are pooled. ``before`` scores the same
    examples at the ``current`` temperature.

    Args:
        logits, targets: As for :func:`fit_temperature`.
        groups: One group key per example; a group never straddles the halves.
        current: The checkpoint's temperature now.
        seed: Seeds the halves.

    Returns:
        ``{"temperatures": [T fitted on half 1, on half 2], "before": {...}, "after": {...}}``
        with ``nll``, ``ece`` and ``mce`` each.
    """
    logits, targets = np.asarray(logits), np.asarray(targets)
    halves = _halves(groups, seed)
    temperatures = [fit_temperature(logits[fit], targets[fit]) for fit in halves]
    scale = np.empty(len(targets))
    for held_out, temperature in zip(halves[::-1], temperatures):
        scale[held_out] = temperature
    shape = (-1,) + (1,) * (logits.ndim - 1)
    after = _scores(logits / scale.reshape(shape), targets, 1.0)
    before = _scores(logits, targets, current)
    drop = ("temperature",)
    return {
        "temperatures": temperatures,
        "before": {k: v for k, v in before.items() if k not in drop},
        "after": {k: v for k, v in after.items() if k not in drop},
    }


def calibrate(
    data: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    *,
    detector: str | os.PathLike | None = None,
    classifier: str | os.PathLike | None = None,
    split: str = "all",
    validation_fraction: float = 0.2,
    seed: int = 42,
    batch_size: int = 32,
    device: str = "cpu",
    progress: bool = True,
    on_duplicate: str = ON_DUPLICATE_ERROR,
    force: bool = False,
) -> dict:
    """Fit both models' temperatures on LCR data and write calibrated copies.

    The detector's temperature is fitted on every conflicting row and its consistent twin,
    the classifier's on the conflicting rows. Weights are copied unchanged; only
    ``calibration_temperature`` in ``config.json`` changes, and the metadata gains a
    ``calibration`` record (data digests, before/after NLL, ECE and MCE, the command); each copy
    is written by :func:`lcr_hub.checkpoint.retemper` (with its own ``checksums.sha256``).

    Args:
        data: LCR files or folders.
        output: Folder receiving ``detector/`` and ``classifier/``.
        detector: Detector folder (default: the embedded one).
        classifier: Classifier folder (default: the embedded one).
        split: ``"all"`` uses every row; ``"validation"`` uses the validation part of the
            training split (by id, stratified per level, ``seed``, ``validation_fraction``),
            i.e. the rows the embedded training never saw.
        validation_fraction, seed: The split (as in training).
        batch_size, device, progress: As for evaluation.
        on_duplicate: ``"keep_first"`` keeps the first row of an id that repeats with different
            content instead of refusing the data (see :func:`~lcr_hub.data.load_lcr_dataset`).
        force: Write the copies even when a fitted temperature makes the two-fold cross-fitted
            (held-out) NLL or ECE worse; otherwise that is refused before anything is written.

    Returns:
        ``{"detector": record, "classifier": record}``.

    Raises:
        CheckpointError: ``output`` is one of the source folders.
        CalibrationFitError: A fit is worse out of sample and ``force`` is false.
        DataError: A data file is missing or has a bad row, or no row (of the split) has a
            conflict; raised before any model loads.
    """
    detector_path = Path(detector) if detector else default_checkpoint("detector")
    classifier_path = Path(classifier) if classifier else default_checkpoint("classifier")
    output = Path(output)
    for source, name in ((detector_path, "detector"), (classifier_path, "classifier")):
        if (output / name).resolve() == source.resolve():
            raise CheckpointError(f"{output / name} is the source checkpoint; write the calibrated copy elsewhere.")
    loaded = load_lcr_data(data, on_duplicate=on_duplicate)
    files, rows = loaded.files, loaded.dataset
    if split == "validation":
        rows = train_validation_split(rows, validation_fraction=validation_fraction, seed=seed)[1]
    elif split != "all":
        raise ValueError(f"split must be 'all' or 'validation', got {split!r}")
    detection = build_detection_dataset(rows)
    if len(detection) == 0:  # checked before any model loads
        raise DataError(
            f"none of the {len(rows)} rows{' of the validation part' if split == 'validation' else ''} has a "
            "conflict, so there is nothing to fit a temperature on. Fix: add rows where one or more documents "
            "contradict the gold answer" + (", or use --split all." if split == "validation" else "."),
            path=", ".join(str(f) for f in files),
        )
    pipeline = LCRPipeline.from_pretrained(detector_path, classifier_path, device=device)
    predictions = pipeline.predict(detection.to_list(), batch_size=batch_size, progress=progress)
    labels = np.asarray(detection["label"])
    positive = labels == 1
    targets = {
        "detector": (predictions.conflict_logits, labels),
        "classifier": (predictions.level_logits[positive], np.asarray([level_by_code(v).id for v in detection["conflict_level"]])[positive]),
    }
    groups = {"detector": list(detection["id"]), "classifier": [g for g, p in zip(detection["id"], positive) if p]}
    records = {}
    data_digests = file_digests(files)
    for name in ("detector", "classifier"):
        logits, y = targets[name]
        current = float(getattr(pipeline, name).config.calibration_temperature)
        before = _scores(logits, y, current)
        separable = separates(logits, y)
        temperature = current if separable else fit_temperature(logits, y)
        records[name] = {
            "temperature": temperature,
            "fitted": not separable,
            "reason": (
                "every example is classified correctly, so the NLL has no minimum at any T > 0; "
                "the temperature is left unchanged" if separable else "fitted by minimising the NLL"
            ),
            "before": before,
            "after": _scores(logits, y, temperature),
            "cross_fitted": None if separable else cross_fitted(logits, y, groups[name], current, seed),
            "n": int(len(y)),
            "split": {"name": split, "validation_fraction": validation_fraction, "seed": seed},
            "data": data_digests,
            "command": command_line(),
        }
    worse = worse_out_of_sample(records)
    if worse and not force:  # checked for both models before either copy is written
        raise CalibrationFitError(
            "the fitted temperature makes held-out scores worse (two-fold cross-fitting): " + "; ".join(worse)
            + f". Nothing was written to {output}. Fix: calibrate on more rows, or on rows like those the models "
            "will see; pass --force (force=True) to write the copies anyway."
        )
    for name, source in (("detector", detector_path), ("classifier", classifier_path)):
        model = getattr(pipeline, name)
        model.config.calibration_temperature = records[name]["temperature"]
        # The stored reference probabilities depend on the temperature: recompute them.
        has_reference = read_checkpoint(source).reference is not None
        retemper(source, output / name, records[name]["temperature"], records[name],
                 reference=reference_record(model, pipeline.encoder) if has_reference else None)
    return records


def worse_out_of_sample(records: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What got worse out of sample: each model whose cross-fitted NLL or ECE rose.

    Args:
        records: :func:`calibrate`'s per-model records.

    Returns:
        One line per model and score that rose, e.g. ``"detector ECE 0.0310 -> 0.0420"``.

    Example:
        >>> rec = {"cross_fitted": {"before": {"nll": 0.30, "ece": 0.05}, "after": {"nll": 0.25, "ece": 0.07}}}
        >>> worse_out_of_sample({"detector": rec, "classifier": {"cross_fitted": None}})
        ['detector ECE 0.0500 -> 0.0700']
    """
    lines = []
    for name, record in records.items():
        crossed = record.get("cross_fitted")
        if not crossed:
            continue
        for score in ("nll", "ece"):
            before, after = crossed["before"][score], crossed["after"][score]
            if after > before:
                lines.append(f"{name} {score.upper()} {before:.4f} -> {after:.4f}")
    return lines
