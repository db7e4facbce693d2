"""Reference outputs beside the weights, and `lcr-hub validate` that recomputes them.

Training writes ``reference_outputs.json``: a small fixed set of inputs (the first rows of
the bundled sample and their consistent twins) and the exact probabilities the model gave
them. Validation recomputes those probabilities on this machine and reports the drift
against a tolerance derived from the dtype.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel

from ..constants import REFERENCE_NAME
from ..data import SAMPLE_DATA_PATH, build_detection_dataset, load_lcr_dataset
from ..errors import CheckpointError
from ..features import BaseEncoder, load_encoder

#: Default absolute tolerance on a probability, by the dtype the check runs in.
TOLERANCES = {"float32": 1e-4, "float16": 5e-3, "bfloat16": 2e-2}
N_REFERENCE_ROWS = 4


def reference_examples() -> list[dict]:
    """The fixed reference inputs: the first rows of the bundled sample, each with its twin."""
    rows = load_lcr_dataset(SAMPLE_DATA_PATH).select(range(N_REFERENCE_ROWS))
    return [{"query": e["query"], "documents": [{"text": d["text"]} for d in e["documents"]]}
            for e in build_detection_dataset(rows).to_list()]


def compute_outputs(model, encoder: BaseEncoder, examples: list[dict]) -> np.ndarray:
    """Probabilities of ``model`` (a detector or frozen-encoder classifier) on examples."""
    from ..training import encode_rows, predict_head

    features = encode_rows(encoder, examples, [model.config.layer_index], batch_size=len(examples), progress=False)
    model_dtype = next(model.parameters()).dtype
    for layer, states in features.states.items():
        features.states[layer] = [s.to(model_dtype) for s in states]
    return predict_head(model, features)


def write_reference(folder: str | os.PathLike, model, encoder: BaseEncoder) -> dict:
    """Write ``reference_outputs.json`` for a trained model into its folder."""
    examples = reference_examples()
    record = {
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        "inputs": examples,
        "outputs": compute_outputs(model, encoder, examples).tolist(),
    }
    (Path(folder) / REFERENCE_NAME).write_text(json.dumps(record, indent=1) + "\n")
    return record


def validate_checkpoint(
    folder: str | os.PathLike, *, dtype: str = "float32", atol: float | None = None, device: str = "cpu"
) -> dict:
    """Recompute a checkpoint's reference outputs here and measure the drift.

    Args:
        folder: A detector or classifier folder holding ``reference_outputs.json``.
        dtype: ``float32``, ``float16`` or ``bfloat16``: the precision to check in.
        atol: Allowed absolute difference per probability (default from the dtype).
        device: Where to run.

    Returns:
        ``{"folder", "model_type", "dtype", "tolerance", "max_abs_drift", "ok"}``.

    Raises:
        CheckpointError: The folder has no reference outputs.
    """
    folder = Path(folder)
    reference_path = folder / REFERENCE_NAME
    if not reference_path.is_file():
        raise CheckpointError(
            f"{reference_path} is missing: only checkpoints written by lcr_hub's training scripts carry "
            "reference outputs. Retrain, or evaluate the folder with `lcr-hub evaluate` instead."
        )
    if dtype not in TOLERANCES:
        raise ValueError(f"dtype must be one of {sorted(TOLERANCES)}, got {dtype!r}")
    reference = json.loads(reference_path.read_text())
    torch_dtype = getattr(torch, dtype)
    model = AutoModel.from_pretrained(folder, dtype=torch_dtype).to(device).eval()
    encoder = load_encoder(model.config.base_model_name_or_path, model.config.base_model_revision, device=device)
    got = compute_outputs(model, encoder, reference["inputs"])
    drift = float(np.abs(got - np.asarray(reference["outputs"])).max())
    tolerance = TOLERANCES[dtype] if atol is None else atol
    return {
        "folder": str(folder),
        "model_type": model.config.model_type,
        "dtype": dtype,
        "tolerance": tolerance,
        "max_abs_drift": drift,
        "ok": drift <= tolerance,
    }
