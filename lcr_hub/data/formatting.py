"""The one text format of LCR inputs, shared by training, evaluation and inference.

An input is the query followed by each document's text, joined by a separator (the
tokenizer's separator token when it has one). The per-document ``answer`` annotations are
never part of it. :func:`tokenize_examples` also returns a *document mask*: for every
token, the index of the document it belongs to, or ``-1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from ..errors import DataError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "FormattedExample",
    "document_separator",
    "format_example",
    "tokenize_examples",
]

#: Upper bound of the default ``max_length`` of :func:`tokenize_examples`.
_MAX_FORMAT_LENGTH = 512


@dataclass(frozen=True)
class FormattedExample:
    """A formatted LCR input.

    Attributes:
        text (`str`):
            The query, then each document's text, joined by the separator.
        document_spans (`tuple[tuple[int, int], ...]`):
            The ``[start, end)`` character range of each document's text inside ``text``,
            in document order.
        query_end (`int`, *optional*):
            Where the query ends in ``text`` (``text[:query_end]`` is the query), when the
            text starts with it (:func:`format_example`); None for a rendered prompt. The
            windowed input (:func:`lcr_hub.data.windows.tokenize_windows`) reads the query
            and the documents from it.
    """

    text: str
    document_spans: tuple[tuple[int, int], ...]
    query_end: int | None = field(default=None, compare=False)

    @property
    def query(self) -> str:
        """The query, as it was formatted.

        Raises:
            [`~lcr_hub.errors.DataError`]: The text is a rendered prompt (``query_end`` is None).
        """
        if self.query_end is None:
            raise DataError(
                "this FormattedExample is a rendered prompt whose query cannot be told apart; "
                "format it with lcr_hub.data.format_example to read the query and documents separately."
            )
        return self.text[: self.query_end]

    @property
    def documents(self) -> tuple[str, ...]:
        """Each document's text, in order."""
        return tuple(self.text[start:end] for start, end in self.document_spans)


def document_separator(tokenizer: PreTrainedTokenizerBase) -> str:
    """The string that joins the query and the documents for a tokenizer.

    Args:
        tokenizer ([`~transformers.PreTrainedTokenizerBase`]):
            The tokenizer of the model that will read the text.

    Returns:
        `str`: ``f" {tokenizer.sep_token} "`` when the tokenizer has a separator token
        (BERT-style encoders), otherwise ``"\\n\\n"`` (causal LMs).

    Example:
        >>> from lcr_hub.encoding import load_encoder
        >>> document_separator(load_encoder().tokenizer)  # the embedded MiniLM's
        ' [SEP] '
    """
    sep_token = getattr(tokenizer, "sep_token", None)
    if sep_token:
        return f" {sep_token} "
    return "\n\n"


def _document_text(document: Any, index: int) -> str:
    if isinstance(document, str):
        return document
    if isinstance(document, Mapping):
        text = document.get("text")
        if isinstance(text, str):
            return text
        raise DataError(
            f"expected a string 'text' in the document mapping, got {type(text).__name__}. "
            "Fix: pass documents as strings or as mappings with a 'text' string.",
            field=f"documents[{index}].text",
        )
    raise DataError(
        f"expected a string or a mapping with 'text', got {type(document).__name__}.",
        field=f"documents[{index}]",
    )


def format_example(
    query: str,
    documents: Sequence[str | Mapping[str, Any]],
    separator: str,
) -> FormattedExample:
    """Format a query and its documents as one text: ``query + sep + doc1 + sep + doc2 ...``.

    Only each document's text is used: a mapping's other keys (notably the ``answer``
    annotation) never enter the text.

    Args:
        query (`str`):
            The question.
        documents (`Sequence[str | Mapping]`):
            The retrieved documents, as strings or as mappings with a ``text`` key (such as
            the ``documents`` of an LCR row).
        separator (`str`):
            The joiner, usually [`document_separator`]'s result for the model's tokenizer.

    Returns:
        [`FormattedExample`]: the text and the character span of each document in it.

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If the query is not a string or a document has no string text.

    Example:
        >>> example = format_example("When?", ["Built in 1923.", {"text": "Built in 1924."}], " [SEP] ")
        >>> example.text
        'When? [SEP] Built in 1923. [SEP] Built in 1924.'
        >>> example.document_spans
        ((12, 26), (33, 47))
    """
    if not isinstance(query, str):
        raise DataError(f"expected the query as a string, got {type(query).__name__}.", field="query")
    if isinstance(documents, (str, Mapping)):
        raise DataError(
            "expected a sequence of documents, got a single document. Fix: wrap it in a list.",
            field="documents",
        )
    parts = [query]
    spans = []
    position = len(query)
    for index, document in enumerate(documents):
        text = _document_text(document, index)
        position += len(separator)
        spans.append((position, position + len(text)))
        position += len(text)
        parts.append(text)
    return FormattedExample(text=separator.join(parts), document_spans=tuple(spans), query_end=len(query))


def tokenize_examples(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[FormattedExample],
    *,
    max_length: int | None = None,
    add_special_tokens: bool = True,
) -> dict[str, torch.Tensor]:
    """Tokenize formatted examples and compute each token's document index.

    The tokenizer is called with ``padding=True`` (on its own ``padding_side``),
    ``truncation=True`` and ``return_offsets_mapping=True``. A token belongs to document
    ``k`` when its character range overlaps the span of document ``k`` (so a token that
    carries a leading space still counts); the query, separators, special tokens and
    padding get ``-1``. Documents truncated away simply have no tokens.

    Args:
        tokenizer ([`~transformers.PreTrainedTokenizerBase`]):
            A *fast* tokenizer (character offsets are needed).
        examples (`Sequence[FormattedExample]`):
            Outputs of [`format_example`].
        max_length (`int`, *optional*):
            Truncation length; defaults to ``tokenizer.model_max_length`` capped at 512.
        add_special_tokens (`bool`, *optional*, defaults to `True`):
            Passed to the tokenizer; False for texts that already hold them (a rendered
            chat template).

    Returns:
        `dict[str, torch.Tensor]`: ``input_ids``, ``attention_mask`` and ``document_mask``,
        all ``LongTensor`` of shape ``(len(examples), sequence_length)``.

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If the tokenizer is not a fast tokenizer, ``examples`` is empty, or padding is
            needed and the tokenizer has no pad token.

    Example:
        >>> from lcr_hub.encoding import load_encoder
        >>> tokenizer = load_encoder().tokenizer
        >>> separator = document_separator(tokenizer)
        >>> batch = tokenize_examples(tokenizer, [format_example("When?", ["Built in 1923."], separator)])
        >>> batch["document_mask"].tolist()
        [[-1, -1, -1, -1, 0, 0, 0, 0, -1]]
    """
    if not getattr(tokenizer, "is_fast", False):
        raise DataError(
            f"{type(tokenizer).__name__} is not a fast tokenizer, and character offsets are "
            "needed to build the document mask. Fix: load it with "
            "AutoTokenizer.from_pretrained(..., use_fast=True) (it needs a tokenizer.json or "
            "the `tokenizers` package)."
        )
    examples = list(examples)
    if not examples:
        raise DataError("no examples to tokenize. Fix: pass at least one FormattedExample.")
    for index, example in enumerate(examples):
        if not isinstance(example, FormattedExample):
            raise DataError(
                f"expected FormattedExample objects (from format_example), got "
                f"{type(example).__name__} at position {index}."
            )
    if len(examples) > 1 and getattr(tokenizer, "pad_token", None) is None:
        raise DataError(
            f"{type(tokenizer).__name__} has no pad token, so a batch cannot be padded. Fix: set "
            "`tokenizer.pad_token = tokenizer.eos_token` (causal LMs) before tokenizing."
        )
    if max_length is None:
        model_max = getattr(tokenizer, "model_max_length", None) or _MAX_FORMAT_LENGTH
        max_length = min(int(model_max), _MAX_FORMAT_LENGTH)

    encoded = tokenizer(
        [example.text for example in examples],
        padding=True,
        truncation=True,
        max_length=max_length,
        add_special_tokens=add_special_tokens,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    input_ids = encoded["input_ids"].long()
    attention_mask = encoded["attention_mask"].long()
    offsets = encoded["offset_mapping"]
    starts, ends = offsets[..., 0], offsets[..., 1]
    # Real, non-empty tokens: special tokens and padding have an empty (0, 0) range.
    real = (attention_mask == 1) & (ends > starts)

    document_mask = torch.full_like(input_ids, -1)
    for row, example in enumerate(examples):
        for doc_index, (span_start, span_end) in enumerate(example.document_spans):
            inside = (
                real[row]
                & (starts[row] < span_end)
                & (ends[row] > span_start)
                & (document_mask[row] == -1)
            )
            document_mask[row][inside] = doc_index
    return {"input_ids": input_ids, "attention_mask": attention_mask, "document_mask": document_mask}
