"""Configurations of the three LCR models: detector, refinement module, taxonomy classifier.

This file imports only ``transformers`` (and, for its errors, the stdlib-only
``errors.py`` beside it), so that it can be uploaded next to the weights as remote code
(``auto_map``) and loaded with ``trust_remote_code=True`` where lcr_hub is not installed.

Every config records the base model it reads (``base_model_name_or_path``), that base's
revision (``base_model_revision``, separate from the revision of the LCR repo itself, as
PEFT does) and the ``layer_index`` of ``outputs.hidden_states`` it reads (0 = embeddings,
k = output of block k-1).
"""

from __future__ import annotations

from typing import Any

from transformers import PreTrainedConfig

try:  # inside the lcr_hub package (transformers' remote-code import check skips try blocks)
    from lcr_hub.constants import (
        CONFLICT_LEVELS, DEFAULT_WINDOW_OVERLAP, INPUT_MODE_JOINT, INPUT_MODES, WINDOWED_INPUT_MODES,
    )
    from lcr_hub.errors import ConfigError
except ImportError:  # uploaded as remote code beside constants.py and errors.py
    from .constants import (  # type: ignore[no-redef]
        CONFLICT_LEVELS, DEFAULT_WINDOW_OVERLAP, INPUT_MODE_JOINT, INPUT_MODES, WINDOWED_INPUT_MODES,
    )
    from .errors import ConfigError  # type: ignore[no-redef]

_DETECTOR_POOLINGS: tuple[str, ...] = ("mean", "documents")
# How the detector's document attention scores a token: on its own state, or also against the query's.
_DOCUMENT_ATTENTIONS: tuple[str, ...] = ("tokens", "query")
_CLASSIFIER_POOLINGS: tuple[str, ...] = ("attention", "mean", "cls")
# The classifier's labels, fixed by the LCR taxonomy (config.json: {"0": "L1_temporal", ...}).
_ID2LABEL: dict[int, str] = {level.id: level.label for level in CONFLICT_LEVELS}
_LABEL2ID: dict[str, int] = {label: i for i, label in _ID2LABEL.items()}


class _LCRConfigMixin:
    """Shared checks: refuse a config.json of another model type or with missing keys."""

    model_type: str
    #: Keys that must be present in a saved config.json (defaults are for new models only).
    required_keys: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any):  # type: ignore[override]
        found = config_dict.get("model_type")
        if found is not None and found != cls.model_type:
            raise ConfigError(
                f"{cls.__name__} expects model_type '{cls.model_type}' but the config has "
                f"model_type '{found}'. Load this folder with the class for '{found}' "
                f"(or AutoConfig), or fix 'model_type' in its config.json."
            )
        missing = [key for key in cls.required_keys if key not in config_dict]
        if missing:
            raise ConfigError(
                f"{cls.__name__}: config is missing required key(s) {missing}. A saved "
                f"'{cls.model_type}' config.json must define {list(cls.required_keys)}; "
                "re-save the model with save_pretrained() or add the keys by hand."
            )
        return super().from_dict(config_dict, **kwargs)  # type: ignore[misc]

    def _set_input(self, input_mode: str, window_overlap: int) -> None:
        if input_mode not in INPUT_MODES:
            raise ConfigError(
                f"{type(self).__name__}.input_mode must be one of {list(INPUT_MODES)}, got {input_mode!r}."
            )
        if not isinstance(window_overlap, int) or window_overlap < 0:
            raise ConfigError(f"{type(self).__name__}.window_overlap must be an int >= 0, got {window_overlap!r}.")
        self.input_mode = input_mode
        self.window_overlap = window_overlap

    def _check_base(self) -> None:
        layer_index = getattr(self, "layer_index")
        if not isinstance(layer_index, int) or layer_index < 0:
            raise ConfigError(
                f"{type(self).__name__}.layer_index must be a non-negative int indexing "
                f"outputs.hidden_states (0 = embeddings), got {layer_index!r}."
            )


class LCRDetectorConfig(_LCRConfigMixin, PreTrainedConfig):
    """Configuration of :class:`LCRDetector`.

    Args:
        hidden_size: Width of the base model's hidden states.
        intermediate_size: Width of ``fc1`` (512 in the LCR design).
        attention_hidden_size: Width of the document-attention scorer's hidden layer
            (``pooling="documents"`` only).
        mixing_layers: Number of trainable transformer blocks (BERT layout: post-norm
            self-attention over the whole prompt, then a GELU feed-forward) applied to the
            states before pooling, so that tokens of one document can be compared with the
            others'. 0 (default) reads the base's states as they are. The embedded detector
            initialises them from the base's blocks ``layer_index, layer_index + 1, ...``.
        num_attention_heads: Attention heads of each mixing layer.
        mixing_intermediate_size: Feed-forward width of each mixing layer.
        layer_norm_eps: Epsilon of the mixing layers' LayerNorms.
        pooling: ``"mean"`` (masked mean over the prompt, the paper's design) or
            ``"documents"`` (each document pooled on its own with a learned attention, then
            compared pairwise; the strongest disagreement gives the logit).
        document_attention: How ``pooling="documents"`` scores each token of a document:
            ``"tokens"`` (default; an MLP on the token's own state) or ``"query"`` (that MLP
            plus a bilinear score of the token against the mean state of the query's tokens,
            so that the attention points at the tokens that answer the question; needs
            ``input_mode="windows"`` or ``"packed"``, which mark the query's tokens).
        calibration_temperature: Probability = sigmoid(logit / calibration_temperature); fitted by calibration.
        threshold: A conflict is detected when the probability is >= threshold.
        layer_index: Index into ``outputs.hidden_states`` of the base model.
        base_model_name_or_path: The base model whose states the detector reads.
        base_model_revision: The base model's revision (commit, or ``sha256:<digest>``
            of its weights for the embedded encoder).
        initializer_range: Std of the normal initialisation of new weights.
        input_mode: How the base reads a row: ``"windows"`` (each document with the query
            in its own sequence, long documents in overlapping windows), ``"packed"`` (as
            many whole documents together as fit in one sequence, as ``"joint"`` reads a
            short row, continued in further windows) or ``"joint"`` (the query and every
            document in one sequence, cut at the encoder's window: causal LMs, and the
            encoder checkpoints released before windows, whose config.json has no
            ``input_mode``). A checkpoint is read the way it was trained.
        window_overlap: Tokens shared by consecutive windows of one long document
            (``input_mode="windows"`` or ``"packed"``).

    Example:
        >>> from lcr_hub import LCRDetectorConfig, LCRDetector
        >>> config = LCRDetectorConfig(hidden_size=4096, layer_index=16)
        >>> LCRDetector(config).num_parameters()
        2098177
    """

    model_type = "lcr_detector"
    required_keys = ("hidden_size", "intermediate_size", "pooling", "layer_index")

    def __init__(
        self,
        hidden_size: int = 4096,
        intermediate_size: int = 512,
        attention_hidden_size: int = 128,
        mixing_layers: int = 0,
        num_attention_heads: int = 12,
        mixing_intermediate_size: int = 1536,
        layer_norm_eps: float = 1e-12,
        pooling: str = "mean",
        document_attention: str = "tokens",
        calibration_temperature: float = 1.0,
        threshold: float = 0.6,
        layer_index: int = 16,
        base_model_name_or_path: str | None = None,
        base_model_revision: str | None = None,
        initializer_range: float = 0.02,
        input_mode: str = INPUT_MODE_JOINT,
        window_overlap: int = DEFAULT_WINDOW_OVERLAP,
        **kwargs: Any,
    ) -> None:
        if pooling not in _DETECTOR_POOLINGS:
            raise ConfigError(
                f"LCRDetectorConfig.pooling must be one of {list(_DETECTOR_POOLINGS)}, got {pooling!r}."
            )
        if document_attention not in _DOCUMENT_ATTENTIONS:
            raise ConfigError(
                f"LCRDetectorConfig.document_attention must be one of {list(_DOCUMENT_ATTENTIONS)}, "
                f"got {document_attention!r}."
            )
        if document_attention == "query" and (
            pooling != "documents" or input_mode not in WINDOWED_INPUT_MODES
        ):
            raise ConfigError(
                "LCRDetectorConfig.document_attention='query' scores document tokens against the query's tokens, "
                "which only pooling='documents' with input_mode='windows' or 'packed' has; "
                f"got pooling={pooling!r}, "
                f"input_mode={input_mode!r}. Fix: use document_attention='tokens' for this detector."
            )
        if not isinstance(mixing_layers, int) or mixing_layers < 0:
            raise ConfigError(f"LCRDetectorConfig.mixing_layers must be an int >= 0, got {mixing_layers!r}.")
        if mixing_layers and hidden_size % num_attention_heads:
            raise ConfigError(
                f"LCRDetectorConfig: hidden_size {hidden_size} is not divisible by num_attention_heads "
                f"{num_attention_heads}; pick a head count that divides it."
            )
        if not calibration_temperature > 0:
            raise ConfigError(f"LCRDetectorConfig.calibration_temperature must be > 0, got {calibration_temperature!r}.")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"LCRDetectorConfig.threshold must be in [0, 1], got {threshold!r}.")
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.attention_hidden_size = attention_hidden_size
        self.mixing_layers = mixing_layers
        self.num_attention_heads = num_attention_heads
        self.mixing_intermediate_size = mixing_intermediate_size
        self.layer_norm_eps = layer_norm_eps
        self.pooling = pooling
        self.document_attention = document_attention
        self.calibration_temperature = float(calibration_temperature)
        self.threshold = float(threshold)
        self.layer_index = layer_index
        self.base_model_name_or_path = base_model_name_or_path
        self.base_model_revision = base_model_revision
        self.initializer_range = initializer_range
        self._set_input(input_mode, window_overlap)
        super().__init__(**kwargs)
        self._check_base()


class LCRRefinementConfig(_LCRConfigMixin, PreTrainedConfig):
    """Configuration of :class:`LCRRefinement`.

    Args:
        hidden_size: Width of the base model's hidden states.
        bottleneck_size: Width of the bias-free bottleneck (``w_up`` compresses to it).
        alpha: Step size: ``h = h + alpha * delta``.
        t_max: Maximum number of refinement steps.
        epsilon: An example stops once the mean over its real tokens of ``||delta||_2``
            is below epsilon (its state is then left as it is).
        layer_index: Index into ``outputs.hidden_states`` whose states are refined.
        lambda_kl: Training loss weight of KL(p_refined || p_original) over the answer.
        lambda_step: Training loss weight of the mean step norm.
        base_model_name_or_path: The base model whose states are refined.
        base_model_revision: The base model's revision.
        initializer_range: Std of the normal initialisation of new weights.

    Example:
        >>> from lcr_hub import LCRRefinementConfig, LCRRefinement
        >>> LCRRefinement(LCRRefinementConfig(hidden_size=4096)).num_parameters()
        5996544
    """

    model_type = "lcr_refinement"
    required_keys = ("hidden_size", "bottleneck_size", "alpha", "t_max", "epsilon", "layer_index")

    def __init__(
        self,
        hidden_size: int = 4096,
        bottleneck_size: int = 732,
        alpha: float = 0.3,
        t_max: int = 3,
        epsilon: float = 0.01,
        layer_index: int = 16,
        lambda_kl: float = 0.005,
        lambda_step: float = 0.01,
        base_model_name_or_path: str | None = None,
        base_model_revision: str | None = None,
        initializer_range: float = 0.02,
        **kwargs: Any,
    ) -> None:
        if lambda_kl < 0 or lambda_step < 0:
            raise ConfigError(f"LCRRefinementConfig.lambda_kl and lambda_step must be >= 0, got {lambda_kl!r}, {lambda_step!r}.")
        if not isinstance(t_max, int) or t_max < 0:
            raise ConfigError(f"LCRRefinementConfig.t_max must be an int >= 0, got {t_max!r}.")
        if epsilon < 0:
            raise ConfigError(f"LCRRefinementConfig.epsilon must be >= 0, got {epsilon!r}.")
        self.hidden_size = hidden_size
        self.bottleneck_size = bottleneck_size
        self.alpha = float(alpha)
        self.t_max = t_max
        self.epsilon = float(epsilon)
        self.layer_index = layer_index
        self.lambda_kl = float(lambda_kl)
        self.lambda_step = float(lambda_step)
        self.base_model_name_or_path = base_model_name_or_path
        self.base_model_revision = base_model_revision
        self.initializer_range = initializer_range
        super().__init__(**kwargs)
        self._check_base()


class LCRClassifierConfig(_LCRConfigMixin, PreTrainedConfig):
    """Configuration of :class:`LCRClassifier`, the L1..L4 taxonomy classifier over text.

    One class serves two set-ups, told apart by ``freeze_encoder``:

    - ``freeze_encoder=True``: a head on a frozen, shared encoder (the embedded default).
      The encoder's weights are *not* in the checkpoint; they are the base model named by
      ``base_model_name_or_path`` at ``base_model_revision``, and the head reads
      ``hidden_states[layer_index]`` of that encoder (computed once and shared with the
      detector).
    - ``freeze_encoder=False``: a fully fine-tuned encoder (e.g. DeBERTa-v3-large) whose
      weights are saved in the checkpoint together with the head; ``encoder_config`` holds
      the encoder's own config so that it can be rebuilt offline.

    Args:
        hidden_size: Width of the encoder's hidden states.
        classifier_hidden_size: Width of the head's hidden layer.
        pooling: ``"attention"`` (learned attention over real tokens, then LayerNorm),
            ``"mean"`` (masked mean) or ``"cls"`` (first token).
        classifier_dropout: Dropout before each head layer (training only).
        label_smoothing: Label smoothing of the training loss.
        calibration_temperature: Softmax temperature; fitted by calibration.
        freeze_encoder: See above.
        encoder_config: The encoder's config as a dict (needed when ``freeze_encoder`` is False).
        layer_index: Index into the encoder's ``outputs.hidden_states``.
        base_model_name_or_path: The encoder's id or path.
        base_model_revision: The encoder's revision.
        initializer_range: Std of the normal initialisation of new weights.
        refine_levels: Levels routed to latent refinement by the LCR system (when the
            detector fires); the others go to self-consistency.
        refine_min_confidence: Refinement also needs the top level's probability >= this.
        self_consistency_samples: Samples ``k`` of the self-consistency route.
        self_consistency_temperature: Sampling temperature of the self-consistency route.
        input_mode, window_overlap: As in :class:`LCRDetectorConfig` (the classifier reads
            the same encoder pass as the detector).

    Example:
        >>> from lcr_hub import LCRClassifierConfig
        >>> config = LCRClassifierConfig(hidden_size=384, layer_index=6)
        >>> config.id2label[0]
        'L1_temporal'
    """

    model_type = "lcr_classifier"
    required_keys = ("hidden_size", "classifier_hidden_size", "pooling", "layer_index", "freeze_encoder")

    def __init__(
        self,
        hidden_size: int = 384,
        classifier_hidden_size: int = 256,
        pooling: str = "attention",
        classifier_dropout: float = 0.1,
        label_smoothing: float = 0.1,
        calibration_temperature: float = 1.0,
        freeze_encoder: bool = True,
        encoder_config: dict[str, Any] | None = None,
        layer_index: int = 6,
        base_model_name_or_path: str | None = None,
        base_model_revision: str | None = None,
        initializer_range: float = 0.02,
        refine_levels: list[str] | tuple[str, ...] = (CONFLICT_LEVELS[0].label, CONFLICT_LEVELS[1].label),
        refine_min_confidence: float = 0.7,
        self_consistency_samples: int = 8,
        self_consistency_temperature: float = 0.7,
        input_mode: str = INPUT_MODE_JOINT,
        window_overlap: int = DEFAULT_WINDOW_OVERLAP,
        **kwargs: Any,
    ) -> None:
        unknown = [level for level in refine_levels if level not in _LABEL2ID]
        if unknown:
            raise ConfigError(f"LCRClassifierConfig.refine_levels must be among {list(_LABEL2ID)}, got {unknown}.")
        if not 0.0 <= refine_min_confidence <= 1.0:
            raise ConfigError(f"LCRClassifierConfig.refine_min_confidence must be in [0, 1], got {refine_min_confidence!r}.")
        if not isinstance(self_consistency_samples, int) or self_consistency_samples < 1:
            raise ConfigError(
                f"LCRClassifierConfig.self_consistency_samples must be an int >= 1, got {self_consistency_samples!r}."
            )
        if not self_consistency_temperature > 0:
            raise ConfigError(
                f"LCRClassifierConfig.self_consistency_temperature must be > 0, got {self_consistency_temperature!r}."
            )
        if pooling not in _CLASSIFIER_POOLINGS:
            raise ConfigError(
                f"LCRClassifierConfig.pooling must be one of {list(_CLASSIFIER_POOLINGS)}, got {pooling!r}."
            )
        if not calibration_temperature > 0:
            raise ConfigError(f"LCRClassifierConfig.calibration_temperature must be > 0, got {calibration_temperature!r}.")
        if not freeze_encoder and encoder_config is None:
            raise ConfigError(
                "LCRClassifierConfig: freeze_encoder=False (fine-tuned encoder) needs "
                "encoder_config, the encoder's config as a dict (e.g. AutoConfig.from_pretrained("
                "'microsoft/deberta-v3-large').to_dict())."
            )
        for key in ("id2label", "label2id", "num_labels"):
            given = kwargs.pop(key, None)
            expected = {"id2label": _ID2LABEL, "label2id": _LABEL2ID, "num_labels": len(_ID2LABEL)}[key]
            if given is not None and _normalise_labels(given) != _normalise_labels(expected):
                raise ConfigError(
                    f"LCRClassifierConfig.{key} is fixed by the LCR taxonomy to {expected!r}; "
                    f"got {given!r}. Remove it from the config or restore the fixed labels."
                )
        self.hidden_size = hidden_size
        self.classifier_hidden_size = classifier_hidden_size
        self.pooling = pooling
        self.classifier_dropout = float(classifier_dropout)
        self.label_smoothing = float(label_smoothing)
        self.calibration_temperature = float(calibration_temperature)
        self.freeze_encoder = bool(freeze_encoder)
        self.encoder_config = encoder_config
        self.layer_index = layer_index
        self.base_model_name_or_path = base_model_name_or_path
        self.base_model_revision = base_model_revision
        self.initializer_range = initializer_range
        self.refine_levels = list(refine_levels)
        self.refine_min_confidence = float(refine_min_confidence)
        self.self_consistency_samples = self_consistency_samples
        self.self_consistency_temperature = float(self_consistency_temperature)
        self._set_input(input_mode, window_overlap)
        super().__init__(id2label=dict(_ID2LABEL), label2id=dict(_LABEL2ID), **kwargs)
        self._check_base()


def _normalise_labels(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): (str(v) if not isinstance(v, int) else v) for k, v in value.items()}
    return value


__all__ = ["LCRDetectorConfig", "LCRRefinementConfig", "LCRClassifierConfig"]
