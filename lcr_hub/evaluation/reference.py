"""Reference outputs beside the weights, and `lcr-hub validate` that recomputes them.

Training writes ``reference_outputs.json``: a small fixed set of inputs (the first rows of
the bundled sample and their consistent twins) and the exact probabilities the model gave
them. Validation recomputes those probabilities on this machine and reports the drift
against a tolerance derived from the dtype. When the training data is here (the metadata
records each file's path and sha256), it also recomputes the calibration figures (ECE,
and Brier for the detector) on the validation part of the training split and compares
them with the stored ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import datasets
import numpy as np
import torch
from transformers import AutoModel

from ..constants import METADATA_NAME, REFERENCE_NAME, SPLIT_ROLE, VALIDATION_SET, level_by_code
from ..data import (
    SAMPLE_DATA_PATH,
    build_detection_dataset,
    document_separator,
    format_example,
    load_lcr_dataset,
    train_validation_split,
)
from ..checkpoint import CheckpointMetadata, read_checkpoint, read_metadata
from ..errors import CheckpointError
from .._hashing import sha256_file
from .._modules.precision import computed_in, rounded
from ..encoding.batches import input_windowing
from ..encoding.features import BaseEncoder, load_encoder
from .metrics import classifier_metrics, detector_metrics

#: Default absolute tolerance on a probability, by the dtype the check runs in.
_TOLERANCES = {"float32": 1e-4, "float16": 5e-3, "bfloat16": 2e-2}
#: Default absolute tolerance on a recomputed validation ECE or Brier score, by dtype. Beyond
#: the probabilities' own drift, one example crossing a bin edge moves the ECE by up to 2/n
#: (the drift measured on the embedded checkpoints: docs/history-code-notes.md).
FIGURE_TOLERANCES = {"float32": 5e-3, "float16": 1e-2, "bfloat16": 2e-2}
#: The calibration figures recomputed per component (keys of the metrics dicts).
_CALIBRATION_FIGURES = {"detector": ("ece", "brier"), "classifier": ("ece",)}
_N_REFERENCE_ROWS = 4


def reference_examples() -> list[dict]:
    """The fixed reference inputs: the first rows of the bundled sample, each with its twin."""
    rows = load_lcr_dataset(SAMPLE_DATA_PATH).select(range(_N_REFERENCE_ROWS))
    return [{"query": e["query"], "documents": [{"text": d["text"]} for d in e["documents"]]}
            for e in build_detection_dataset(rows).to_list()]


def _compute_outputs(model, encoder: BaseEncoder, examples: list[dict]) -> np.ndarray:
    """Probabilities of ``model`` (a detector or frozen-encoder classifier) on examples, in the model's dtype."""
    from ..encoding.batches import encode_rows

    features = encode_rows(encoder, examples, [model.config.layer_index], batch_size=len(examples), progress=False,
                           windowing=input_windowing(model.config),
                           dtype=torch.promote_types(next(model.parameters()).dtype, torch.float32))
    return _head_outputs(model, features)


def _head_outputs(model, features) -> np.ndarray:
    """``predict_head`` on cached states cast to the model's dtype (the states are not modified)."""
    import dataclasses

    from ..encoding.batches import predict_head

    weights_dtype = next(model.parameters()).dtype
    cast = {layer: [s.to(weights_dtype) for s in states] for layer, states in features.states.items()}
    return predict_head(model, dataclasses.replace(features, states=cast))


class _SharedStates:
    """Encoder states by formatted text, so that models on one encoder share one pass over a set."""

    def __init__(self, encoder: BaseEncoder) -> None:
        self.encoder = encoder
        self._separator = document_separator(encoder.tokenizer)
        self._states: dict[tuple[int, str, str], tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = {}

    def of(self, examples: list[dict], layer: int, windowing=None):
        """:class:`~lcr_hub.encoding.batches.EncodedRows` of ``examples``, encoding only the unseen ones.

        ``windowing``: the model's (:func:`~lcr_hub.encoding.batches.input_windowing`); None
        for joint sequences.
        """
        from ..encoding.batches import EncodedRows, encode_rows

        keys = [(layer, repr(windowing), format_example(e["query"], e["documents"], self._separator).text)
                for e in examples]
        missing = [i for i, key in enumerate(keys) if key not in self._states]
        if missing:
            new = encode_rows(self.encoder, [examples[i] for i in missing], [layer], desc="Encoding validation set",
                              windowing=windowing)
            for j, i in enumerate(missing):
                window_ids = new.window_ids[j] if new.window_ids is not None else None
                self._states[keys[i]] = (new.states[layer][j], new.document_ids[j], window_ids)
        window_ids = [self._states[k][2] for k in keys] if windowing is not None else None
        return EncodedRows(
            states={layer: [self._states[k][0] for k in keys]}, document_ids=[self._states[k][1] for k in keys],
            window_ids=window_ids,
        )


def figures_temperature(metadata: CheckpointMetadata | dict) -> float:
    """The temperature the stored ``validation`` figures were measured at.

    Training measures them at its config's temperature; ``lcr-hub calibrate`` changes the
    temperature but not those figures, and records the one they belong to.

    Args:
        metadata: A checkpoint's training metadata (typed, or its JSON as a dict).

    Returns:
        The temperature.

    Example:
        >>> figures_temperature({"config": {"calibration_temperature": 1.7},
        ...                      "calibration": {"before": {"temperature": 1.0}}})
        1.0
    """
    if isinstance(metadata, CheckpointMetadata):
        return metadata.figures_temperature
    calibration = metadata.get("calibration")
    if calibration:
        return float(calibration.get("validation_temperature", calibration["before"]["temperature"]))
    return float(metadata["config"]["calibration_temperature"])


def _candidates(recorded: str, folder: Path) -> list[Path]:
    path = Path(recorded)
    bases = [Path("/")] if path.is_absolute() else [Path.cwd(), *folder.resolve().parents]
    return [base / path for base in bases if (base / path).is_file()]


def _held_out_rows(folder: str | os.PathLike, metadata: CheckpointMetadata) -> tuple[datasets.Dataset | None, str | None]:
    """The validation part of a training run's split, if its data files are here unchanged.

    The metadata records the split files (role ``train+validation``) with their sha256, and
    the split's seed and fraction. Relative paths are looked up from the current folder and
    from each folder above the checkpoint (training records them relative to where it ran).

    Args:
        folder: The checkpoint folder.
        metadata: Its training metadata.

    Returns:
        ``(rows, None)``, or ``(None, why)`` when a file is missing or differs.

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint, read_metadata
        >>> folder = default_checkpoint("detector")
        >>> rows, why = _held_out_rows(folder, read_metadata(folder))
        >>> rows is None and "not under the current folder" in why or len(rows) == 270  # 270 with ../shared/data/lcr-bench
        True
    """
    folder = Path(folder)
    records = metadata.data.files_with_role(SPLIT_ROLE)
    if not records:
        return None, f"{METADATA_NAME} records no '{SPLIT_ROLE}' data files"
    paths = []
    for record in records:
        found = _candidates(record.path, folder)
        if not found:
            return None, (
                f"training data {record.path} (recorded in {METADATA_NAME}) is not under the current folder "
                "or a folder above the checkpoint; run from the folder training ran in to check these figures too"
            )
        digests = {path: sha256_file(path) for path in found}
        matching = [path for path, digest in digests.items() if digest == record.sha256]
        if not matching:
            return None, (
                f"{found[0]} has sha256 {digests[found[0]]}, but {METADATA_NAME} records {record.sha256}: "
                "it is not the data the stored figures were measured on"
            )
        paths.append(matching[0])
    split = metadata.data.split
    rows = load_lcr_dataset(paths)
    return train_validation_split(rows, validation_fraction=split.validation_fraction, seed=split.seed)[1], None


def _recompute_figures(model, metadata: CheckpointMetadata, rows: datasets.Dataset, states: _SharedStates, dtype: str) -> dict:
    """Recompute the stored calibration figures of ``model`` on its validation rows."""
    component = metadata.component
    stored = metadata.validation[VALIDATION_SET]
    temperature = metadata.figures_temperature
    trained_temperature, model.config.calibration_temperature = model.config.calibration_temperature, temperature
    try:
        if component == "detector":
            examples = build_detection_dataset(rows).to_list()
            probabilities = _head_outputs(model, states.of(examples, model.config.layer_index, input_windowing(model.config)))
            metrics = detector_metrics(
                [e["label"] for e in examples], probabilities, [e["conflict_level"] for e in examples],
                model.config.threshold,
            )
        else:
            examples = rows.to_list()
            probabilities = _head_outputs(model, states.of(examples, model.config.layer_index, input_windowing(model.config)))
            metrics = classifier_metrics([level_by_code(e["conflict_level"]).id for e in examples], probabilities)
    finally:
        model.config.calibration_temperature = trained_temperature
    tolerance = FIGURE_TOLERANCES[dtype]
    figures = {}
    for name in _CALIBRATION_FIGURES[component]:
        drift = abs(metrics[name] - stored[name])
        figures[name] = {"stored": stored[name], "recomputed": metrics[name], "drift": drift, "ok": drift <= tolerance}
    return {
        "checked": True,
        "set": VALIDATION_SET,
        "n": metrics["n"],
        "stored_n": stored["n"],
        "temperature": temperature,
        "tolerance": tolerance,
        "figures": figures,
        "ok": metrics["n"] == stored["n"] and all(f["ok"] for f in figures.values()),
    }


def reference_record(model, encoder: BaseEncoder, compute_dtype: torch.dtype | None = None) -> dict:
    """The reference outputs of a trained model (what ``reference_outputs.json`` holds).

    Pass them to :func:`lcr_hub.checkpoint.write_checkpoint` or :func:`lcr_hub.checkpoint.retemper`.

    Args:
        model: A trained detector or frozen-encoder classifier.
        encoder: Its base encoder.
        compute_dtype: ``torch.float64`` computes the outputs of the weights in float64 and keeps
            :data:`~lcr_hub.constants.RECORDED_DIGITS` digits (a ``--precision float64`` run: the
            same file on any CPU); None: in the weights' dtype, every digit. The record's
            ``dtype`` is the weights' either way.
    """
    examples = reference_examples()
    weights_dtype = str(next(model.parameters()).dtype).replace("torch.", "")
    with computed_in(compute_dtype, model, encoder.model):
        outputs = _compute_outputs(model, encoder, examples).tolist()
    return {"dtype": weights_dtype, "inputs": examples, "outputs": outputs if compute_dtype is None else rounded(outputs)}


#: What `lcr-hub validate` and CalibrationValidator say on drift, with the fix.
DRIFT_MESSAGE = (
    "Calibration drift detected: this machine's outputs differ from the reference outputs or validation "
    "figures stored beside the weights by more than the tolerance. Check that the weights are the released ones "
    "(`sha256sum model.safetensors` against training_metadata.json) and the package versions in "
    "`lcr-hub env` against the metadata's `framework`; a model run in float16/bfloat16 is checked with that "
    "dtype's tolerance (`lcr-hub validate --dtype`, `LCRModelLoader(precision=...)`)."
)


def _read_reference(folder: Path) -> dict:
    reference = read_checkpoint(folder).reference
    if reference is None:
        raise CheckpointError(
            f"{folder / REFERENCE_NAME} is missing: only checkpoints written by lcr_hub's training scripts carry "
            "reference outputs. Retrain, or evaluate the folder with `lcr-hub evaluate` instead."
        )
    return reference


def _reference_folder(model) -> Path:
    """The folder ``model`` was loaded from (for a Hub repo, its verified cached copy)."""
    source = getattr(model, "lcr_source", None)
    return Path(source.path) if source is not None else Path(model.name_or_path)


def _model_dtype(model) -> str:
    """``float32``, ``float16`` or ``bfloat16``: the dtype of ``model``'s weights."""
    return str(next(model.parameters()).dtype).replace("torch.", "")


def validate_models(models: Sequence, *, atol: float | None = None, recompute_figures: bool = True) -> list[dict]:
    """Recompute loaded models' reference outputs (and validation figures) in their own dtype and device.

    Each model is compared with the ``reference_outputs.json`` (and ``training_metadata.json``)
    of the folder it was loaded from, as it is now: a weight changed in memory shows as drift.
    Models on the same encoder share one encoder pass over their validation set.

    Args:
        models: Detectors or classifiers loaded with ``from_pretrained``.
        atol: Allowed absolute difference per reference probability (default from the dtype).
        recompute_figures: Also recompute ECE (and Brier) on the training run's validation
            part when its files are here (see :func:`validate_checkpoints`).

    Returns:
        One report per model, as :func:`validate_checkpoints` describes.

    Raises:
        CheckpointError: A model's folder has no reference outputs.
        ValueError: A model's dtype has no tolerance (float32, float16, bfloat16 do).

    Example:
        >>> from lcr_hub import LCRDetector
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> detector = LCRDetector.from_pretrained(default_checkpoint("detector"))
        >>> [r["ok"] for r in validate_models([detector], recompute_figures=False)]
        [True]
    """
    shared: dict[tuple[str, str | None, str], _SharedStates] = {}
    reports = []
    for model in models:
        folder = _reference_folder(model)
        reference = _read_reference(folder)
        dtype = _model_dtype(model)
        if dtype not in _TOLERANCES:
            raise ValueError(f"cannot validate a {dtype} model: dtype must be one of {sorted(_TOLERANCES)}")
        device = str(next(model.parameters()).device)
        key = (model.config.base_model_name_or_path, model.config.base_model_revision, device)
        if key not in shared:
            shared[key] = _SharedStates(load_encoder(*key[:2], device=device))
        was_training = model.training
        model.eval()
        try:
            got = _compute_outputs(model, shared[key].encoder, reference["inputs"])
            calibration = {"checked": False, "reason": "not asked for (reference outputs only)"}
            if recompute_figures:
                calibration = _validate_figures(folder, model, shared[key], dtype)
        finally:
            model.train(was_training)
        drift = float(np.abs(got - np.asarray(reference["outputs"])).max())
        tolerance = _TOLERANCES[dtype] if atol is None else atol
        reports.append({
            "folder": str(folder),
            "model_type": model.config.model_type,
            "dtype": dtype,
            "tolerance": tolerance,
            "max_abs_drift": drift,
            "calibration": calibration,
            "ok": drift <= tolerance and calibration.get("ok", True),
        })
    return reports


def validate_checkpoints(
    folders: Sequence[str | os.PathLike],
    *,
    dtype: str = "float32",
    atol: float | None = None,
    device: str = "cpu",
    recompute_figures: bool = True,
) -> list[dict]:
    """Recompute checkpoints' reference outputs and validation calibration figures here.

    Models on the same encoder share one encoder pass over their validation set.

    Args:
        folders: Detector or classifier folders holding ``reference_outputs.json``.
        dtype: ``float32``, ``float16`` or ``bfloat16``: the precision to check in.
        atol: Allowed absolute difference per reference probability (default from the
            dtype); the figures' tolerance is :data:`FIGURE_TOLERANCES` of the dtype.
        device: Where to run.
        recompute_figures: Also recompute ECE (and Brier) on the validation part of the
            training split when its files are here with their recorded sha256 (minutes on
            a CPU); False checks the reference outputs only (seconds).

    Returns:
        Per folder ``{"folder", "model_type", "dtype", "tolerance", "max_abs_drift",
        "calibration", "ok"}``; ``calibration`` is ``{"checked": False, "reason"}`` or
        ``{"checked": True, "set", "n", "stored_n", "temperature", "tolerance", "figures":
        {name: {"stored", "recomputed", "drift", "ok"}}, "ok"}``; ``ok`` is False on any drift.

    Raises:
        CheckpointError: A folder has no reference outputs.

    Example:
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> [r["ok"] for r in validate_checkpoints([default_checkpoint("detector")], recompute_figures=False)]
        [True]
    """
    if dtype not in _TOLERANCES:
        raise ValueError(f"dtype must be one of {sorted(_TOLERANCES)}, got {dtype!r}")
    for folder in folders:
        _read_reference(Path(folder))  # a missing file is reported before anything is loaded
    models = [AutoModel.from_pretrained(folder, dtype=getattr(torch, dtype)).to(device) for folder in folders]
    return validate_models(models, atol=atol, recompute_figures=recompute_figures)


def format_validation(reports: Sequence[dict]) -> str:
    """The text `lcr-hub validate` prints for :func:`validate_checkpoints` reports."""
    lines = []
    for r in reports:
        status = "ok" if r["ok"] else "DRIFT"
        lines.append(f"{status:<6} {r['model_type']:<15} max |drift| {r['max_abs_drift']:.3g} (tolerance "
                     f"{r['tolerance']:.3g}, {r['dtype']})  {r['folder']}")
        c = r["calibration"]
        if not c["checked"]:
            lines.append(f"       calibration figures not recomputed: {c['reason']}")
            continue
        lines.append(f"       validation set '{c['set']}' ({c['n']} examples, stored {c['stored_n']}; temperature "
                     f"{c['temperature']:.4g}; tolerance {c['tolerance']:.3g}):")
        for name, f in c["figures"].items():
            lines.append(f"       {'ok' if f['ok'] else 'DRIFT':<6} {name:<6} stored {f['stored']:.6f}  here "
                         f"{f['recomputed']:.6f}  |drift| {f['drift']:.3g}")
    return "\n".join(lines)


def _validate_figures(folder: Path, model, states: _SharedStates, dtype: str) -> dict:
    metadata = read_metadata(folder)
    if metadata is None:
        return {"checked": False, "reason": f"no {METADATA_NAME}: no stored figures to compare with"}
    if VALIDATION_SET not in metadata.validation:
        return {"checked": False, "reason": f"{METADATA_NAME} stores no '{VALIDATION_SET}' figures"}
    rows, reason = _held_out_rows(folder, metadata)
    if rows is None:
        return {"checked": False, "reason": reason}
    return _recompute_figures(model, metadata, rows, states, dtype)


def validate_checkpoint(
    folder: str | os.PathLike,
    *,
    dtype: str = "float32",
    atol: float | None = None,
    device: str = "cpu",
    recompute_figures: bool = True,
) -> dict:
    """:func:`validate_checkpoints` of one folder.

    Raises:
        CheckpointError: The folder has no reference outputs.
    """
    return validate_checkpoints(
        [folder], dtype=dtype, atol=atol, device=device, recompute_figures=recompute_figures
    )[0]
