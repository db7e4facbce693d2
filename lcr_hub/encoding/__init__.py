"""One pass of a frozen base model over LCR rows: hidden states, cached per row, batched.

Used by inference (``lcr_hub.pipeline``, ``lcr_hub.system``), evaluation and training alike.
"""

from .batches import EncodedRows, encode_rows, length_sorted_batches, predict_head
from .features import BaseEncoder, CausalLMBase, is_causal_lm, load_causal_base, load_encoder, resolve_encoder

__all__ = [
    "BaseEncoder",
    "CausalLMBase",
    "EncodedRows",
    "encode_rows",
    "is_causal_lm",
    "length_sorted_batches",
    "load_causal_base",
    "load_encoder",
    "predict_head",
    "resolve_encoder",
]
