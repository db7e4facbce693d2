"""Run a frozen base once over LCR rows and batch the cached states for the heads.

Used by inference (pipeline, system), evaluation and training alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .._modules.precision import at_least_float32
from ..models.modeling_lcr import LCRClassifier, LCRDetector
from ..constants import INPUT_MODE_PACKED, WINDOWED_INPUT_MODES
from ..data.windows import Windowing, group_windows
from .features import BaseEncoder


@dataclass
class EncodedRows:
    """Cached encoder states of a list of rows (real tokens only, no padding).

    Attributes:
        states: ``states[layer][i]`` is the ``(tokens, hidden)`` states of row i (with
            windows: every window's real tokens, end to end).
        document_ids: Per row, ``(tokens,)`` the document index of each token (-1 for the
            query, separators, special tokens and overlap tokens an earlier window holds).
        window_ids: Per row, ``(tokens,)`` the window (0, 1, ...) of each token, for rows read
            in windows (``input_mode="windows"`` or ``"packed"``); None for joint sequences.
        windows_cut: Per row, the windows a cap dropped (None without windows).
        documents_cut: Per row, the whole documents a cap dropped (None without windows).
    """

    states: dict[int, list[torch.Tensor]]
    document_ids: list[torch.Tensor]
    window_ids: list[torch.Tensor] | None = None
    windows_cut: list[int] | None = None
    documents_cut: list[int] | None = None

    def batch(
        self, layer: int, indices: Sequence[int], dtype: torch.dtype | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded ``(hidden_states, attention_mask, document_mask)`` of some rows.

        ``(rows, seq, ...)`` for joint sequences, ``(rows, windows, seq, ...)`` for windows;
        ``hidden_states`` in ``dtype`` (default: the cached states').
        """
        states = [self.states[layer][i] for i in indices]
        documents = [self.document_ids[i] for i in indices]
        if self.window_ids is None:
            return _collate_documents(states, documents, dtype)
        windows = [self.window_ids[i] for i in indices]
        split_states, split_docs, owners = [], [], []
        for row, (s, d, w) in enumerate(zip(states, documents, windows)):
            counts = torch.bincount(w).tolist() if w.numel() else [0]
            split_states.extend(torch.split(s, counts))
            split_docs.extend(torch.split(d, counts))
            owners.extend([row] * len(counts))
        x, attention, document_mask = _collate_documents(split_states, split_docs, dtype)
        return tuple(group_windows(torch.tensor(owners), len(indices), x, attention, document_mask, fill=(0, 0, -1)))

    def tokens(self, layer: int) -> list[int]:
        """The number of cached tokens of each row (what a pass over it costs)."""
        return [s.shape[0] for s in self.states[layer]]


def input_windowing(config, max_windows: int | None = None) -> Windowing | None:
    """The windows an LCR model's config says its base reads, or None for joint sequences.

    Args:
        config: An LCR detector or classifier config (``input_mode``, ``window_overlap``).
        max_windows: Optional cap on windows per row (dropped windows are counted).

    Returns:
        A :class:`~lcr_hub.data.windows.Windowing`, or None (``input_mode="joint"``).

    Example:
        >>> from lcr_hub import LCRDetectorConfig
        >>> input_windowing(LCRDetectorConfig(hidden_size=8, input_mode="windows", window_overlap=32))
        Windowing(overlap=32, max_windows=None, pack=False)
    """
    mode = getattr(config, "input_mode", None)
    if mode not in WINDOWED_INPUT_MODES:
        return None
    return Windowing(overlap=config.window_overlap, max_windows=max_windows, pack=mode == INPUT_MODE_PACKED)


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
    windowing: Windowing | None = None,
    dtype: torch.dtype = torch.float32,
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
        windowing: Read each document with the query in its own windows (the
            ``input_mode="windows"`` of LCR configs); None: one joint sequence per row.
        dtype: The dtype the states are kept in (``torch.bfloat16`` halves the memory of a
            large training set).

    Returns:
        :class:`EncodedRows` in the order of ``rows``.
    """
    formatted = [encoder.format(row["query"], row["documents"]) for row in rows]
    layers = sorted(set(layers))
    states: dict[int, list] = {k: [None] * len(rows) for k in layers}
    doc_ids: list = [None] * len(rows)
    window_ids: list | None = [None] * len(rows) if windowing is not None else None
    cut: dict[str, list[int]] = {"windows_cut": [0] * len(rows), "documents_cut": [0] * len(rows)}
    batches = length_sorted_batches([len(f.text) for f in formatted], batch_size)
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress) as bar:
        for batch_indices in batches:
            hidden, batch = encoder.hidden_states([formatted[i] for i in batch_indices], layers, windowing)
            owner = batch.get("window_example")
            for j, i in enumerate(batch_indices):
                if owner is None:
                    sequences = torch.tensor([j])
                else:
                    sequences = (owner == j).nonzero().squeeze(-1)
                    for key in cut:
                        cut[key][i] = int(batch[key][j])
                real = batch["attention_mask"][sequences] > 0
                counts = real.sum(-1)
                if mean_only:
                    doc_ids[i] = torch.tensor([-1])
                else:
                    doc_ids[i] = batch["document_mask"][sequences][real].clone()
                if window_ids is not None:
                    window_ids[i] = torch.repeat_interleave(torch.arange(len(sequences)), counts)
                for k in layers:
                    row_states = at_least_float32(hidden[k][sequences.to(hidden[k].device)][real.to(hidden[k].device)])
                    kept = row_states.mean(0, keepdim=True) if mean_only else row_states
                    states[k][i] = kept.to(device="cpu", dtype=dtype).clone()
            bar.update(len(batch_indices))
    if windowing is None:
        return EncodedRows(states=states, document_ids=doc_ids)
    return EncodedRows(states=states, document_ids=doc_ids, window_ids=window_ids, **cut)


def _collate_documents(
    states: Sequence[torch.Tensor], doc_ids: Sequence[torch.Tensor], dtype: torch.dtype | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(max(s.shape[0] for s in states), 1)
    hidden = states[0].shape[-1]
    x = torch.zeros(len(states), length, hidden, dtype=dtype or states[0].dtype)
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
        batch = features.batch(model.config.layer_index, range(start, min(start + batch_size, n)),
                               dtype=next(model.parameters()).dtype)
        x, attention, documents = (t.to(device) for t in batch)
        out.append(model(hidden_states=x, attention_mask=attention, document_mask=documents).probabilities.cpu())
    return at_least_float32(torch.cat(out)).numpy()

