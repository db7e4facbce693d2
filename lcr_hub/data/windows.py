"""The windowed input of encoder bases: every document reaches the models, whatever its length.

Each document is read with the query in its own sequence (a BERT pair,
``[CLS] query [SEP] document [SEP]``); a document longer than the encoder's window is read
in overlapping windows (``overlap`` tokens shared by consecutive windows), so that every
token of every document is in some window and the cost grows linearly with the row's
length. A token that an earlier window of the same document already holds keeps document
index -1 in the later window (it is read as context there, and pooled once).

Nothing is cut unless a cap on windows per row (``max_windows``) is asked for; the windows
beyond it are dropped *and counted* (``windows_cut``, ``documents_cut``), never silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from ..constants import DEFAULT_WINDOW_OVERLAP, QUERY_TOKEN_INDEX
from ..errors import DataError
from .formatting import FormattedExample

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = ["Windowing", "group_windows", "tokenize_windows"]

#: The query may take at most this share of a window (the rest is for the document).
_MAX_QUERY_SHARE = 0.5


@dataclass(frozen=True)
class Windowing:
    """How an encoder base reads rows in windows.

    Attributes:
        overlap: Tokens shared by two consecutive windows of one long document.
        max_windows: Cap on the windows of one row (None: no cap). Windows beyond it are
            dropped in document order and counted in the batch's ``windows_cut`` and
            ``documents_cut``.

    Example:
        >>> Windowing(overlap=32).max_windows is None
        True
    """

    overlap: int = DEFAULT_WINDOW_OVERLAP
    max_windows: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.overlap, int) or self.overlap < 0:
            raise DataError(f"Windowing.overlap must be an int >= 0, got {self.overlap!r}.", field="overlap")
        if self.max_windows is not None and (not isinstance(self.max_windows, int) or self.max_windows < 1):
            raise DataError(
                f"Windowing.max_windows must be None (no cap) or an int >= 1, got {self.max_windows!r}.",
                field="max_windows",
            )


def tokenize_windows(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[FormattedExample],
    *,
    max_length: int,
    windowing: Windowing = Windowing(),
) -> dict[str, torch.Tensor]:
    """Tokenize each document with the query (BERT pair), in overlapping windows when it is long.

    Args:
        tokenizer ([`~transformers.PreTrainedTokenizerBase`]):
            A fast tokenizer with a separator token (a BERT-style encoder's).
        examples (`Sequence[FormattedExample]`):
            Outputs of [`~lcr_hub.data.format_example`] (the query and documents are read
            from them).
        max_length (`int`):
            Tokens per window, special tokens included (the encoder's window).
        windowing ([`Windowing`]):
            The overlap and the optional cap on windows per row.

    Returns:
        `dict[str, torch.Tensor]`: per window (``W`` of them, rows in order, each row's
        documents in order), ``input_ids``, ``attention_mask``, ``token_type_ids`` and
        ``document_mask`` (the document's index in its row for the document's tokens,
        ``QUERY_TOKEN_INDEX`` (-2) for the query's, -1 for special tokens, padding and tokens
        an earlier window holds), all
        ``(W, length)``; ``offset_mapping`` ``(W, length, 2)``, each token's character span
        in its text (the query or the document); ``window_example`` ``(W,)``, the row of each window; and per row,
        ``windows_cut`` and ``documents_cut`` ``(len(examples),)``: the windows and the whole
        documents dropped by the cap (zeros without one).

    Raises:
        [`~lcr_hub.errors.DataError`]:
            No examples, an example without a query (a rendered prompt), a tokenizer that
            is not fast, or a query longer than half a window.

    Example:
        >>> from lcr_hub.data import format_example
        >>> from lcr_hub.encoding import load_encoder
        >>> tokenizer = load_encoder().tokenizer
        >>> example = format_example("When?", ["Built in 1923.", "It opened in 1924."], " [SEP] ")
        >>> batch = tokenize_windows(tokenizer, [example], max_length=16)
        >>> batch["window_example"].tolist(), batch["document_mask"][1].tolist()
        ([0, 0], [-1, -2, -2, -1, 1, 1, 1, 1, 1, -1])
    """
    if not getattr(tokenizer, "is_fast", False):
        raise DataError(f"{type(tokenizer).__name__} is not a fast tokenizer; windows need token offsets.")
    examples = list(examples)
    if not examples:
        raise DataError("no examples to tokenize. Fix: pass at least one FormattedExample.")
    queries, documents, owners = [], [], []
    for index, example in enumerate(examples):
        query = example.query
        n_query = len(tokenizer(query, add_special_tokens=False)["input_ids"])
        if n_query > int(max_length * _MAX_QUERY_SHARE):
            raise DataError(
                f"the query of example {index} has {n_query} tokens; a window of {max_length} tokens keeps at most "
                f"{int(max_length * _MAX_QUERY_SHARE)} for the query. Fix: shorten the query.",
                field="query",
            )
        texts = example.documents or ("",)  # a row without documents still gets one window (the query)
        for doc_index, text in enumerate(texts):
            queries.append(query)
            documents.append(text)
            owners.append((index, doc_index if example.documents else -1))
    encoded = tokenizer(
        queries, documents, truncation="only_second", max_length=max_length,
        stride=min(windowing.overlap, max(max_length // 2 - 1, 0)),
        return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt",
    )
    pair_of_window = encoded["overflow_to_sample_mapping"].tolist()
    attention = encoded["attention_mask"].long()
    offsets = encoded["offset_mapping"]
    document_mask = torch.full_like(attention, -1)
    covered_until: dict[int, int] = {}
    for window, pair in enumerate(pair_of_window):
        example_index, doc_index = owners[pair]
        sequence_ids = encoded.sequence_ids(window)
        document_mask[window][torch.tensor([s == 0 for s in sequence_ids], dtype=torch.bool)] = QUERY_TOKEN_INDEX
        if doc_index < 0:
            continue
        in_document = torch.tensor([s == 1 for s in sequence_ids], dtype=torch.bool)
        in_document &= attention[window] > 0
        starts, ends = offsets[window, :, 0], offsets[window, :, 1]
        fresh = in_document & (starts >= covered_until.get(pair, 0))
        document_mask[window][fresh] = doc_index
        if bool(in_document.any()):
            covered_until[pair] = max(covered_until.get(pair, 0), int(ends[in_document].max()))
    window_example = torch.tensor([owners[p][0] for p in pair_of_window], dtype=torch.long)
    keep, windows_cut, documents_cut = _apply_cap(window_example, [owners[p][1] for p in pair_of_window],
                                                  len(examples), windowing.max_windows)
    keep_index = torch.tensor(keep, dtype=torch.long)
    length = max(int(attention[keep_index].sum(-1).max()), 1)
    batch = {
        "input_ids": encoded["input_ids"].long()[keep_index, :length],
        "attention_mask": attention[keep_index, :length],
        "document_mask": document_mask[keep_index, :length],
        "window_example": window_example[keep_index],
        "windows_cut": torch.tensor(windows_cut, dtype=torch.long),
        "documents_cut": torch.tensor(documents_cut, dtype=torch.long),
        "offset_mapping": offsets.long()[keep_index, :length],
    }
    if "token_type_ids" in encoded:
        batch["token_type_ids"] = encoded["token_type_ids"].long()[keep_index, :length]
    return batch


def _apply_cap(window_example: torch.Tensor, window_document: list[int], n_examples: int,
               max_windows: int | None) -> tuple[list[int], list[int], list[int]]:
    """The windows kept under the cap (in order), and per row the windows and documents dropped."""
    keep, seen = [], [0] * n_examples
    windows_cut, documents_cut = [0] * n_examples, [0] * n_examples
    kept_docs: list[set[int]] = [set() for _ in range(n_examples)]
    all_docs: list[set[int]] = [set() for _ in range(n_examples)]
    for window, example in enumerate(window_example.tolist()):
        all_docs[example].add(window_document[window])
        if max_windows is not None and seen[example] >= max_windows:
            windows_cut[example] += 1
            continue
        seen[example] += 1
        kept_docs[example].add(window_document[window])
        keep.append(window)
    for example in range(n_examples):
        documents_cut[example] = len(all_docs[example] - kept_docs[example])
    return keep, windows_cut, documents_cut


def group_windows(
    window_example: torch.Tensor, n_examples: int, *tensors: torch.Tensor, fill: Sequence[float] = ()
) -> list[torch.Tensor]:
    """Regroup per-window tensors ``(W, length, ...)`` into per-row ones ``(rows, windows, length, ...)``.

    Args:
        window_example: ``(W,)`` the row of each window, rows in order (as
            :func:`tokenize_windows` gives them).
        n_examples: The number of rows.
        *tensors: Tensors whose first dimension is the window.
        fill: The padding value of each tensor (default 0); a row with fewer windows than
            the batch's most is padded with empty windows.

    Returns:
        The regrouped tensors, in the order given.

    Example:
        >>> ids = torch.tensor([[1, 2], [3, 4], [5, 6]])
        >>> group_windows(torch.tensor([0, 0, 1]), 2, ids)[0].tolist()
        [[[1, 2], [3, 4]], [[5, 6], [0, 0]]]
    """
    counts = torch.bincount(window_example, minlength=n_examples)
    most = max(int(counts.max()) if counts.numel() else 1, 1)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(window_example.numel()) - starts[window_example]
    grouped = []
    for k, tensor in enumerate(tensors):
        value = fill[k] if k < len(fill) else 0
        out = torch.full((n_examples, most, *tensor.shape[1:]), value, dtype=tensor.dtype, device=tensor.device)
        out[window_example.to(tensor.device), slot.to(tensor.device)] = tensor
        grouped.append(out)
    return grouped
