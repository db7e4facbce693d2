"""Consistent (negative) twins of conflicting LCR rows, and the detection dataset built from them.

Every released benchmark row is a conflict. Its *consistent twin* keeps the same question
and documents but, in each document whose annotated ``answer`` differs from
``gold_answer``, replaces that answer's first occurrence in the text by ``gold_answer``.
A detection set holds each conflicting row (``label=1``) followed by its twin (``label=0``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import datasets

from ..errors import DataError
from .loading import _empty_or_from_list, parse_source

__all__ = ["build_detection_dataset", "make_consistent_twin", "row_has_conflict"]

logger = logging.getLogger(__name__)


def _documents(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The row's documents, or a DataError pointing at the row when they are absent."""
    path, line = parse_source(row.get("source"))
    documents = row.get("documents")
    if not isinstance(documents, (list, tuple)):
        raise DataError(
            "the row has no 'documents' list. Fix: load rows with load_lcr_dataset().",
            path=path,
            line=line,
            field="documents",
        )
    return list(documents)


def row_has_conflict(row: Mapping[str, Any]) -> bool:
    """Whether the documents of an LCR row assert more than one answer.

    A few benchmark rows annotate the same answer on every document; they are not
    conflicts and cannot give a negative twin.

    Args:
        row (`Mapping`):
            An LCR row (for example an item of [`load_lcr_dataset`]'s dataset).

    Returns:
        `bool`: ``True`` when the documents' ``answer`` values are not all equal.

    Example:
        >>> row_has_conflict({"documents": [{"answer": "1923"}, {"answer": "1924"}]})
        True
    """
    return len({doc["answer"] for doc in _documents(row)}) > 1


def make_consistent_twin(row: Mapping[str, Any]) -> dict[str, Any]:
    """Build the consistent twin of an LCR row.

    For each document whose ``answer`` differs from ``gold_answer``, the first occurrence of
    that answer in the document's ``text`` is replaced by ``gold_answer`` and the document's
    ``answer`` becomes ``gold_answer``. Everything else (the ``id`` included) is kept; the
    input is not modified. Callers add their own label.

    Args:
        row (`Mapping`):
            An LCR row with ``documents`` and ``gold_answer`` (and optionally ``source``,
            used to locate errors).

    Returns:
        `dict`: a new row whose documents all assert ``gold_answer``.

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If a document's ``answer`` does not occur verbatim in its ``text`` (or is empty),
            so no replacement is possible. The error names the row's ``source`` and the
            field ``documents[i].answer``.

    Example:
        >>> row = {"id": "x", "gold_answer": "1923", "documents": [
        ...     {"doc_id": "0", "text": "Built in 1923.", "answer": "1923"},
        ...     {"doc_id": "1", "text": "Built in 1924.", "answer": "1924"}]}
        >>> make_consistent_twin(row)["documents"][1]
        {'doc_id': '1', 'text': 'Built in 1923.', 'answer': '1923'}
    """
    path, line = parse_source(row.get("source"))
    documents = _documents(row)
    gold = row.get("gold_answer")
    if not isinstance(gold, str):
        raise DataError(
            "the row has no string 'gold_answer'. Fix: load rows with load_lcr_dataset().",
            path=path,
            line=line,
            field="gold_answer",
        )
    twin = {key: copy.deepcopy(value) for key, value in row.items() if key != "documents"}
    new_documents = []
    for index, doc in enumerate(documents):
        new_doc = dict(doc)
        answer = doc["answer"]
        if answer != gold:
            text = doc["text"]
            if not answer or answer not in text:
                raise DataError(
                    f"the answer {answer!r} does not occur verbatim in the document's text, so "
                    "the consistent twin cannot replace it by the gold answer "
                    f"{gold!r}. Fix: make 'answer' the exact substring of 'text' that states "
                    "this document's value.",
                    path=path,
                    line=line,
                    field=f"documents[{index}].answer",
                )
            new_doc["text"] = text.replace(answer, gold, 1)
            new_doc["answer"] = gold
        new_documents.append(new_doc)
    twin["documents"] = new_documents
    return twin


def build_detection_dataset(dataset: datasets.Dataset) -> datasets.Dataset:
    """Build a conflict-detection dataset: each conflicting row, then its consistent twin.

    Rows without a conflict (see [`row_has_conflict`]) are skipped, and a warning says how
    many were.

    Args:
        dataset ([`datasets.Dataset`]):
            LCR rows, as returned by [`load_lcr_dataset`].

    Returns:
        [`datasets.Dataset`]: the input's columns plus ``label`` (int64): for every
        conflicting row, the row with ``label=1`` immediately followed by its twin with
        ``label=0`` (same ``id``, same ``source``).

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If a twin cannot be built (see [`make_consistent_twin`]), or the dataset already
            has a ``label`` column.

    Example:
        >>> from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset
        >>> detection = build_detection_dataset(load_lcr_dataset(SAMPLE_DATA_PATH))
        >>> detection["label"][:4]
        [1, 0, 1, 0]
    """
    if "label" in dataset.column_names:
        raise DataError(
            "the dataset already has a 'label' column. Fix: pass LCR rows from "
            "load_lcr_dataset(), not a detection dataset.",
            field="label",
        )
    features = datasets.Features({**dataset.features, "label": datasets.Value("int64")})
    rows: list[dict[str, Any]] = []
    skipped = 0
    for row in dataset:
        if not row_has_conflict(row):
            skipped += 1
            continue
        rows.append({**row, "label": 1})
        rows.append({**make_consistent_twin(row), "label": 0})
    if skipped:
        logger.warning(
            "Skipped %d of %d rows without a conflict (all documents assert the same answer): "
            "they cannot give a consistent twin.",
            skipped,
            len(dataset),
        )
    return _empty_or_from_list(rows, features)
