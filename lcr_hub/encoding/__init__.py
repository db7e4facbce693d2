"""One pass of a frozen base model over LCR rows: hidden states, cached per row, batched.

Used by inference (``lcr_hub.pipeline``, ``lcr_hub.system``), evaluation and training alike.
"""

from .batches import EncodedRows, encode_rows, input_windowing, length_sorted_batches, predict_head
from .features import BaseEncoder, CausalLMBase, load_causal_base, load_encoder

# The public API; input_windowing, length_sorted_batches and predict_head serve lcr_hub's own layers.
__all__ = [
    "BaseEncoder",
    "CausalLMBase",
    "EncodedRows",
    "encode_rows",
    "load_causal_base",
    "load_encoder",
]
