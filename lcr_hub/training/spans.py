"""Where each document states its answer, token by token: the target of the detector's span loss.

A conflict lives in a few tokens of a long passage (the value), and the detector pools each
document with a learned attention (``doc_attention``). Its row-level label says only that
some pair of documents disagrees; the answer annotations (never a model input) also say
*where* each document states its value. :func:`answer_token_flags` marks those tokens in the
layout of :class:`~lcr_hub.encoding.batches.EncodedRows`, and :func:`span_loss` trains the
attention to put its mass there, so that on a 300-word passage the document's pooled vector
is its value in context, not the passage's topic.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

import torch

from .._modules.precision import at_least_float32
from ..data.windows import Windowing, group_windows, tokenize_windows
from ..encoding.batches import EncodedRows
from ..encoding.features import BaseEncoder

__all__ = ["answer_token_flags", "collate_flags", "span_loss"]


def _answer_spans(text: str, answer: str) -> list[tuple[int, int]]:
    """Every case-insensitive occurrence of ``answer`` in ``text`` (empty for an empty answer)."""
    answer = answer.strip()
    if not answer:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(answer), text, flags=re.IGNORECASE)]


def answer_token_flags(
    encoder: BaseEncoder, rows: Sequence[Mapping], windowing: Windowing, batch_size: int = 64
) -> list[torch.Tensor]:
    """Per row, a bool per encoded token: True where a document states its own ``answer``.

    The tokens are those :func:`~lcr_hub.encoding.batches.encode_rows` keeps for the row
    with the same ``windowing`` (every window's real tokens, end to end), so the flags line
    up with ``EncodedRows.document_ids``. Query tokens, separators and a document without its
    answer in its text (a rewording) have no flag.

    Args:
        encoder: The base encoder the rows were encoded with.
        rows: LCR rows whose documents carry ``answer`` annotations.
        windowing: The windowing used to encode them.
        batch_size: Rows tokenized at once.

    Returns:
        One ``(tokens,)`` bool tensor per row.

    Example:
        >>> from lcr_hub.encoding import load_encoder
        >>> row = {"query": "When did it open?", "documents": [{"text": "It opened in 1923.", "answer": "1923"}]}
        >>> flags = answer_token_flags(load_encoder(), [row], Windowing())
        >>> int(flags[0].sum())
        1
    """
    out: list[torch.Tensor] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        examples = [encoder.format(row["query"], row["documents"]) for row in chunk]
        batch = tokenize_windows(encoder.tokenizer, examples, max_length=encoder.max_length, windowing=windowing)
        for j, (row, example) in enumerate(zip(chunk, examples)):
            spans = [
                _answer_spans(text, str(doc.get("answer") or "") if isinstance(doc, Mapping) else "")
                for text, doc in zip(example.documents, row["documents"])
            ]
            flags = []
            for window in (batch["window_example"] == j).nonzero().squeeze(-1).tolist():
                real = batch["attention_mask"][window] > 0
                documents = batch["document_mask"][window][real].tolist()
                offsets = batch["offset_mapping"][window][real].tolist()
                flags.extend(
                    d >= 0 and any(a < e and s < b for a, b in spans[d]) for d, (s, e) in zip(documents, offsets)
                )
            out.append(torch.tensor(flags, dtype=torch.bool))
    return out


def collate_flags(features: EncodedRows, flags: Sequence[torch.Tensor], indices: Sequence[int]) -> torch.Tensor:
    """Rows' token flags padded (False) in the layout of ``features.batch(layer, indices)``'s masks.

    ``(rows, seq)`` for joint sequences, ``(rows, windows, seq)`` for windows.
    """
    rows = [flags[i] for i in indices]
    if features.window_ids is None:
        pieces, owners = rows, None
    else:
        pieces, owners = [], []
        for row, i in enumerate(indices):
            counts = torch.bincount(features.window_ids[i]).tolist() if features.window_ids[i].numel() else [0]
            pieces.extend(torch.split(flags[i], counts))
            owners.extend([row] * len(counts))
    length = max(max(p.shape[0] for p in pieces), 1)
    padded = torch.zeros(len(pieces), length, dtype=torch.bool)
    for k, piece in enumerate(pieces):
        padded[k, : piece.shape[0]] = piece
    if owners is None:
        return padded
    return group_windows(torch.tensor(owners), len(indices), padded, fill=(False,))[0]


def span_loss(scores: torch.Tensor, document_mask: torch.Tensor, flags: torch.Tensor) -> torch.Tensor | None:
    """Mean over documents of ``-log`` (the attention mass a document puts on its answer tokens).

    Args:
        scores: ``(batch, seq)`` the detector's attention scores (``doc_scores``' output).
        document_mask: ``(batch, seq)`` document index per token, negative elsewhere.
        flags: ``(batch, seq)`` bool, the answer tokens (:func:`answer_token_flags`, collated).

    Returns:
        The loss, or None when no document of the batch states its answer.

    Example:
        >>> scores = torch.tensor([[0.0, 5.0, 0.0]])
        >>> round(float(span_loss(scores, torch.tensor([[0, 0, 0]]), torch.tensor([[False, True, False]]))), 3)
        0.013
    """
    num_docs = int(document_mask.max()) + 1
    if num_docs < 1:
        return None
    ids = torch.arange(num_docs, device=scores.device).view(1, -1, 1)
    member = document_mask.unsqueeze(1) == ids  # (batch, docs, seq)
    answer = member & flags.unsqueeze(1)
    has_answer = answer.any(-1)
    if not has_answer.any():
        return None
    scores = at_least_float32(scores)
    expanded = scores.unsqueeze(1).expand_as(member)
    low = torch.finfo(scores.dtype).min
    on_answer = torch.logsumexp(expanded.masked_fill(~answer, low), -1)
    on_document = torch.logsumexp(expanded.masked_fill(~member, low), -1)
    return (on_document - on_answer)[has_answer].mean()
