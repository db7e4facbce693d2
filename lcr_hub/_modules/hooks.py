"""Forward hooks that run the LCR detector and refinement inside a causal LM.

One forward hook sits on the decoder block whose output is ``hidden_states[layer_index]``
(block ``layer_index - 1``); a forward pre-hook on the whole model reads each call's 2-D
attention mask (left padding, and during generation the mask of the cache plus the new
positions). The first call through the block is the prompt: the detector scores it, and
the rows that fire (and that the router lets refine) are refined with the per-example
early stop, which fixes each row's number of steps; every later call (each generated
position with a KV cache, or the whole sequence without one) applies those steps
unchanged. Rows that do not fire are never touched: when no row is refined the block's
output object is returned as it came.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from ..errors import ConfigError
from .placement import decoder_blocks


class LCRHooks:
    """Context manager that attaches the LCR hooks to a causal LM and always removes them.

    Args:
        model: The causal LM (``AutoModelForCausalLM``), possibly dispatched by Accelerate.
        layer_index: Index into ``outputs.hidden_states`` that is read and refined
            (1 .. num_hidden_layers - 1).
        detector: An :class:`~lcr_hub.LCRDetector`, or None to refine every allowed row
            (training).
        refinement: The :class:`~lcr_hub.LCRRefinement` (or a wrapper with its call
            signature, e.g. a DDP module), or None to detect only.
        document_mask: ``(batch, prompt_len)`` document index per prompt token (needed by
            ``pooling="documents"``).
        refine_allowed: ``(batch,)`` bool; rows the router sends to refinement when they
            fire (default all).
        decide_mask: ``(batch, seq)``; when given, the early stop of the first call is
            decided on these tokens only (the prompt inside a prompt+answer training
            sequence) and the steps are then applied to every real token.

    Attributes (set by the first call through the block):
        probabilities: ``(batch,)`` detector probability (None without a detector).
        fired: ``(batch,)`` bool, probability >= the detector's threshold.
        pair_logits: ``(batch, pairs)`` the detector's pair logits (None without document pooling).
        refined: ``(batch,)`` bool, rows that fired and were allowed to refine.
        steps: ``(batch,)`` long, refinement steps of each row (0 when not refined).
        step_norms: ``(batch,)`` mean step norm of each row (differentiable; 0 when not refined).
        calls: Number of calls through the block so far.
    """

    def __init__(
        self,
        model: nn.Module,
        layer_index: int,
        *,
        detector: nn.Module | None = None,
        refinement: Callable[..., Any] | None = None,
        document_mask: torch.Tensor | None = None,
        refine_allowed: torch.Tensor | None = None,
        decide_mask: torch.Tensor | None = None,
    ) -> None:
        self.model = model
        self.block = hooked_block(model, layer_index)
        self.detector = detector
        self.refinement = refinement
        self.document_mask = document_mask
        self.refine_allowed = refine_allowed
        self.decide_mask = decide_mask
        self.probabilities: torch.Tensor | None = None
        self.fired: torch.Tensor | None = None
        self.pair_logits: torch.Tensor | None = None
        self.refined: torch.Tensor | None = None
        self.steps: torch.Tensor | None = None
        self.step_norms: torch.Tensor | None = None
        self.calls = 0
        self._attention_mask: torch.Tensor | None = None
        self._handles: list = []

    # ------------------------------------------------------------------ attach / detach

    def __enter__(self) -> "LCRHooks":
        self._handles = [
            self.model.register_forward_pre_hook(self._read_mask, with_kwargs=True),
            self.block.register_forward_hook(self._on_block),
        ]
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # ------------------------------------------------------------------ hooks

    def _read_mask(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        mask = kwargs.get("attention_mask")
        if mask is not None and mask.dim() != 2:
            raise ValueError(
                f"LCR hooks need the 2-D attention mask (batch, seq) of the call, got shape {tuple(mask.shape)}."
            )
        self._attention_mask = mask

    def _on_block(self, module: nn.Module, args: tuple, output: Any) -> Any:
        h = output[0] if isinstance(output, tuple) else output
        batch, length = h.shape[:2]
        if self._attention_mask is None:
            mask = torch.ones(batch, length, device=h.device, dtype=torch.long)
        else:
            mask = self._attention_mask[:, -length:].to(h.device)
        first = self.calls == 0
        self.calls += 1
        if first:
            new_h = self._prompt(h, mask)
        else:
            new_h = self._continue(h, mask)
        if new_h is h:
            return output
        return (new_h, *output[1:]) if isinstance(output, tuple) else new_h

    def _prompt(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch = h.shape[0]
        allowed = torch.ones(batch, dtype=torch.bool, device=h.device)
        if self.refine_allowed is not None:
            allowed = self.refine_allowed.to(h.device).bool()
        if self.detector is not None:
            document_mask = None if self.document_mask is None else self.document_mask.to(h.device)
            if document_mask is not None and document_mask.shape != mask.shape:
                raise ValueError(
                    f"document_mask has shape {tuple(document_mask.shape)} but the prompt pass has {tuple(mask.shape)}."
                )
            out = self.detector(h.to(self.detector.dtype), attention_mask=mask, document_mask=document_mask)
            self.probabilities = out.probabilities.float()
            self.pair_logits = None if out.pair_logits is None else out.pair_logits.float()
            self.fired = self.probabilities >= self.detector.config.threshold
        else:
            self.fired = torch.ones(batch, dtype=torch.bool, device=h.device)
        self.refined = self.fired & allowed
        self.steps = torch.zeros(batch, dtype=torch.long, device=h.device)
        self.step_norms = torch.zeros(batch, dtype=torch.float32, device=h.device)
        if self.refinement is None or not bool(self.refined.any()):
            return h
        rows = self._rows(self.refined)
        decide = mask if self.decide_mask is None else self.decide_mask.to(h.device)
        h_rows, mask_rows = self._take(h, rows), self._take(mask, rows)
        if self.decide_mask is None:
            out = self._refine(h_rows, mask_rows)
        else:
            with torch.no_grad():
                steps = self._refine(h_rows, self._take(decide, rows)).steps
            out = self._refine(h_rows, mask_rows, steps=steps)
        self.steps = self._put(self.steps, rows, out.steps)
        self.step_norms = self._put(self.step_norms, rows, out.step_norms.float())
        return self._put(h, rows, out.hidden_states.to(h.dtype))

    def _continue(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.refinement is None or self.steps is None or not bool((self.steps > 0).any()):
            return h
        rows = self._rows(self.steps > 0)
        out = self._refine(self._take(h, rows), self._take(mask, rows), steps=self._take(self.steps, rows))
        return self._put(h, rows, out.hidden_states.to(h.dtype))

    # ------------------------------------------------------------------ helpers

    def _refine(self, h: torch.Tensor, mask: torch.Tensor, steps: torch.Tensor | None = None):
        dtype = next(iter(_parameters(self.refinement))).dtype
        return self.refinement(h.to(dtype), attention_mask=mask, steps=steps)

    @staticmethod
    def _rows(selected: torch.Tensor) -> torch.Tensor | None:
        """Indices of the selected rows, or None when every row is selected (no copy needed)."""
        return None if bool(selected.all()) else selected.nonzero().squeeze(1)

    @staticmethod
    def _take(x: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
        return x if rows is None else x.index_select(0, rows.to(x.device))

    @staticmethod
    def _put(x: torch.Tensor, rows: torch.Tensor | None, values: torch.Tensor) -> torch.Tensor:
        return values.to(x.device) if rows is None else x.index_copy(0, rows.to(x.device), values.to(x.device))


def hooked_block(model: nn.Module, layer_index: int) -> nn.Module:
    """The decoder block whose output is ``hidden_states[layer_index]`` (block ``layer_index - 1``).

    Raises:
        ConfigError: ``layer_index`` is not in ``1 .. num_hidden_layers - 1``.
    """
    blocks = decoder_blocks(model)
    if not 1 <= layer_index < len(blocks):
        raise ConfigError(
            f"layer_index {layer_index} cannot be refined in a model with {len(blocks)} decoder blocks: "
            f"it must be in 1..{len(blocks) - 1} (hidden_states[k] is the output of block k-1; 0 is the "
            "embeddings and the last one is after the final norm)."
        )
    return blocks[layer_index - 1]


def _parameters(module: Any):
    """Parameters of a module or of the module a wrapper (DDP) holds."""
    return getattr(module, "module", module).parameters()
