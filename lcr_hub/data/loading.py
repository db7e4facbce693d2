"""Load and validate LCR benchmark files (JSON Lines) into a :class:`datasets.Dataset`.

Each line of an LCR file is one JSON object::

    {"id": "temp_1", "query": "...", "gold_answer": "1923", "conflict_level": "L1",
     "conflict_type": "temporal", "is_natural": false,
     "documents": [{"doc_id": "7", "text": "... 1923 ...", "answer": "1923"}, ...]}

Every row is validated; a bad row raises :class:`~lcr_hub.errors.DataError` naming the
file, the 1-based line and the field, with what was expected and how to fix it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from ..constants import (
    CONFLICT_LEVELS,
    MAX_DOCUMENTS,
    ON_DUPLICATE_CHOICES,
    ON_DUPLICATE_ERROR,
    ON_DUPLICATE_KEEP_FIRST,
    REQUIRED_ROW_FIELDS,
)
from ..errors import DataError
from .jsonl import read_json_lines
from .sources import resolve_data_files

__all__ = [
    "LCR_FEATURES",
    "DuplicateReport",
    "LCRData",
    "load_lcr_data",
    "load_lcr_dataset",
    "parse_source",
    "resolve_data_files",
]

logger = logging.getLogger(__name__)

#: How many dropped duplicates the warning of ``on_duplicate="keep_first"`` lists.
_SHOWN_DUPLICATES = 5

#: The schema of a dataset returned by :func:`load_lcr_dataset`.
DOCUMENT_FEATURES = {
    "doc_id": datasets.Value("string"),
    "text": datasets.Value("string"),
    "answer": datasets.Value("string"),
}
LCR_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "query": datasets.Value("string"),
        "documents": datasets.List(DOCUMENT_FEATURES),
        "gold_answer": datasets.Value("string"),
        "conflict_level": datasets.Value("string"),
        "conflict_type": datasets.Value("string"),
        "is_natural": datasets.Value("bool"),
        "source": datasets.Value("string"),
    }
)

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def _describe(value: Any) -> str:
    """A short description of a JSON value for error messages: its JSON type and a preview."""
    kind = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)) or value is None:
        return kind
    preview = json.dumps(value, ensure_ascii=False)
    if len(preview) > 40:
        preview = preview[:37] + "..."
    return f"{kind} ({preview})"


def parse_source(source: str | None) -> tuple[str | None, int | None]:
    """Split a ``source`` column value (``"file:line"``) into ``(file, line)``.

    Args:
        source: A value of the ``source`` column, or ``None``.

    Returns:
        `tuple[str | None, int | None]`: the file and the 1-based line; ``(source, None)`` when
        the value does not end with ``:<line>``, ``(None, None)`` when it is empty.

    Example:
        >>> parse_source("data/l1.jsonl:12")
        ('data/l1.jsonl', 12)
    """
    if not source:
        return None, None
    path, sep, line = source.rpartition(":")
    if sep and line.isdigit():
        return path, int(line)
    return source, None


def _as_id(value: Any, field: str, path: Path, line: int, *, required: bool) -> str:
    """Validate an identifier: a non-empty string, or an integer (converted to a string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return _encodable(value, field, path, line)
    raise DataError(
        f"expected a non-empty string or an integer, got {_describe(value)}. "
        f"Fix: give every {'row' if field == 'id' else 'document'} a unique {field.split('.')[-1]} "
        f"such as \"example_001\""
        + ("" if required else " or leave the field out")
        + ".",
        path=path,
        line=line,
        field=field,
    )


def _as_text(value: Any, field: str, path: Path, line: int, *, non_empty: bool) -> str:
    """Validate a string field (optionally non-empty, i.e. not only whitespace)."""
    if not isinstance(value, str):
        expected = "a non-empty string" if non_empty else "a string"
        raise DataError(
            f"expected {expected}, got {_describe(value)}. Fix: write the value as a JSON string "
            "in double quotes.",
            path=path,
            line=line,
            field=field,
        )
    if non_empty and not value.strip():
        raise DataError(
            "expected a non-empty string, got an empty or whitespace-only string. "
            "Fix: fill in the text or remove the row.",
            path=path,
            line=line,
            field=field,
        )
    return _encodable(value, field, path, line)


def _encodable(value: str, field: str, path: Path, line: int) -> str:
    """``value`` unchanged, or a DataError when it holds an unpaired surrogate (``"\\ud800"``), which is no text."""
    try:
        if not value.isascii():
            value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise DataError(
            f"the string holds an unpaired surrogate escape (\\u{ord(value[err.start]):04x}) at character "
            f"{err.start + 1}, which encodes no character. Fix: remove it, or write the whole surrogate pair "
            "(e.g. \\ud83d\\ude00) or the character itself.",
            path=path,
            line=line,
            field=field,
        ) from None
    return value


def _validate_document(value: Any, index: int, path: Path, line: int) -> dict[str, str]:
    """Validate one entry of ``documents`` and return ``{doc_id, text, answer}``."""
    field = f"documents[{index}]"
    if not isinstance(value, dict):
        raise DataError(
            f"expected an object with 'text' and 'answer', got {_describe(value)}. "
            'Fix: write each document as {"doc_id": "...", "text": "...", "answer": "..."}.',
            path=path,
            line=line,
            field=field,
        )
    for name in ("text", "answer"):
        if name not in value:
            raise DataError(
                f"missing required field '{name}'. Fix: add \"{name}\" (a string) to every document.",
                path=path,
                line=line,
                field=f"{field}.{name}",
            )
    text = _as_text(value["text"], f"{field}.text", path, line, non_empty=True)
    answer = _as_text(value["answer"], f"{field}.answer", path, line, non_empty=False)
    raw_id = value.get("doc_id")
    doc_id = str(index) if raw_id is None else _as_id(raw_id, f"{field}.doc_id", path, line, required=False)
    return {"doc_id": doc_id, "text": text, "answer": answer}


def _document_list(documents: Any, kind: str, example: str, path: Path, line: int) -> list:
    """``documents`` when it is a non-empty array of at most MAX_DOCUMENTS entries, else a DataError."""
    if not isinstance(documents, list) or not documents:
        got = "an empty array" if isinstance(documents, list) else _describe(documents)
        raise DataError(
            f"expected a non-empty array of {kind}, got {got}. Fix: list the retrieved documents as {example}.",
            path=path,
            line=line,
            field="documents",
        )
    if len(documents) > MAX_DOCUMENTS:
        raise DataError(
            f"expected at most {MAX_DOCUMENTS} documents, got {len(documents)}. "
            f"Fix: keep the {MAX_DOCUMENTS} most relevant documents or split the row.",
            path=path,
            line=line,
            field="documents",
        )
    return documents


def _validate_row(obj: Any, path: Path, line: int) -> dict[str, Any]:
    """Validate one parsed JSON line and return the normalised row (without ``source``)."""
    if not isinstance(obj, dict):
        raise DataError(
            f"expected a JSON object, got {_describe(obj)}. Fix: write one object "
            '({"id": ..., "query": ..., ...}) per line.',
            path=path,
            line=line,
        )
    for name in REQUIRED_ROW_FIELDS:
        if name not in obj:
            raise DataError(
                f"missing required field '{name}'. Every row needs the fields "
                f"{', '.join(REQUIRED_ROW_FIELDS)}. Fix: add '{name}' to this row.",
                path=path,
                line=line,
                field=name,
            )
    row_id = _as_id(obj["id"], "id", path, line, required=True)
    query = _as_text(obj["query"], "query", path, line, non_empty=True)

    documents = _document_list(obj["documents"], "document objects", '[{"text": "...", "answer": "..."}, ...]', path, line)
    docs = [_validate_document(doc, i, path, line) for i, doc in enumerate(documents)]

    gold = _as_text(obj["gold_answer"], "gold_answer", path, line, non_empty=False)

    level = obj["conflict_level"]
    codes = [known.code for known in CONFLICT_LEVELS]
    if not isinstance(level, str) or level not in codes:
        raise DataError(
            f"expected one of {', '.join(codes)}, got {_describe(level)}. "
            f"Fix: set conflict_level to one of the allowed values {codes} (upper case).",
            path=path,
            line=line,
            field="conflict_level",
        )

    conflict_type = obj.get("conflict_type")
    if conflict_type is None:
        conflict_type = ""
    conflict_type = _as_text(conflict_type, "conflict_type", path, line, non_empty=False)

    is_natural = obj.get("is_natural")
    if is_natural is None:
        is_natural = False
    if not isinstance(is_natural, bool):
        raise DataError(
            f"expected a boolean, got {_describe(is_natural)}. Fix: write true or false "
            "(without quotes), or leave the field out (default false).",
            path=path,
            line=line,
            field="is_natural",
        )

    return {
        "id": row_id,
        "query": query,
        "documents": docs,
        "gold_answer": gold,
        "conflict_level": level,
        "conflict_type": conflict_type,
        "is_natural": is_natural,
    }


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse and validate every non-blank line of one file; return ``(line, row)`` pairs."""
    return [(line_no, _validate_row(obj, path, line_no)) for line_no, obj in read_json_lines(path)]


@dataclass(frozen=True)
class DuplicateReport:
    """What :func:`load_lcr_data` did with ids that repeat.

    Attributes:
        policy: The ``on_duplicate`` policy (``"error"`` or ``"keep_first"``).
        identical: Rows dropped because an earlier row has the same id and the same content.
        conflicting: ``(id, kept, dropped)`` for each row dropped although its content differs
            from the earlier row of its id (``keep_first`` only); ``kept`` and ``dropped`` are
            ``file:line`` sources.
    """

    policy: str
    identical: int = 0
    conflicting: tuple[tuple[str, str, str], ...] = ()

    @property
    def dropped(self) -> int:
        """How many rows were dropped in all."""
        return self.identical + len(self.conflicting)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (as in the ``data.duplicates`` field of an evaluation report)."""
        return {
            "policy": self.policy,
            "identical_dropped": self.identical,
            "conflicting_dropped": len(self.conflicting),
            "conflicting": [{"id": i, "kept": kept, "dropped": dropped} for i, kept, dropped in self.conflicting],
        }


@dataclass(frozen=True)
class LCRData:
    """Validated LCR rows with where they came from (see :func:`load_lcr_data`).

    Attributes:
        dataset: The rows, as :func:`load_lcr_dataset` returns them.
        files: The local ``.jsonl`` files read, in order.
        duplicates: What was done with repeated ids.
    """

    dataset: datasets.Dataset
    files: list[Path]
    duplicates: DuplicateReport


def load_lcr_data(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    revision: str | None = None,
    deduplicate: bool = True,
    on_duplicate: str = ON_DUPLICATE_ERROR,
) -> LCRData:
    """Load LCR JSONL files like :func:`load_lcr_dataset`, and say which files and duplicates were involved.

    Args:
        paths: As for :func:`load_lcr_dataset`.
        revision: Revision of the Hub dataset repos among ``paths`` (see
            :func:`resolve_data_files`).
        deduplicate: As for :func:`load_lcr_dataset`.
        on_duplicate: As for :func:`load_lcr_dataset`.

    Returns:
        [`LCRData`]: the dataset, the files and a [`DuplicateReport`].

    Raises:
        [`~lcr_hub.errors.DataError`]: As for :func:`load_lcr_dataset`.
        `ValueError`: ``on_duplicate`` is not one of ``"error"``, ``"keep_first"``.

    Example:
        ```py
        >>> data = load_lcr_data("tests/fixtures/valid_rows.jsonl")
        >>> data.dataset.num_rows, data.duplicates.identical, data.duplicates.conflicting
        (3, 1, ())

        ```
    """
    if on_duplicate not in ON_DUPLICATE_CHOICES:
        raise ValueError(f"on_duplicate must be one of {ON_DUPLICATE_CHOICES}, got {on_duplicate!r}.")
    files = resolve_data_files(paths, revision=revision)
    rows: list[dict[str, Any]] = []
    first_seen: dict[str, tuple[dict[str, Any], str]] = {}
    identical = 0
    conflicting: list[tuple[str, str, str]] = []
    for path in files:
        for line_no, row in _read_rows(path):
            source = f"{path}:{line_no}"
            if deduplicate:
                previous = first_seen.get(row["id"])
                if previous is not None:
                    if previous[0] == row:
                        identical += 1
                    elif on_duplicate == ON_DUPLICATE_KEEP_FIRST:
                        conflicting.append((row["id"], previous[1], source))
                    else:
                        raise DataError(
                            f"id {row['id']!r} repeats with different content (first seen at "
                            f"{previous[1]}, again at {source}). Fix: give one of the two rows a new id or "
                            "delete the wrong copy; or, to keep the first row of each id (e.g. on the original "
                            f"benchmark files), pass on_duplicate={ON_DUPLICATE_KEEP_FIRST!r} "
                            "(command line: --keep-first-duplicate).",
                            path=path,
                            line=line_no,
                            field="id",
                        )
                    continue
                first_seen[row["id"]] = (row, source)
            rows.append({**row, "source": source})
    if not rows:
        raise DataError(
            "no rows found (the file is empty or holds only blank lines). Fix: add LCR rows, one JSON "
            "object per line.",
            path=", ".join(str(f) for f in files),
        )
    duplicates = DuplicateReport(on_duplicate, identical, tuple(conflicting))
    if conflicting:
        shown = "; ".join(f"{i!r} at {dropped} (kept {kept})" for i, kept, dropped in conflicting[:_SHOWN_DUPLICATES])
        more = f" and {len(conflicting) - _SHOWN_DUPLICATES} more" if len(conflicting) > _SHOWN_DUPLICATES else ""
        logger.warning(
            "kept the first row of each repeated id: dropped %d row(s) whose id repeats with different content "
            "(%s%s) and %d identical repeat(s).", len(conflicting), shown, more, identical,
        )
    return LCRData(datasets.Dataset.from_list(rows, features=LCR_FEATURES), files, duplicates)


def load_lcr_dataset(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    deduplicate: bool = True,
    on_duplicate: str = ON_DUPLICATE_ERROR,
    revision: str | None = None,
) -> datasets.Dataset:
    """Load LCR JSONL files into a validated :class:`datasets.Dataset`.

    Every non-blank line is parsed with :mod:`json` and validated. Unknown extra fields are
    dropped; optional fields get their defaults (``conflict_type`` ``""``, ``is_natural``
    ``False``, a document's ``doc_id`` its index); integer ids are converted to strings.
    Rows keep their order (files in the order given, lines in file order) and carry a
    ``source`` column (``"file:line"``) so that later errors can point at them. Files are
    UTF-8 (a byte order mark may open a file); lines are decoded one by one, so an encoding
    error names its exact line.

    Args:
        paths (`str`, `os.PathLike` or a sequence of them):
            `.jsonl` files and/or folders, or Hub dataset repos written
            ``hf://datasets/owner/name[@revision]``. A folder stands for all the ``*.jsonl``
            files directly inside it (sorted by name, not recursive).
        deduplicate (`bool`, *optional*, defaults to `True`):
            Keep only the first row of each ``id``. The benchmark repeats rows, so counts
            and splits must be made on de-duplicated data. A repeat with the same content is
            dropped silently; one with different content is handled by ``on_duplicate``.
        on_duplicate (`str`, *optional*, defaults to `"error"`):
            What to do when an ``id`` repeats with different content: ``"error"`` refuses
            the data (naming both rows); ``"keep_first"`` keeps the row seen first and logs
            a warning with how many rows were dropped (the original benchmark's test split
            repeats one id that way). :func:`load_lcr_data` also returns the counts.
        revision (`str`, *optional*):
            Revision of the Hub dataset repos among ``paths`` that name none with ``@``.

    Returns:
        [`datasets.Dataset`]: columns ``id``, ``query``, ``documents`` (a list of
        ``{doc_id, text, answer}`` strings), ``gold_answer``, ``conflict_level``,
        ``conflict_type``, ``is_natural`` and ``source``, with the explicit features
        [`LCR_FEATURES`].

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If a path does not exist, a folder holds no ``*.jsonl`` file, no row was found,
            a line is not valid UTF-8, not valid JSON (NaN and repeated keys included) or not
            an object, a field is missing or has the wrong type or value, or (with
            ``deduplicate=True`` and ``on_duplicate="error"``) an ``id`` repeats with
            different content (the message names both locations).
        `ValueError`: ``on_duplicate`` is not one of ``"error"``, ``"keep_first"``.

    Example:
        >>> from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset
        >>> ds = load_lcr_dataset(SAMPLE_DATA_PATH)
        >>> ds[0]["conflict_level"], ds[0]["source"] == f"{SAMPLE_DATA_PATH}:1"
        ('L1', True)
    """
    return load_lcr_data(paths, revision=revision, deduplicate=deduplicate, on_duplicate=on_duplicate).dataset

def _empty_or_from_list(rows: list[Mapping[str, Any]], features: datasets.Features) -> datasets.Dataset:
    """``Dataset.from_list`` that also accepts an empty list (``from_list([])`` fails)."""
    if not rows:
        return datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    return datasets.Dataset.from_list(list(rows), features=features)
