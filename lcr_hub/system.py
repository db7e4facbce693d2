"""The LCR system on a causal LM: detect, refine in place, route, generate.

:class:`LCRSystem` wraps any Hugging Face causal LM (Llama, Qwen, Mistral, GPT-2...) with
an :class:`~lcr_hub.LCRDetector`, an :class:`~lcr_hub.LCRRefinement` and optionally an
:class:`~lcr_hub.LCRClassifier`. For each batch of questions it builds the prompts
(:func:`lcr_hub.data.format_prompt`), lets the classifier name each conflict's level,
and generates with hooks in the LLM (:class:`lcr_hub._modules.hooks.LCRHooks`): during the
prompt pass the detector reads ``hidden_states[layer_index]``; for the rows that fire and
that the router sends to refinement, the refinement rewrites that layer's output, so the
upper layers, the KV cache and the answer see the refined states, and every generated
position gets the same number of steps. Rows routed to self-consistency stop after one
token and are answered by ``k`` samples and a majority vote; rows that do not fire are
plain generation, untouched in the same batch.
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import torch
from transformers import AutoTokenizer, GenerationConfig, StoppingCriteria, StoppingCriteriaList

from ._modules.hooks import LCRHooks, hooked_block
from ._modules.placement import execution_device, floating_dtype
from .constants import CONFLICT_LEVELS, ON_DUPLICATE_ERROR, ROUTE_PLAIN, ROUTE_REFINE, ROUTE_SELF_CONSISTENCY
from .data import FormattedExample, document_separator, format_example, tokenize_examples
from .errors import ConfigError
from .localization import document_refs, localize, split_pair_logits
from .encoding.features import BaseEncoder, CausalLMBase, load_causal_base, load_encoder
from .models.modeling_lcr import LCRClassifier, LCRDetector, LCRRefinement
from .encoding.batches import encode_rows, input_windowing, length_sorted_batches, predict_head

logger = logging.getLogger(__name__)

__all__ = ["LCRResult", "LCRSystem", "normalize_answer"]


@dataclass
class LCRResult:
    """What the LCR system did for one question.

    Attributes:
        answer: The generated answer (special tokens removed, stripped).
        conflict_probability: The detector's probability on the prompt.
        detected: ``conflict_probability >= threshold``.
        level: The classifier's top level (``L1_temporal``...), or None without a classifier.
        level_confidence: Its probability, or None.
        route: ``"plain"``, ``"refine"`` or ``"self_consistency"``.
        refinement_steps: Steps the refinement took on the prompt (0 unless refined).
        tokens_generated: Every token generated for this question, all samples included
            (the one token of the first pass of a self-consistency row too).
        samples: The self-consistency samples (empty on the other routes).
        localization: Where the conflict is (:meth:`lcr_hub.localization.Localization.as_dict`:
            pair probabilities, the most conflicting pair, per-document scores), or None for a
            detector without document pooling.
    """

    answer: str
    conflict_probability: float
    detected: bool
    level: str | None
    level_confidence: float | None
    route: str
    refinement_steps: int
    tokens_generated: int
    samples: list[str] = field(default_factory=list)
    localization: dict | None = None


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace.

    Example:
        >>> normalize_answer("The  Harbour Line, 1911.")
        'harbour line 1911'
    """
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def majority_answer(samples: Sequence[str]) -> str:
    """The sample whose normalised form is the most frequent (ties: the earliest such sample)."""
    normalised = [normalize_answer(s) for s in samples]
    counts = Counter(normalised)
    best = max(counts.values())
    winner = next(n for n in normalised if counts[n] == best)
    return samples[normalised.index(winner)]


class _StopRows(StoppingCriteria):
    """Stops the rows the router sends to self-consistency right after the prompt pass."""

    def __init__(self, hooks: LCRHooks) -> None:
        self.hooks = hooks

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        if self.hooks.fired is None:
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        return (self.hooks.fired & ~self.hooks.refined).to(input_ids.device)



def _load_part(model_class: type, name_or_path: str | os.PathLike, kwargs: dict):
    """``model_class.from_pretrained``; a released variant's name or tag (not a folder) loads that
    release, pinned to its commit (``require_pinned``)."""
    from .hub.registry import get_variant, list_variants

    name = os.fspath(name_or_path)
    if os.path.isdir(name) or not any(name in (v.name, v.tag) for v in list_variants()):
        return model_class.from_pretrained(name_or_path, **kwargs)
    clash = sorted({"revision", "subfolder"} & set(kwargs))
    if clash:
        raise ConfigError(f"{name} is a released variant, pinned by the registry: drop {clash}, or pass the repo id.")
    variant = get_variant(name)
    return model_class.from_pretrained(variant.repo_id, subfolder=variant.subfolder, revision=variant.commit,
                                       require_pinned=True, **kwargs)

class LCRSystem:
    """A causal LM with the LCR detector, refinement and (optionally) classifier.

    Args:
        base: The frozen causal LM and its tokenizer (:func:`lcr_hub.encoding.features.load_causal_base`).
        detector: Reads ``hidden_states[layer_index]`` of the prompt.
        refinement: Refines the same layer; its ``layer_index`` must equal the detector's.
        classifier: Optional taxonomy classifier; without it every detected conflict is
            refined. Its config holds the routing rule (``refine_levels``,
            ``refine_min_confidence``, ``self_consistency_samples``,
            ``self_consistency_temperature``).
        classifier_encoder: The frozen encoder a ``freeze_encoder`` classifier reads
            (loaded from its config when omitted).

    The detector and refinement are moved to the device and dtype of the decoder block
    they hook (with ``device_map`` placement, the block's execution device).

    Raises:
        ConfigError: Sizes or layer indices of the parts disagree with the base.

    Example:
        >>> import torch
        >>> from lcr_hub import LCRSystem
        >>> system = LCRSystem.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct", "DIR/detector",
        ...                                    "DIR/refinement", classifier="DIR/classifier",
        ...                                    device_map="auto", dtype=torch.bfloat16)  # doctest: +SKIP
        >>> result = system.generate([{"query": "When did the line open?", "documents": [
        ...     {"text": "It opened in 1911."}, {"text": "It opened in 1914."}]}])[0]  # doctest: +SKIP
        >>> result.route in ("plain", "refine", "self_consistency")  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        base: CausalLMBase,
        detector: LCRDetector,
        refinement: LCRRefinement,
        classifier: LCRClassifier | None = None,
        classifier_encoder: BaseEncoder | None = None,
    ) -> None:
        text_config = base.model.config.get_text_config()
        for name, part in (("detector", detector), ("refinement", refinement)):
            if part.config.hidden_size != text_config.hidden_size:
                raise ConfigError(
                    f"The {name}'s hidden_size is {part.config.hidden_size} but the base {base.name_or_path} has "
                    f"hidden_size {text_config.hidden_size}: it was trained on another base model."
                )
            recorded = part.config.base_model_name_or_path
            same_bytes = part.config.base_model_revision is not None and part.config.base_model_revision == base.revision
            if recorded not in (None, base.name_or_path) and not same_bytes:  # a moved folder of the same base is fine
                logger.warning("The %s was trained on %s, not on %s.", name, recorded, base.name_or_path)
        if detector.config.layer_index != refinement.config.layer_index:
            raise ConfigError(
                f"The detector reads layer_index {detector.config.layer_index} but the refinement refines "
                f"{refinement.config.layer_index}; the LCR system reads and refines one layer."
            )
        self.base = base
        self.layer_index = detector.config.layer_index
        block = hooked_block(base.model, self.layer_index)
        device, dtype = execution_device(block), floating_dtype(block)
        self.detector = detector.to(device=device, dtype=dtype).eval().requires_grad_(False)
        self.refinement = refinement.to(device=device, dtype=dtype).eval().requires_grad_(False)
        self.classifier = classifier.eval() if classifier is not None else None
        self._classifier_encoder = classifier_encoder
        self._classifier_tokenizer = None

    @classmethod
    def from_pretrained(
        cls,
        base: str | os.PathLike,
        detector: str | os.PathLike,
        refinement: str | os.PathLike,
        classifier: str | os.PathLike | None = None,
        *,
        base_revision: str | None = None,
        dtype: torch.dtype | str | None = None,
        device: str | torch.device | None = "cpu",
        device_map: str | dict | None = None,
        max_memory: dict | None = None,
        offload_folder: str | os.PathLike | None = None,
        **kwargs,
    ) -> "LCRSystem":
        """Load the base (with Accelerate placement when asked) and the LCR parts.

        Args:
            base: Hub id or folder of the causal LM.
            detector, refinement, classifier: Folders or Hub ids of the LCR parts, or the names
                or tags of released variants (``"detector/smollm2_135m_instruct"``), which load
                that release pinned to its commit and checked against the registry's digests.
            base_revision: The base's revision (default: the detector config's
                ``base_model_revision`` when it names this base, else the default branch).
            dtype: The base's dtype (``torch.bfloat16``, ``"auto"``...); the detector and
                refinement follow it.
            device: Where to put the whole base (ignored with ``device_map``).
            device_map, max_memory, offload_folder: Accelerate placement, e.g.
                ``device_map="auto", max_memory={0: "20GiB", 1: "20GiB"}``.
            **kwargs: Passed to the LCR parts' ``from_pretrained`` (``revision``, ``subfolder``...).

        Returns:
            The system.
        """
        detector_model = _load_part(LCRDetector, detector, kwargs)
        refinement_model = _load_part(LCRRefinement, refinement, kwargs)
        classifier_model = _load_part(LCRClassifier, classifier, kwargs) if classifier is not None else None
        if base_revision is None and detector_model.config.base_model_name_or_path == os.fspath(base):
            base_revision = detector_model.config.base_model_revision
        causal = load_causal_base(
            os.fspath(base), base_revision, device=device, dtype=dtype, device_map=device_map,
            max_memory=max_memory, offload_folder=offload_folder,
        )
        return cls(causal, detector_model, refinement_model, classifier_model)

    # ------------------------------------------------------------------ building blocks

    def prompts(self, rows: Sequence[Mapping]) -> list[FormattedExample]:
        """The prompt of each row (``query`` and ``documents``; annotations are never read)."""
        return [self.base.format(row["query"], row["documents"]) for row in rows]

    def tokenize(self, prompts: Sequence[FormattedExample], max_new_tokens: int = 0) -> dict[str, torch.Tensor]:
        """Left-padded ``input_ids``, ``attention_mask`` and ``document_mask`` of prompts (CPU)."""
        return self.base.tokenize(prompts, reserve=max_new_tokens)

    def attach(self, batch: Mapping[str, torch.Tensor], refine_allowed: torch.Tensor | None = None) -> LCRHooks:
        """Hooks for one batch, as a context manager (removed on exit, exception or not).

        Args:
            batch: Output of :meth:`tokenize` (its ``document_mask`` feeds document pooling).
            refine_allowed: ``(batch,)`` bool, rows that may be refined when they fire
                (default all).

        Example:
            >>> batch = system.tokenize(system.prompts(rows))  # doctest: +SKIP
            >>> with system.attach(batch) as hooks:  # doctest: +SKIP
            ...     logits = system.base.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            >>> hooks.fired.shape == hooks.steps.shape == (len(rows),)  # doctest: +SKIP
            True
        """
        return LCRHooks(
            self.base.model, self.layer_index, detector=self.detector, refinement=self.refinement,
            document_mask=batch.get("document_mask"), refine_allowed=refine_allowed,
        )

    def generation_config(self, max_new_tokens: int, *, use_cache: bool = True, sample: bool = False) -> GenerationConfig:
        """The generation settings of the system: greedy, or the self-consistency sampling.

        Sampling draws the classifier's ``self_consistency_samples`` sequences per prompt
        (8 by default) by pure temperature sampling (``top_k=0``, ``top_p=1``) at its
        ``self_consistency_temperature`` (0.7 by default).
        """
        model_config = self.base.model.generation_config
        eos = model_config.eos_token_id if model_config.eos_token_id is not None else self.base.tokenizer.eos_token_id
        settings = dict(
            max_new_tokens=max_new_tokens, use_cache=use_cache, eos_token_id=eos,
            pad_token_id=self.base.tokenizer.pad_token_id, num_beams=1, do_sample=sample,
        )
        if sample:
            if self.classifier is None:
                raise ConfigError("Self-consistency sampling is a route of the classifier; this system has none.")
            config = self.classifier.config
            settings.update(temperature=config.self_consistency_temperature, top_k=0, top_p=1.0,
                            num_return_sequences=config.self_consistency_samples)
        return GenerationConfig(**settings)

    @torch.inference_mode()
    def level_probabilities(self, rows: Sequence[Mapping]) -> np.ndarray | None:
        """The classifier's ``(n, 4)`` level probabilities of rows, or None without a classifier."""
        if self.classifier is None:
            return None
        config = self.classifier.config
        if config.freeze_encoder:
            if self._classifier_encoder is None:
                self._classifier_encoder = load_encoder(config.base_model_name_or_path, config.base_model_revision)
            features = encode_rows(self._classifier_encoder, rows, [config.layer_index], progress=False,
                                   windowing=input_windowing(config))
            return predict_head(self.classifier, features)
        if self._classifier_tokenizer is None:
            self._classifier_tokenizer = AutoTokenizer.from_pretrained(self.classifier.name_or_path)
        separator = document_separator(self._classifier_tokenizer)
        examples = [format_example(row["query"], row["documents"], separator) for row in rows]
        device, out = self.classifier.device, []
        for start in range(0, len(examples), 32):
            batch = tokenize_examples(self._classifier_tokenizer, examples[start:start + 32])
            out.append(self.classifier(input_ids=batch["input_ids"].to(device),
                                       attention_mask=batch["attention_mask"].to(device)).probabilities.float().cpu())
        return torch.cat(out).numpy()

    def refine_allowed(self, level_probabilities: np.ndarray) -> np.ndarray:
        """Per row: does the router send a detected conflict to refinement (else self-consistency)?

        Refine when the top level is one of the classifier config's ``refine_levels`` and its
        probability >= ``refine_min_confidence``; without a classifier, always.

        Args:
            level_probabilities: ``(n, 4)`` output of :meth:`level_probabilities`.

        Returns:
            ``(n,)`` bool.
        """
        if self.classifier is None:
            return np.ones(len(level_probabilities), dtype=bool)
        config = self.classifier.config
        top = level_probabilities.argmax(-1)
        levels = np.array([CONFLICT_LEVELS[int(i)].label in config.refine_levels for i in top])
        return levels & (level_probabilities.max(-1) >= config.refine_min_confidence)

    # ------------------------------------------------------------------ the system

    @torch.inference_mode()
    def generate(
        self,
        rows: Sequence[Mapping],
        *,
        max_new_tokens: int = 64,
        batch_size: int = 8,
        use_cache: bool = True,
        seed: int = 42,
    ) -> list[LCRResult]:
        """Answer each row's question from its documents, handling detected conflicts.

        Args:
            rows: Mappings with ``query`` and ``documents`` (LCR rows or plain dicts).
            max_new_tokens: Tokens generated at most per answer (per sample for
                self-consistency).
            batch_size: Rows per generation batch (rows are batched by prompt length).
            use_cache: Generate with the KV cache (the result is the same without it).
            seed: Seed of the self-consistency sampling (the global RNG is left as it was).

        Returns:
            One :class:`LCRResult` per row, in order.

        Raises:
            DataError: A row is malformed, or a prompt does not fit the model's context.
        """
        prompts = self.prompts(rows)
        level_probabilities = self.level_probabilities(rows)
        allowed = self.refine_allowed(level_probabilities) if level_probabilities is not None else np.ones(len(rows), bool)
        results: list[LCRResult | None] = [None] * len(rows)
        for indices in length_sorted_batches([len(p.text) for p in prompts], batch_size):
            batch = self.tokenize([prompts[i] for i in indices], max_new_tokens)
            device = self.base.device
            input_ids, attention_mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            with self.attach(batch, refine_allowed=torch.from_numpy(allowed[indices])) as hooks:
                sequences = self.base.model.generate(
                    input_ids=input_ids, attention_mask=attention_mask,
                    generation_config=self.generation_config(max_new_tokens, use_cache=use_cache),
                    stopping_criteria=StoppingCriteriaList([_StopRows(hooks)]),
                )
            answers, lengths = self._decode(sequences[:, input_ids.shape[1]:])
            localizations = self._localizations([rows[i] for i in indices], hooks)
            consistency = (hooks.fired & ~hooks.refined).nonzero().squeeze(1).to(device)
            samples = {}
            if len(consistency):
                drawn = self._self_consistency(input_ids[consistency], attention_mask[consistency], max_new_tokens, seed)
                samples = dict(zip(consistency.tolist(), drawn))
            for j, i in enumerate(indices):
                level = confidence = None
                if level_probabilities is not None:
                    level = CONFLICT_LEVELS[int(level_probabilities[i].argmax())].label
                    confidence = float(level_probabilities[i].max())
                route, sample_texts, n_tokens = ROUTE_PLAIN, [], lengths[j]
                if j in samples:
                    route = ROUTE_SELF_CONSISTENCY
                    sample_texts, sample_tokens = samples[j]
                    answers[j] = majority_answer(sample_texts)
                    n_tokens = 1 + sample_tokens  # the first pass stops after one token
                elif bool(hooks.refined[j]):
                    route = ROUTE_REFINE
                results[i] = LCRResult(
                    answer=answers[j], conflict_probability=float(hooks.probabilities[j]), detected=bool(hooks.fired[j]),
                    level=level, level_confidence=confidence, route=route, refinement_steps=int(hooks.steps[j]),
                    tokens_generated=n_tokens, samples=sample_texts, localization=localizations[j],
                )
        return results  # type: ignore[return-value]

    def _localizations(self, rows: Sequence[Mapping], hooks: LCRHooks) -> list[dict | None]:
        """Each row's localisation (as a dict) from the pair logits the detector left on the hooks."""
        if hooks.pair_logits is None:
            return [None] * len(rows)
        per_row = split_pair_logits(hooks.pair_logits.cpu().numpy(), [len(r["documents"]) for r in rows])
        temperature = self.detector.config.calibration_temperature
        return [localize(p, document_refs(r["documents"]), temperature).as_dict() for r, p in zip(rows, per_row)]

    def _self_consistency(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int, seed: int
    ) -> list[tuple[list[str], int]]:
        """``k`` samples of each row with the plain base: ``[(texts, tokens generated), ...]``."""
        k = self.classifier.config.self_consistency_samples  # type: ignore[union-attr]  (only routed with one)
        devices = sorted({d.index or 0 for d in _model_devices(self.base.model) if d.type == "cuda"})
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            sequences = self.base.model.generate(
                input_ids=input_ids, attention_mask=attention_mask,
                generation_config=self.generation_config(max_new_tokens, sample=True),
            )
        texts, lengths = self._decode(sequences[:, input_ids.shape[1]:])
        return [(texts[r * k:(r + 1) * k], sum(lengths[r * k:(r + 1) * k])) for r in range(input_ids.shape[0])]

    def _decode(self, generated: torch.Tensor) -> tuple[list[str], list[int]]:
        """Texts and token counts of generated ids, each cut after its first end-of-sequence token."""
        eos = self.generation_config(1).eos_token_id
        eos_ids = torch.tensor(eos if isinstance(eos, list) else [eos], device=generated.device)
        is_end = torch.isin(generated, eos_ids)
        first_end = torch.where(is_end.any(1), is_end.int().argmax(1) + 1, torch.full_like(is_end[:, 0], generated.shape[1], dtype=torch.long))
        lengths = [int(n) for n in first_end]
        texts = [
            self.base.tokenizer.decode(row[:n], skip_special_tokens=True).strip() for row, n in zip(generated, lengths)
        ]
        return texts, lengths


def _model_devices(model: torch.nn.Module) -> set[torch.device]:
    return {p.device for p in model.parameters()}


def generate_report(
    base: str,
    detector: str,
    refinement: str,
    *,
    classifier: str | None = None,
    data: Sequence[str] | None = None,
    limit: int | None = None,
    max_new_tokens: int = 32,
    batch_size: int = 8,
    seed: int = 42,
    on_duplicate: str = ON_DUPLICATE_ERROR,
    **placement,
) -> dict:
    """Load a system and answer LCR rows: what ``lcr-hub generate`` prints.

    Args:
        base, detector, refinement, classifier: As :meth:`LCRSystem.from_pretrained`.
        data: LCR .jsonl files or folders (default: the bundled sample).
        limit: Answer only the first ``limit`` rows.
        max_new_tokens, batch_size, seed: As :meth:`LCRSystem.generate`.
        on_duplicate: ``"keep_first"`` keeps the first row of an id that repeats with different
            content instead of refusing the data (see :func:`~lcr_hub.data.load_lcr_dataset`).
        **placement: ``base_revision``, ``dtype``, ``device``, ``device_map``, ``max_memory``.

    Returns:
        ``{"rows": [...], "routes": {route: {"n", "mean_tokens_generated"}}}``; each row holds
        its ``id`` and the fields of :class:`LCRResult` (the gold answer is never shown to
        the system and not reported).
    """
    from dataclasses import asdict

    from .data import SAMPLE_DATA_PATH, load_lcr_dataset, resolve_data_files

    rows = load_lcr_dataset(resolve_data_files(data or [str(SAMPLE_DATA_PATH)]), on_duplicate=on_duplicate).to_list()[:limit]
    system = LCRSystem.from_pretrained(base, detector, refinement, classifier, **placement)
    results = system.generate(rows, max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed)
    report_rows = [{"id": row["id"], **asdict(result)} for row, result in zip(rows, results)]
    routes: dict[str, dict] = {}
    for result in results:
        entry = routes.setdefault(result.route, {"n": 0, "tokens_generated": 0})
        entry["n"] += 1
        entry["tokens_generated"] += result.tokens_generated
    for entry in routes.values():
        entry["mean_tokens_generated"] = entry.pop("tokens_generated") / entry["n"]
    return {"rows": report_rows, "routes": routes}
