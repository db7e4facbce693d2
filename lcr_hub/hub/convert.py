"""Convert a legacy ``torch.save`` state dict of the original release into a ``from_pretrained`` folder.

The original release saved plain state dicts with the tensor names ``fc1.*``/``fc2.*``
(detector, mean pooling) and ``w_up.weight``/``w_down.weight`` (refinement). They are read
with ``torch.load(weights_only=True)``, which refuses any pickled object that is not a
tensor or a plain container; the sizes of the new config are inferred from the shapes.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch

from ..checkpoint import write_checkpoint
from ..models.configuration_lcr import LCRDetectorConfig, LCRRefinementConfig
from ..errors import CheckpointError
from ..models.modeling_lcr import LCRDetector, LCRRefinement

DETECTOR_KEYS = frozenset({"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"})
REFINEMENT_KEYS = frozenset({"w_up.weight", "w_down.weight"})


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"dict with {len(value)} entries" if value else "empty dict"
    return type(value).__name__


def load_legacy_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a legacy ``.pt`` file that must hold a flat name -> tensor mapping.

    Args:
        path: The file written by ``torch.save(model.state_dict(), path)``.

    Returns:
        The tensors by name.

    Raises:
        CheckpointError: The file cannot be read with ``weights_only=True`` (it pickles other
            objects), holds no tensors, or holds anything but tensors.
    """
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path}: cannot be read as tensors only (torch.load with weights_only=True refused it: {first}). "
            "lcr_hub never unpickles arbitrary objects; re-save the file as a plain state dict "
            "(torch.save(model.state_dict(), path)) in a trusted environment."
        ) from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: holds a {_describe(data)}, expected a state dict (tensor name -> tensor).")
    others = {k: _describe(v) for k, v in data.items() if not isinstance(v, torch.Tensor)}
    tensors = {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        listing = ", ".join(f"{k!r}: {d}" for k, d in sorted(others.items(), key=lambda kv: str(kv[0]))) or "nothing"
        raise CheckpointError(
            f"{path}: holds no tensors ({listing}), so there are no weights to convert. The original release's "
            "demo files are such placeholders; convert a file that holds a trained state dict."
        )
    if others:
        raise CheckpointError(
            f"{path}: holds entries that are not tensors ({', '.join(f'{k!r}: {d}' for k, d in others.items())}); "
            "expected a flat state dict of tensors only."
        )
    return tensors


def convert_legacy_checkpoint(
    path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    base_model_name_or_path: str | None = None,
    layer_index: int | None = None,
) -> Path:
    """Write a ``from_pretrained`` folder (``config.json``, ``model.safetensors``, ``checksums.sha256``) from a legacy file.

    Args:
        path: The legacy ``.pt`` state dict.
        output: The folder to write (replaced whole, atomically).
        base_model_name_or_path: The base model the weights read (recorded in the config).
        layer_index: The base model's hidden-states index they read (default: the config's).

    Returns:
        The written folder.

    Raises:
        CheckpointError: Unreadable file, tensor names of neither layout, or inconsistent shapes.

    Example:
        >>> import pathlib, tempfile, torch
        >>> from lcr_hub import LCRRefinement
        >>> legacy = pathlib.Path(tempfile.mkdtemp()) / "refinement.pt"  # the original release's format
        >>> torch.save({"w_up.weight": torch.zeros(4, 16), "w_down.weight": torch.zeros(16, 4)}, legacy)
        >>> folder = convert_legacy_checkpoint(legacy, legacy.with_name("converted"))
        >>> LCRRefinement.from_pretrained(folder).config.bottleneck_size
        4
    """
    tensors = load_legacy_state_dict(path)
    names = set(tensors)
    extra = {"base_model_name_or_path": base_model_name_or_path}
    if layer_index is not None:
        extra["layer_index"] = layer_index
    if names == DETECTOR_KEYS:
        intermediate, hidden = tensors["fc1.weight"].shape
        config = LCRDetectorConfig(hidden_size=hidden, intermediate_size=intermediate, pooling="mean", **extra)
        model_class = LCRDetector
    elif names == REFINEMENT_KEYS:
        bottleneck, hidden = tensors["w_up.weight"].shape
        config = LCRRefinementConfig(hidden_size=hidden, bottleneck_size=bottleneck, **extra)
        model_class = LCRRefinement
    else:
        raise CheckpointError(
            f"{path}: tensor names {sorted(names)} match neither legacy layout: detector {sorted(DETECTOR_KEYS)} "
            f"or refinement {sorted(REFINEMENT_KEYS)}."
        )
    model = model_class(config)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: shapes are inconsistent with one {model_class.__name__}: {error}") from None
    write_checkpoint(output, model, None)  # config, weights and checksums.sha256; no training metadata to record
    return Path(output)
