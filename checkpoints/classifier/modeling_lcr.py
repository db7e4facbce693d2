"""The three LCR models: conflict detector, refinement module, taxonomy classifier.

Like ``configuration_lcr.py`` this file imports only torch, transformers and its siblings
``configuration_lcr.py``/``errors.py``, so that it can be uploaded as remote code.

Loading is strict: a checkpoint whose tensors are missing, unexpected or shaped
differently from what its ``config.json`` describes raises :class:`CheckpointError`
instead of silently re-initialising weights, as ``PreTrainedModel.from_pretrained``
would.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_lcr import LCRClassifierConfig, LCRDetectorConfig, LCRRefinementConfig

try:  # inside the lcr_hub package (transformers' remote-code import check skips try blocks)
    from lcr_hub.constants import QUERY_TOKEN_INDEX, WEIGHTS_NAME
    from lcr_hub.errors import CheckpointError, ConfigError
except ImportError:  # uploaded as remote code beside constants.py and errors.py
    from .constants import QUERY_TOKEN_INDEX, WEIGHTS_NAME  # type: ignore[no-redef]
    from .errors import CheckpointError, ConfigError  # type: ignore[no-redef]

#: Padded tokens per pass of the detector's mixing layers over windows.
_MIX_CHUNK_TOKENS = 16384

# --------------------------------------------------------------------------- outputs


@dataclass
class LCRDetectorOutput(ModelOutput):
    """Output of :class:`LCRDetector`: ``loss`` (BCE, with ``labels``), ``logits`` ``(batch,)``,
    ``probabilities`` (``sigmoid(logits / calibration_temperature)``) and, with
    ``pooling="documents"``, ``pair_logits`` ``(batch, pairs)``: every document pair ``(i, j)``,
    ``i < j``, in ``torch.triu_indices(n, n, 1)`` order (``n``: the batch's most documents;
    a pair with a missing document holds the dtype's lowest value); ``logits`` is their maximum.
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    probabilities: torch.Tensor | None = None
    pair_logits: torch.Tensor | None = None


@dataclass
class LCRRefinementOutput(ModelOutput):
    """Output of :class:`LCRRefinement`: the refined ``hidden_states`` (input's shape and dtype),
    ``steps`` ``(batch,)`` applied per example, and ``step_norms`` ``(batch,)``: the mean over
    real tokens of ``||alpha * delta||_2``, averaged over the example's steps (0 without any).
    """

    hidden_states: torch.Tensor | None = None
    steps: torch.Tensor | None = None
    step_norms: torch.Tensor | None = None


@dataclass
class LCRClassifierOutput(ModelOutput):
    """Output of :class:`LCRClassifier`: ``loss`` (cross-entropy with the config's label
    smoothing, with ``labels``), ``logits`` ``(batch, 4)`` and ``probabilities``
    (``softmax(logits / calibration_temperature)``).
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    probabilities: torch.Tensor | None = None


# --------------------------------------------------------------------------- base class


def _installed_resolver():
    """As remote code: the source resolver of an installed lcr_hub, or None without one."""
    if __name__.startswith("lcr_hub."):
        return None
    try:  # (transformers' remote-code import check skips imports inside try blocks)
        from lcr_hub.models.modeling_lcr import _LCRPreTrainedModel as installed
    except ImportError:
        return None
    return installed.source_resolver


class _LCRPreTrainedModel(PreTrainedModel):
    """Shared loading behaviour: strict weights, errors that name the folder."""

    main_input_name = "hidden_states"
    supports_gradient_checkpointing = False
    #: Called as ``source_resolver(name_or_path, kwargs)`` before transformers reads anything:
    #: it pops the download arguments it handles from ``kwargs`` and returns an object with
    #: ``path`` (a verified local folder), ``repo_id`` and ``commit``. ``import lcr_hub`` sets it
    #: to the hub's verified download; these models know nothing of the hub themselves.
    source_resolver = None

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *args: Any, **kwargs: Any):
        """Load a model saved with ``save_pretrained``, refusing any weight mismatch.

        Accepts every argument of ``PreTrainedModel.from_pretrained`` (``revision``,
        ``subfolder``, ``dtype``, ``device_map``...). With lcr_hub installed, a Hub repo is
        first downloaded and every file's sha256 checked against lcr_hub's registry of
        released variants before anything is deserialised (``require_pinned=True`` refuses
        other revisions; see ``lcr_hub.hub.loading``); the model is built from the checked
        bytes, their shapes compared with the config first. Only ``model.safetensors`` loads.

        Raises:
            ConfigError: The folder's config.json is of another model type or lacks keys.
            CheckpointError: Tensors are missing, unexpected or of the wrong shape, or the
                download failed or is not pinned (``require_pinned``).
            IntegrityError: A downloaded file's sha256 differs from the pinned one.
        """
        wants_info, source = kwargs.pop("output_loading_info", False), None
        where = os.fspath(pretrained_model_name_or_path) + (f"/{kwargs['subfolder']}" if kwargs.get("subfolder") else "")
        resolve_verified = _LCRPreTrainedModel.source_resolver or _installed_resolver()
        # Mismatched shapes are collected (not raised by transformers) so that the error
        # below can name every bad tensor; the model is never returned in that case.
        kwargs["ignore_mismatched_sizes"] = True
        try:
            if resolve_verified is not None:
                source = resolve_verified(pretrained_model_name_or_path, kwargs)
                pretrained_model_name_or_path = source.path
            if hasattr(source, "load"):  # built from the checked bytes, shapes checked before allocation
                kwargs["config"], kwargs["state_dict"] = source.load(cls, kwargs)
                pretrained_model_name_or_path = None
            else:
                kwargs["use_safetensors"] = True
            model, info = super().from_pretrained(
                pretrained_model_name_or_path, *args, output_loading_info=True, **kwargs
            )
        except ConfigError as error:
            raise ConfigError(f"{where}/config.json: {error}") from None
        except CheckpointError:
            raise
        except OSError as error:
            raise CheckpointError(
                f"Cannot load {cls.__name__} from {where}: {error}. Pass a folder written by "
                "save_pretrained() or a Hub repo id (with revision) that holds one."
            ) from error
        problems = []
        if info["missing_keys"]:
            problems.append(f"missing tensors {sorted(info['missing_keys'])}")
        if info["unexpected_keys"]:
            problems.append(f"unexpected tensors {sorted(info['unexpected_keys'])}")
        for name, found, expected in sorted(info["mismatched_keys"]):
            problems.append(f"tensor '{name}' has shape {tuple(found)} but the config implies {tuple(expected)}")
        if source is not None:
            model.name_or_path = model.config._name_or_path = source.repo_id or os.fspath(source.path)
            model.config._commit_hash = source.commit
        # The verified local folder the weights came from (for a Hub repo, its cached copy):
        # `lcr-hub validate` and CalibrationValidator read the reference outputs beside them.
        model.lcr_source = source
        if problems:
            raise CheckpointError(
                f"{where}/{WEIGHTS_NAME} does not match {where}/config.json ({cls.config_class.model_type}): "
                + "; ".join(problems) + ". Check that config.json belongs to these weights (hidden_size and "
                "the layer sizes), or re-save the model with save_pretrained()."
            )
        return (model, info) if wants_info else model


# --------------------------------------------------------------------------- detector


class LCRMixingLayer(nn.Module):
    """One post-norm transformer block (BERT layout) over the prompt's states.

    ``x = norm(x + attention(x))``, then ``x = norm(x + W_out(gelu(W_in(x))))``, with
    padding masked out of the attention. The tensor names follow BERT's roles so that a
    BERT-style base block can be copied in (see ``lcr_hub.training.heads.copy_bert_layer``).
    """

    def __init__(self, config: LCRDetectorConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.intermediate = nn.Linear(hidden, config.mixing_intermediate_size)
        self.output = nn.Linear(config.mixing_intermediate_size, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.num_heads, hidden // self.num_heads).transpose(1, 2)

        attended = nn.functional.scaled_dot_product_attention(
            heads(self.query(x)), heads(self.key(x)), heads(self.value(x)), attn_mask=(mask > 0)[:, None, None, :]
        )
        x = self.attention_norm(x + self.attention_output(attended.transpose(1, 2).reshape(batch, length, hidden)))
        return self.output_norm(x + self.output(nn.functional.gelu(self.intermediate(x))))


class LCRDetector(_LCRPreTrainedModel):
    """Says whether the retrieved documents conflict, from a base model's hidden states.

    ``pooling="mean"`` is the paper's head: masked mean over real tokens -> ``fc1`` ->
    ReLU -> ``fc2`` -> logit. ``pooling="documents"`` pools each document on its own with
    a learned attention (``doc_attention``), normalises it (``doc_norm``), compares every
    pair of documents (``[|a - b|, a * b]`` -> ``fc1`` -> ReLU -> ``fc2``) and takes the
    strongest disagreement (max over pairs) as the logit. The attention scorer is a small MLP
    (``Linear -> tanh -> Linear``): a single linear scorer can stall on a plateau in training
    (docs/history-code-notes.md). With ``document_attention="query"`` each token's score also
    gets ``key_projection(token) . query_projection(query) / sqrt(width)``, the query being the
    mean state of the row's query tokens: in a passage with five dates, the question says which.

    Example:
        >>> import torch
        >>> from lcr_hub import LCRDetector, LCRDetectorConfig
        >>> model = LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4))
        >>> out = model(torch.randn(2, 5, 8), attention_mask=torch.ones(2, 5))
        >>> out.probabilities.shape
        torch.Size([2])
    """

    config_class = LCRDetectorConfig

    def __init__(self, config: LCRDetectorConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        self.mixer = nn.ModuleList(LCRMixingLayer(config) for _ in range(config.mixing_layers))
        if config.pooling == "documents":
            self.doc_attention = nn.Sequential(
                nn.Linear(hidden, config.attention_hidden_size), nn.Tanh(), nn.Linear(config.attention_hidden_size, 1)
            )
            if config.document_attention == "query":
                self.query_projection = nn.Linear(hidden, config.attention_hidden_size)
                self.key_projection = nn.Linear(hidden, config.attention_hidden_size, bias=False)
            # The final score of every token (a hook point, e.g. for the training's span loss); no weights.
            self.doc_scores = nn.Identity()
            self.doc_norm = nn.LayerNorm(hidden)
            self.fc1 = nn.Linear(2 * hidden, config.intermediate_size)
        else:
            self.fc1 = nn.Linear(hidden, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, 1)
        self.post_init()

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        document_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> LCRDetectorOutput:
        """Score a batch.

        Args:
            hidden_states: ``(batch, seq, hidden)`` states at ``layer_index`` (``input_mode="joint"``),
                or ``(batch, windows, seq, hidden)`` (``"windows"``, ``lcr_hub.data.windows``):
                mixing within each window, each document pooled over all of its windows.
            attention_mask: ``(batch, seq)`` (or ``(batch, windows, seq)``), 1 for real tokens.
            document_mask: Same shape, long: each token's document index, -1 elsewhere
                (required for ``pooling="documents"``).
            labels: ``(batch,)`` 0/1 targets; adds the BCE loss.

        Returns:
            :class:`LCRDetectorOutput` with the logit and probability of each example.

        Raises:
            ValueError: Shapes disagree, or ``document_mask`` is missing for document pooling.
        """
        if hidden_states.dim() not in (3, 4) or hidden_states.shape[-1] != self.config.hidden_size:
            raise ValueError(
                f"LCRDetector expects hidden_states of shape (batch, seq, {self.config.hidden_size}) or "
                f"(batch, windows, seq, {self.config.hidden_size}), got {tuple(hidden_states.shape)}."
            )
        if attention_mask is None:
            attention_mask = torch.ones(hidden_states.shape[:-1], device=hidden_states.device)
        mask = attention_mask.to(hidden_states.dtype)
        if hidden_states.dim() == 4:
            hidden_states, mask, document_mask = self._mix_windows(hidden_states, mask, document_mask)
        else:
            for layer in self.mixer:
                hidden_states = layer(hidden_states, mask)
        pair_logits = None
        if self.config.pooling == "documents":
            pair_logits = self._pair_logits(hidden_states, mask, document_mask)
            logits = pair_logits.max(dim=-1).values
            pair_logits = pair_logits[:, :-1]
        else:
            # Summed in float32 at least: in float16 a sum over a long prompt can overflow.
            wide = torch.promote_types(hidden_states.dtype, torch.float32)
            summed = (hidden_states * mask.unsqueeze(-1)).sum(1, dtype=wide)
            pooled = (summed / mask.to(wide).sum(1, keepdim=True).clamp(min=1)).to(hidden_states.dtype)
            logits = self.fc2(torch.relu(self.fc1(pooled))).squeeze(-1)
        scaled = logits / self.config.calibration_temperature
        loss = None
        if labels is not None:
            wide = torch.promote_types(scaled.dtype, torch.float32)  # float64 training keeps its precision
            loss = nn.functional.binary_cross_entropy_with_logits(scaled.to(wide), labels.to(wide))
        return LCRDetectorOutput(
            loss=loss, logits=logits, probabilities=torch.sigmoid(scaled), pair_logits=pair_logits
        )

    def _mix_windows(
        self, hidden_states: torch.Tensor, mask: torch.Tensor, document_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Mixing layers within each window (block-diagonal attention: cost linear in the
        row's length), then each row's windows laid end to end as one sequence."""
        batch, windows, length, hidden = hidden_states.shape
        flat, flat_mask = hidden_states.reshape(-1, length, hidden), mask.reshape(-1, length)
        if len(self.mixer):
            real = (flat_mask > 0).any(-1).nonzero().squeeze(-1)  # an all-padding window would give NaN
            step = max(_MIX_CHUNK_TOKENS // max(length, 1), 1)  # bounded attention memory on long rows
            parts = []
            for start in range(0, real.numel(), step):
                mixed = flat[real[start : start + step]]
                for layer in self.mixer:
                    mixed = layer(mixed, flat_mask[real[start : start + step]])
                parts.append(mixed)
            mixed = torch.cat(parts) if parts else flat[real]
            flat = flat.to(mixed.dtype).index_put((real,), mixed)
        if document_mask is not None:
            document_mask = document_mask.reshape(batch, windows * length)
        return flat.reshape(batch, windows * length, hidden), mask.reshape(batch, windows * length), document_mask

    def _pair_logits(
        self, hidden_states: torch.Tensor, mask: torch.Tensor, document_mask: torch.Tensor | None
    ) -> torch.Tensor:
        if document_mask is None:
            raise ValueError(
                "LCRDetector with pooling='documents' needs document_mask: (batch, seq) with the "
                "index of the document of each token and -1 elsewhere (see "
                "lcr_hub.data.tokenize_examples)."
            )
        if document_mask.shape != hidden_states.shape[:2]:
            raise ValueError(
                f"document_mask has shape {tuple(document_mask.shape)}, expected {tuple(hidden_states.shape[:2])}."
            )
        document_mask = document_mask.to(hidden_states.device)
        num_docs = max(int(document_mask.max().item()) + 1, 1)
        doc_ids = torch.arange(num_docs, device=hidden_states.device)
        member = (document_mask.unsqueeze(1) == doc_ids.view(1, -1, 1)) & (mask.unsqueeze(1) > 0)
        valid_doc = member.any(-1)  # (batch, docs)
        scores = self.doc_attention(hidden_states).squeeze(-1)  # (batch, seq)
        if self.config.document_attention == "query":
            scores = scores + self._query_scores(hidden_states, mask, document_mask)
        scores = self.doc_scores(scores)
        scores = scores.unsqueeze(1).expand(-1, num_docs, -1)
        scores = scores.masked_fill(~member, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1) * member.to(scores.dtype)
        pooled = self.doc_norm(torch.einsum("bds,bsh->bdh", weights, hidden_states))
        first, second = torch.triu_indices(num_docs, num_docs, offset=1, device=hidden_states.device)
        # Examples with fewer than two documents compare their first document with itself.
        first = torch.cat([first, first.new_zeros(1)])
        second = torch.cat([second, second.new_zeros(1)])
        a, b = pooled[:, first], pooled[:, second]
        pair_logits = self.fc2(torch.relu(self.fc1(torch.cat([(a - b).abs(), a * b], dim=-1)))).squeeze(-1)
        valid = valid_doc[:, first] & valid_doc[:, second]
        valid[:, -1] = valid_doc.sum(-1) < 2
        # Last column: the self-pair that stands in for examples with fewer than two documents.
        return pair_logits.masked_fill(~valid, torch.finfo(pair_logits.dtype).min)

    def _query_scores(
        self, hidden_states: torch.Tensor, mask: torch.Tensor, document_mask: torch.Tensor
    ) -> torch.Tensor:
        """``(batch, seq)`` bilinear score of each token against the mean state of its row's query
        tokens (every window's: each reads the query beside another part of the documents)."""
        query = ((document_mask == QUERY_TOKEN_INDEX) & (mask > 0)).to(hidden_states.dtype).unsqueeze(-1)
        wide = torch.promote_types(hidden_states.dtype, torch.float32)  # at least float32: long rows overflow float16
        summed = (hidden_states * query).sum(1, dtype=wide)
        pooled = (summed / query.to(wide).sum(1).clamp(min=1)).to(hidden_states.dtype)
        keys = self.key_projection(hidden_states)  # (batch, seq, attention_hidden)
        return torch.einsum("bsa,ba->bs", keys, self.query_projection(pooled)) / keys.shape[-1] ** 0.5

    def detect(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Boolean decision per example: probability >= the config's threshold."""
        return self(*args, **kwargs).probabilities >= self.config.threshold


# --------------------------------------------------------------------------- refinement


class LCRRefinement(_LCRPreTrainedModel):
    """Nudges hidden states a few small steps: ``h = h + alpha * w_down(relu(w_up(h)))``.

    Each example stops early once the mean over its real tokens of ``||delta||_2`` falls
    below ``epsilon`` (that step is not applied). Passing ``steps`` applies a fixed number
    of steps per example instead (used for generated positions, so that generation with
    and without a KV cache agree).

    Example:
        >>> import torch
        >>> from lcr_hub import LCRRefinement, LCRRefinementConfig
        >>> _ = torch.manual_seed(0)
        >>> model = LCRRefinement(LCRRefinementConfig(hidden_size=8, bottleneck_size=4))
        >>> states = torch.randn(2, 5, 8)
        >>> out = model(states)  # untrained: the first step is already below epsilon
        >>> out.hidden_states.shape, out.steps.tolist(), torch.equal(out.hidden_states, states)
        (torch.Size([2, 5, 8]), [0, 0], True)
        >>> model(states, steps=torch.tensor([3, 1])).steps.tolist()  # fixed steps, no early stop
        [3, 1]
    """

    config_class = LCRRefinementConfig

    def __init__(self, config: LCRRefinementConfig) -> None:
        super().__init__(config)
        self.w_up = nn.Linear(config.hidden_size, config.bottleneck_size, bias=False)
        self.w_down = nn.Linear(config.bottleneck_size, config.hidden_size, bias=False)
        self.post_init()

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        steps: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> LCRRefinementOutput:
        """Refine a batch of states.

        Args:
            hidden_states: ``(batch, seq, hidden)``.
            attention_mask: ``(batch, seq)``; padding positions are never changed.
            steps: Optional ``(batch,)`` steps to apply per example, no early stop (clipped to ``t_max``).

        Returns:
            :class:`LCRRefinementOutput` with the refined states and the steps taken.
        """
        if hidden_states.dim() != 3 or hidden_states.shape[-1] != self.config.hidden_size:
            raise ValueError(
                f"LCRRefinement expects hidden_states of shape (batch, seq, {self.config.hidden_size}), "
                f"got {tuple(hidden_states.shape)}."
            )
        batch, device = hidden_states.shape[0], hidden_states.device
        if attention_mask is None:
            attention_mask = torch.ones(hidden_states.shape[:2], device=device)
        real = attention_mask.to(device) > 0
        n_real = real.sum(1).clamp(min=1).float()
        taken = torch.zeros(batch, dtype=torch.long, device=device)
        norm_sum = torch.zeros(batch, dtype=torch.float32, device=device)
        active = torch.ones(batch, dtype=torch.bool, device=device)
        steps = steps.to(device) if steps is not None else None
        # h <- h + alpha * w_down(relu(w_up(h))) run in the bottleneck: with u = w_up(h), r = relu(u),
        # a step is u <- u + alpha * (w_up w_down) r, its norm sqrt(r . (w_down^T w_down) r), and the
        # result h + alpha * w_down(sum of applied r): 2*hidden*bottleneck + 2*bottleneck^2*t
        # multiply-adds per token instead of 2*hidden*bottleneck*t.
        mix, gram = self._bottleneck_products()
        u = self.w_up(hidden_states)
        applied = None
        for t in range(self.config.t_max):
            if steps is not None:
                active = steps > t
                if not bool(active.any()):
                    break
            r = torch.relu(u)
            r32 = r.float()
            squared = ((r32 @ gram) * r32).sum(-1)
            token_norms = torch.where(squared > 0, squared.clamp_min(1e-30).sqrt(), 0.0) * real
            mean_norm = token_norms.sum(1) / n_real
            if steps is None:
                active = active & (mean_norm >= self.config.epsilon)
                if not bool(active.any()):
                    break
            update = (active.unsqueeze(1) & real).unsqueeze(-1)
            if not bool(update.all()):  # padding, or rows that stopped: their r is not applied
                r = r * update
            applied = r if applied is None else applied + r
            if t + 1 < self.config.t_max:
                u = u + self.config.alpha * (r @ mix.T)
            taken = taken + active.long()
            norm_sum = norm_sum + (self.config.alpha * mean_norm) * active
        h = hidden_states if applied is None else hidden_states + self.config.alpha * self.w_down(applied)
        step_norms = norm_sum / taken.clamp(min=1)
        return LCRRefinementOutput(hidden_states=h, steps=taken, step_norms=step_norms)

    def _bottleneck_products(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``w_up @ w_down`` (weights' dtype) and ``w_down^T w_down`` (float32); recomputed when
        gradients flow, else cached until the weights change (another tensor after ``.to()``, or
        an in-place update: an optimizer step, ``load_state_dict``)."""
        up, down = self.w_up.weight, self.w_down.weight

        def compute() -> tuple[torch.Tensor, torch.Tensor]:
            return up @ down, down.float().T @ down.float()

        if torch.is_grad_enabled() and (up.requires_grad or down.requires_grad):
            return compute()
        try:
            versions = (up._version, down._version)
        except RuntimeError:  # inference tensors carry no version counter
            return compute()
        cached = self.__dict__.get("_products_cache")
        if cached is None or cached[0]() is not up or cached[1]() is not down or cached[2] != versions:
            with torch.no_grad():
                cached = (weakref.ref(up), weakref.ref(down), versions, compute())
            self.__dict__["_products_cache"] = cached
        return cached[3]


# --------------------------------------------------------------------------- classifier


class LCRClassifier(_LCRPreTrainedModel):
    """Names the conflict level (L1..L4) of a query and its documents.

    The head pools the encoder states (``pooling``: learned attention, mean or first
    token), then ``dense`` -> tanh -> ``out_proj`` gives four logits.

    With ``config.freeze_encoder`` the model is a head on a frozen, shared encoder whose
    weights are not part of the checkpoint: pass ``hidden_states`` computed once for the
    detector and the classifier, or attach the encoder with :meth:`attach_encoder` and pass
    ``input_ids``. Otherwise the fine-tuned encoder is part of the model (``self.encoder``)
    and ``input_ids`` are encoded by it.

    Example:
        >>> import torch
        >>> from lcr_hub import LCRClassifier, LCRClassifierConfig
        >>> model = LCRClassifier(LCRClassifierConfig(hidden_size=8, classifier_hidden_size=4))
        >>> model(hidden_states=torch.randn(2, 5, 8)).probabilities.shape
        torch.Size([2, 4])
    """

    config_class = LCRClassifierConfig
    main_input_name = "input_ids"

    def __init__(self, config: LCRClassifierConfig) -> None:
        super().__init__(config)
        if not config.freeze_encoder:
            encoder_config = dict(config.encoder_config)
            self.encoder = AutoModel.from_config(AutoConfig.for_model(**encoder_config))
        else:
            self.encoder = None
        if config.pooling == "attention":
            self.token_attention = nn.Linear(config.hidden_size, 1)
            self.pool_norm = nn.LayerNorm(config.hidden_size)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.dense = nn.Linear(config.hidden_size, config.classifier_hidden_size)
        self.out_proj = nn.Linear(config.classifier_hidden_size, len(config.id2label))
        self.post_init()

    def attach_encoder(self, encoder: nn.Module) -> None:
        """Attach the frozen shared encoder (not saved with this model's weights).

        Args:
            encoder: The base encoder named by ``config.base_model_name_or_path``.

        Raises:
            ConfigError: The model has its own (fine-tuned) encoder.
        """
        if not self.config.freeze_encoder:
            raise ConfigError("This LCRClassifier has its own fine-tuned encoder; nothing to attach.")
        self.__dict__["_frozen_encoder"] = encoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        hidden_states: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> LCRClassifierOutput:
        """Classify a batch.

        Args:
            input_ids: Token ids of the formatted text (see ``lcr_hub.data.format_example``).
            attention_mask: ``(batch, seq)``, 1 for real tokens.
            token_type_ids: Passed to the encoder when given.
            hidden_states: ``(batch, seq, hidden)`` encoder states at ``layer_index``,
                instead of ``input_ids``; or ``(batch, windows, seq, hidden)``, each row's
                windows (``input_mode="windows"``), pooled over every window's tokens.
            labels: ``(batch,)`` level ids 0..3; adds the cross-entropy loss.

        Returns:
            :class:`LCRClassifierOutput`.

        Raises:
            ValueError: Neither ``hidden_states`` nor ``input_ids`` (with an encoder) given.
        """
        if hidden_states is None:
            encoder = self.encoder if self.encoder is not None else self.__dict__.get("_frozen_encoder")
            if input_ids is None or encoder is None:
                raise ValueError(
                    "LCRClassifier needs hidden_states, or input_ids and an encoder: this model's "
                    "encoder is frozen and shared, so attach it first with "
                    "model.attach_encoder(encoder) or use lcr_hub.LCRPipeline."
                )
            encoder_kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                encoder_kwargs["token_type_ids"] = token_type_ids
            with torch.set_grad_enabled(torch.is_grad_enabled() and self.encoder is not None):
                outputs = encoder(**encoder_kwargs, output_hidden_states=True)
            hidden_states = outputs.hidden_states[self.config.layer_index]
        if attention_mask is None:
            attention_mask = torch.ones(hidden_states.shape[:-1], device=hidden_states.device)
        if hidden_states.dim() == 4:  # (batch, windows, seq, hidden): every window's tokens, end to end
            hidden_states = hidden_states.flatten(1, 2)
            attention_mask = attention_mask.flatten(1, 2)
        mask = attention_mask.to(hidden_states.device, hidden_states.dtype)
        if self.config.pooling == "cls":
            pooled = hidden_states[:, 0]
        elif self.config.pooling == "attention":
            scores = self.token_attention(hidden_states).squeeze(-1)
            scores = scores.masked_fill(mask == 0, torch.finfo(scores.dtype).min)
            weights = torch.softmax(scores, dim=-1) * mask
            pooled = self.pool_norm(torch.einsum("bs,bsh->bh", weights, hidden_states))
        else:
            pooled = (hidden_states * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        x = torch.tanh(self.dense(self.dropout(pooled)))
        logits = self.out_proj(self.dropout(x))
        # At least float32 (half-precision logits), float64 in float64 training.
        scaled = logits.to(torch.promote_types(logits.dtype, torch.float32)) / self.config.calibration_temperature
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(scaled, labels.long(), label_smoothing=self.config.label_smoothing)
        probabilities = torch.softmax(scaled, dim=-1).to(logits.dtype)
        return LCRClassifierOutput(loss=loss, logits=logits, probabilities=probabilities)


__all__ = ["LCRDetector", "LCRRefinement", "LCRClassifier", "LCRDetectorOutput", "LCRRefinementOutput",
           "LCRClassifierOutput"]
