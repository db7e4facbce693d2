"""The windowed input of encoder bases: every document reaches the models, whatever its length.

Each document is read with the query in its own sequence (a BERT pair,
``[CLS] query [SEP] document [SEP]``); a document longer than the encoder's window is read
in overlapping windows (``overlap`` tokens shared by consecutive windows), so that every
token of every document is in some window and the cost grows linearly with the row's
length. A token that an earlier window of the same document already holds keeps document
index -1 in the later window (it is read as context there, and pooled once).

Packed windows (``Windowing(pack=True)``, the ``input_mode="packed"`` of LCR configs) read
as many whole documents together as fit in one window, the way the joint input reads a short
row (``[CLS] query [SEP] doc1 [SEP] doc2 ... [SEP]``, one sequence: documents attend to each
other), and continue in further windows; a document longer than a window is read alone in
overlapping windows. A row that fits in one window gets exactly the joint input's tokens.

Nothing is cut unless a cap on windows per row (``max_windows``) is asked for; the windows
beyond it are dropped *and counted* (``windows_cut``, ``documents_cut``), never silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

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
        pack: Read as many whole documents together as fit in one window (joint
            sequences, continued in further windows) instead of each document with the
            query in its own BERT pair.

    Example:
        >>> Windowing(overlap=32).max_windows is None
        True
        >>> Windowing(pack=True).pack
        True
    """

    overlap: int = DEFAULT_WINDOW_OVERLAP
    max_windows: int | None = None
    pack: bool = False

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
    """Tokenize rows in windows: each document with the query (a BERT pair), or, with
    ``windowing.pack``, as many whole documents together as fit (see the module docstring);
    a document longer than a window in overlapping windows.

    Args:
        tokenizer ([`~transformers.PreTrainedTokenizerBase`]):
            A fast tokenizer with a separator token (a BERT-style encoder's).
        examples (`Sequence[FormattedExample]`):
            Outputs of [`~lcr_hub.data.format_example`] (the query and documents are read
            from them).
        max_length (`int`):
            Tokens per window, special tokens included (the encoder's window).
        windowing ([`Windowing`]):
            The overlap, the optional cap on windows per row, and whether to pack.

    Returns:
        `dict[str, torch.Tensor]`: per window (``W`` of them, rows in order, each row's
        documents in order), ``input_ids``, ``attention_mask``, ``token_type_ids`` (all
        zeros when packed) and
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
        >>> packed = tokenize_windows(tokenizer, [example], max_length=16, windowing=Windowing(pack=True))
        >>> packed["document_mask"].tolist()  # both documents fit in one window
        [[-1, -2, -2, -1, 0, 0, 0, 0, -1, 1, 1, 1, 1, 1, -1]]
    """
    if not getattr(tokenizer, "is_fast", False):
        raise DataError(f"{type(tokenizer).__name__} is not a fast tokenizer; windows need token offsets.")
    examples = list(examples)
    if not examples:
        raise DataError("no examples to tokenize. Fix: pass at least one FormattedExample.")
    query_lengths = [len(ids) for ids in tokenizer([e.query for e in examples], add_special_tokens=False)["input_ids"]]
    for index, n_query in enumerate(query_lengths):
        if n_query > int(max_length * _MAX_QUERY_SHARE):
            raise DataError(
                f"the query of example {index} has {n_query} tokens; a window of {max_length} tokens keeps at most "
                f"{int(max_length * _MAX_QUERY_SHARE)} for the query. Fix: shorten the query.",
                field="query",
            )
    if windowing.pack:
        batch, window_documents = _tokenize_packed(tokenizer, examples, max_length, windowing.overlap)
    else:
        batch, window_documents = _tokenize_pairs(tokenizer, examples, max_length, windowing.overlap)
    keep, windows_cut, documents_cut = _apply_cap(batch["window_example"], window_documents, len(examples),
                                                  windowing.max_windows)
    keep_index = torch.tensor(keep, dtype=torch.long)
    length = max(int(batch["attention_mask"][keep_index].sum(-1).max()), 1)
    out = {key: value[keep_index] if key == "window_example" else value[keep_index, :length]
           for key, value in batch.items()}
    out["windows_cut"] = torch.tensor(windows_cut, dtype=torch.long)
    out["documents_cut"] = torch.tensor(documents_cut, dtype=torch.long)
    return out


def _tokenize_pairs(
    tokenizer: PreTrainedTokenizerBase, examples: list[FormattedExample], max_length: int, overlap: int
) -> tuple[dict[str, torch.Tensor], list[set[int]]]:
    """Each document with the query as a BERT pair, in overlapping windows when long."""
    queries, documents, owners = [], [], []
    for index, example in enumerate(examples):
        texts = example.documents or ("",)  # a row without documents still gets one window (the query)
        for doc_index, text in enumerate(texts):
            queries.append(example.query)
            documents.append(text)
            owners.append((index, doc_index if example.documents else -1))
    encoded = tokenizer(
        queries, documents, truncation="only_second", max_length=max_length,
        stride=min(overlap, max(max_length // 2 - 1, 0)),
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
    batch = {
        "input_ids": encoded["input_ids"].long(),
        "attention_mask": attention,
        "document_mask": document_mask,
        "window_example": torch.tensor([owners[p][0] for p in pair_of_window], dtype=torch.long),
        "offset_mapping": offsets.long(),
    }
    if "token_type_ids" in encoded:
        batch["token_type_ids"] = encoded["token_type_ids"].long()
    return batch, [{owners[p][1]} for p in pair_of_window]


class _Part(NamedTuple):
    """Some of one document's tokens in a packed window."""

    document: int  # its index in the row
    source: int  # its tokenized text
    first: int  # its first token here
    end: int
    fresh_from: int  # tokens before this one an earlier window holds (pooled there, context here)


def _tokenize_packed(
    tokenizer: PreTrainedTokenizerBase, examples: list[FormattedExample], max_length: int, overlap: int
) -> tuple[dict[str, torch.Tensor], list[set[int]]]:
    """Whole documents packed into joint sequences (``[CLS] query [SEP] doc [SEP] doc ... [SEP]``),
    continued in further windows; a document longer than a window alone in overlapping windows."""
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls_id is None or sep_id is None:
        raise DataError(
            f"{type(tokenizer).__name__} has no [CLS]/[SEP] tokens; packed windows are for BERT-style encoders. "
            "Fix: read this base with input_mode 'joint'."
        )
    encoded = tokenizer([e.query for e in examples] + [d for e in examples for d in e.documents],
                        add_special_tokens=False, return_offsets_mapping=True)
    ids_of, offsets_of = encoded["input_ids"], encoded["offset_mapping"]
    windows: list[tuple[int, list[_Part]]] = []
    source = len(examples)  # the tokenized text of the next document
    for row, example in enumerate(examples):
        budget = max_length - 2 - len(ids_of[row])  # [CLS] query ... [SEP]; each document adds [SEP] + its tokens
        chunk = max(budget - 1, 1)
        stride = max(chunk - min(overlap, chunk // 2), 1)
        current: list[_Part] = []
        used = 0
        for doc_index in range(len(example.documents)):
            n = len(ids_of[source])
            if current and used + n + 1 > budget:
                windows.append((row, current))
                current, used = [], 0
            start, held = 0, 0
            while start + chunk < n:  # a document longer than a window: every chunk but the last reads alone
                windows.append((row, [_Part(doc_index, source, start, start + chunk, held)]))
                held, start = start + chunk, start + stride
            current.append(_Part(doc_index, source, start, n, held))
            used += n - start + 1
            source += 1
        if current or not example.documents:
            windows.append((row, current))
    input_ids = torch.full((len(windows), max_length), tokenizer.pad_token_id or 0, dtype=torch.long)
    attention = torch.zeros((len(windows), max_length), dtype=torch.long)
    document_mask = torch.full((len(windows), max_length), -1, dtype=torch.long)
    offsets = torch.zeros((len(windows), max_length, 2), dtype=torch.long)
    for w, (row, parts) in enumerate(windows):
        ids, docs, offs = [cls_id, *ids_of[row]], [-1] + [QUERY_TOKEN_INDEX] * len(ids_of[row]), [(0, 0), *offsets_of[row]]
        for part in parts:
            ids += [sep_id, *ids_of[part.source][part.first : part.end]]
            docs += [-1] + [part.document if k >= part.fresh_from else -1 for k in range(part.first, part.end)]
            offs += [(0, 0), *offsets_of[part.source][part.first : part.end]]
        ids, docs, offs = ids + [sep_id], docs + [-1], offs + [(0, 0)]
        input_ids[w, : len(ids)] = torch.tensor(ids)
        attention[w, : len(ids)] = 1
        document_mask[w, : len(ids)] = torch.tensor(docs)
        offsets[w, : len(ids)] = torch.tensor(offs, dtype=torch.long)
    batch = {
        "input_ids": input_ids,
        "attention_mask": attention,
        "document_mask": document_mask,
        "window_example": torch.tensor([row for row, _ in windows], dtype=torch.long),
        "offset_mapping": offsets,
    }
    if "token_type_ids" in tokenizer.model_input_names:
        batch["token_type_ids"] = torch.zeros_like(input_ids)
    return batch, [{part.document for part in parts} or {-1} for _, parts in windows]


def _apply_cap(window_example: torch.Tensor, window_documents: list[set[int]], n_examples: int,
               max_windows: int | None) -> tuple[list[int], list[int], list[int]]:
    """The windows kept under the cap (in order), and per row the windows and whole documents dropped."""
    keep, seen = [], [0] * n_examples
    windows_cut = [0] * n_examples
    kept_docs: list[set[int]] = [set() for _ in range(n_examples)]
    all_docs: list[set[int]] = [set() for _ in range(n_examples)]
    for window, example in enumerate(window_example.tolist()):
        all_docs[example] |= window_documents[window]
        if max_windows is not None and seen[example] >= max_windows:
            windows_cut[example] += 1
            continue
        seen[example] += 1
        kept_docs[example] |= window_documents[window]
        keep.append(window)
    documents_cut = [len(all_docs[example] - kept_docs[example]) for example in range(n_examples)]
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
