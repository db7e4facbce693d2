"""Run a frozen base once over LCR rows and batch the cached states for the heads.

Used by inference (pipeline, system), evaluation and training alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from ..models.modeling_lcr import LCRClassifier, LCRDetector
from .features import BaseEncoder


@dataclass
class EncodedRows:
    """Cached encoder states of a list of rows (real tokens only, no padding).

    Attributes:
        states: ``states[layer][i]`` is the ``(tokens, hidden)`` float32 states of row i.
        document_ids: Per row, ``(tokens,)`` the document index of each token (-1 for the
            query, separators and special tokens).
    """

    states: dict[int, list[torch.Tensor]]
    document_ids: list[torch.Tensor]

    def batch(self, layer: int, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded ``(hidden_states, attention_mask, document_mask)`` of some rows."""
        return _collate_documents([self.states[layer][i] for i in indices], [self.document_ids[i] for i in indices])


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group indices into batches of similar length (longest first), deterministically.

    Args:
        lengths: A length per item.
        batch_size: Items per batch.

    Returns:
        Lists of indices; together they cover every index once.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


@torch.inference_mode()
def encode_rows(
    encoder: BaseEncoder,
    rows: Sequence[Mapping],
    layers: Sequence[int],
    *,
    batch_size: int = 32,
    desc: str = "Encoding",
    progress: bool = True,
    mean_only: bool = False,
) -> EncodedRows:
    """Run the frozen encoder once over every row and keep the states the heads read.

    Args:
        encoder: The base encoder.
        rows: LCR rows (mappings with ``query`` and ``documents``).
        layers: Indices into ``outputs.hidden_states`` to keep.
        batch_size: Rows per forward pass (rows are batched by length).
        desc: Progress-bar label.
        progress: Show a progress bar.
        mean_only: Keep each row's mean over its real tokens as a one-token sequence
            (document id -1) instead of every token: all a ``mean``-pooling detector reads,
            at a fraction of the memory (a causal LM's prompts are long and wide).

    Returns:
        :class:`EncodedRows` in the order of ``rows``.
    """
    formatted = [encoder.format(row["query"], row["documents"]) for row in rows]
    layers = sorted(set(layers))
    states: dict[int, list] = {k: [None] * len(rows) for k in layers}
    doc_ids: list = [None] * len(rows)
    batches = length_sorted_batches([len(f.text) for f in formatted], batch_size)
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress) as bar:
        for batch_indices in batches:
            hidden, batch = encoder.hidden_states([formatted[i] for i in batch_indices], layers)
            for j, i in enumerate(batch_indices):
                real = batch["attention_mask"][j] > 0
                doc_ids[i] = torch.tensor([-1]) if mean_only else batch["document_mask"][j][real].clone()
                for k in layers:
                    row_states = hidden[k][j][real.to(hidden[k].device)].float()
                    states[k][i] = (row_states.mean(0, keepdim=True) if mean_only else row_states).cpu().clone()
            bar.update(len(batch_indices))
    return EncodedRows(states=states, document_ids=doc_ids)


def _collate_documents(
    states: Sequence[torch.Tensor], doc_ids: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(max(s.shape[0] for s in states), 1)
    hidden = states[0].shape[-1]
    x = torch.zeros(len(states), length, hidden, dtype=states[0].dtype)
    attention = torch.zeros(len(states), length)
    documents = torch.full((len(states), length), -1, dtype=torch.long)
    for i, (s, d) in enumerate(zip(states, doc_ids)):
        x[i, : s.shape[0]] = s
        attention[i, : s.shape[0]] = 1
        documents[i, : s.shape[0]] = d
    return x, attention, documents


@torch.inference_mode()
def predict_head(model: LCRDetector | LCRClassifier, features: EncodedRows, batch_size: int = 64) -> np.ndarray:
    """Probabilities of cached rows: ``(rows,)`` for a detector, ``(rows, 4)`` for a classifier."""
    out = []
    n = len(features.document_ids)
    device = next(model.parameters()).device
    for start in range(0, n, batch_size):
        batch = features.batch(model.config.layer_index, range(start, min(start + batch_size, n)))
        x, attention, documents = (t.to(device) for t in batch)
        out.append(model(hidden_states=x, attention_mask=attention, document_mask=documents).probabilities.cpu())
    return torch.cat(out).float().numpy()

