"""Unlabeled rows (a question and its retrieved documents), streamed from files, Hub datasets or a Dataset.

What ``lcr-hub detect`` reads: each row needs only ``query`` and ``documents`` (strings, or
objects with ``text`` and an optional ``doc_id``); every other field is kept as it is, to be
written back beside the predictions. Rows are validated with the same rules and messages as
LCR rows (:mod:`lcr_hub.data.loading`): a bad row is a :class:`~lcr_hub.errors.DataError` that
names the file, the 1-based line and the field. Nothing is held in memory but the current row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from ..constants import DETECT_OUTPUT_KEY
from ..errors import DataError
from .jsonl import _iter_lines, _parse_line
from .loading import _as_id, _as_text, _describe, _document_list
from .sources import resolve_data_files

__all__ = ["UnlabeledRecord", "iter_unlabeled", "validate_unlabeled_row"]

#: The name a ``datasets.Dataset`` (or another in-memory source) gets in error messages.
IN_MEMORY_SOURCE = "<rows>"


def _validate_document(value: Any, index: int, path: Path, line: int) -> str | dict[str, str]:
    field = f"documents[{index}]"
    if isinstance(value, str):
        return _as_text(value, field, path, line, non_empty=True)
    if not isinstance(value, dict):
        raise DataError(
            f"expected a string or an object with 'text', got {_describe(value)}. "
            'Fix: write each document as "..." or {"text": "...", "doc_id": "..."}.',
            path=path, line=line, field=field,
        )
    if "text" not in value:
        raise DataError(
            "missing required field 'text'. Fix: add \"text\" (a string) to every document object.",
            path=path, line=line, field=f"{field}.text",
        )
    document = {"text": _as_text(value["text"], f"{field}.text", path, line, non_empty=True)}
    if value.get("doc_id") is not None:
        document["doc_id"] = _as_id(value["doc_id"], f"{field}.doc_id", path, line, required=False)
    return document


def validate_unlabeled_row(obj: Any, path: str | os.PathLike, line: int) -> dict[str, Any]:
    """Check one row for ``detect``; return it with its documents normalised.

    Args:
        obj: The parsed JSON value of the line (or a Dataset row).
        path, line: Where it came from, for error messages.

    Returns:
        The row: every input field kept, ``documents`` as strings or ``{"text"[, "doc_id"]}``.

    Raises:
        DataError: Not an object, no non-empty ``query``, ``documents`` not a non-empty
            array of at most 8 strings/objects with ``text``, two documents with one
            ``doc_id``, or a field named like ``detect``'s output key.

    Example:
        >>> validate_unlabeled_row({"query": "Q?", "documents": ["a", {"text": "b", "doc_id": 7}]}, "f.jsonl", 1)
        {'query': 'Q?', 'documents': ['a', {'text': 'b', 'doc_id': '7'}]}
    """
    path = Path(path)
    if not isinstance(obj, Mapping):
        raise DataError(
            f"expected a JSON object, got {_describe(obj)}. Fix: write one object "
            '({"query": ..., "documents": [...]}) per line.',
            path=path, line=line,
        )
    for name in ("query", "documents"):
        if name not in obj:
            raise DataError(
                f"missing required field '{name}'. Every row needs 'query' and 'documents'. Fix: add '{name}' to this row.",
                path=path, line=line, field=name,
            )
    if DETECT_OUTPUT_KEY in obj:
        raise DataError(
            f"the field '{DETECT_OUTPUT_KEY}' is where detect writes its predictions. Fix: rename or drop it "
            "(is this a detect output file?).",
            path=path, line=line, field=DETECT_OUTPUT_KEY,
        )
    query = _as_text(obj["query"], "query", path, line, non_empty=True)
    documents = _document_list(obj["documents"], "documents", '["...", "..."] or [{"text": "..."}, ...]', path, line)
    docs = [_validate_document(doc, i, path, line) for i, doc in enumerate(documents)]
    seen: dict[str, int] = {}
    for i, doc in enumerate(docs):
        doc_id = doc.get("doc_id") if isinstance(doc, dict) else None
        if doc_id is not None:
            if doc_id in seen:
                raise DataError(
                    f"doc_id {doc_id!r} repeats documents[{seen[doc_id]}].doc_id; the conflicting pair would be "
                    "ambiguous. Fix: give each document of a row its own doc_id.",
                    path=path, line=line, field=f"documents[{i}].doc_id",
                )
            seen[doc_id] = i
    return {**obj, "query": query, "documents": docs}


@dataclass(frozen=True)
class UnlabeledRecord:
    """One input row of ``detect``: where it is, and the row or why it is refused.

    Attributes:
        source: The file (or :data:`IN_MEMORY_SOURCE`).
        line: The 1-based line (the 1-based row number for in-memory rows).
        row: The validated row, or None.
        error: The :class:`~lcr_hub.errors.DataError` of a bad row, or None.
    """

    source: str
    line: int
    row: dict[str, Any] | None
    error: DataError | None


def _records(values: Iterable[tuple[int, Any]], source: str) -> Iterator[UnlabeledRecord]:
    for line, value in values:
        try:
            yield UnlabeledRecord(source, line, validate_unlabeled_row(value, source, line), None)
        except DataError as error:
            yield UnlabeledRecord(source, line, None, error)


def _file_records(path: Path) -> Iterator[UnlabeledRecord]:
    """The records of one JSONL file; a line that is not JSON is a record with its error."""
    for line, text in _iter_lines(path):
        if not text.strip():
            continue
        try:
            value = _parse_line(text, path, line)
        except DataError as error:
            yield UnlabeledRecord(str(path), line, None, error)
            continue
        yield from _records([(line, value)], str(path))


def iter_unlabeled(
    data: Sequence[str | os.PathLike] | datasets.Dataset | Iterable[Mapping[str, Any]],
    revision: str | None = None,
) -> Iterator[UnlabeledRecord]:
    """Stream the rows of files, folders, ``hf://datasets/owner/name@sha`` repos, a Dataset or dicts.

    A line that is not strict JSON, or a row that breaks the rules above, is yielded with
    its error so that the caller can refuse it or skip it; a file that cannot be read as
    UTF-8 JSON Lines at all (missing, binary, UTF-16, a line that is not UTF-8 or too long)
    stops the stream with its DataError, as in every LCR command.

    Args:
        data: Local ``.jsonl`` files or folders and Hub dataset references (as ``--data``), or
            a :class:`datasets.Dataset` / any iterable of mappings.
        revision: Revision of the Hub dataset references that name none.

    Yields:
        :class:`UnlabeledRecord` in input order.

    Raises:
        DataError: A path is missing, or a file is not UTF-8 JSON Lines.

    Example:
        >>> [r.row["id"] for r in iter_unlabeled(["lcr_hub/data/sample.jsonl"])][:2]
        ['sample_l1_001', 'sample_l1_002']
    """
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    if isinstance(data, Sequence) and all(isinstance(d, (str, os.PathLike)) for d in data):
        for path in resolve_data_files(list(data), revision):
            yield from _file_records(path)
        return
    yield from _records(enumerate(data, start=1), IN_MEMORY_SOURCE)
