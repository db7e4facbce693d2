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
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets

from ..constants import CONFLICT_LEVELS, MAX_DOCUMENTS, REQUIRED_ROW_FIELDS
from ..errors import DataError

__all__ = ["LCR_FEATURES", "load_lcr_dataset", "parse_source"]

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


#: ``owner/name``: a data entry that is no local path and looks like this is a Hub dataset repo.
_HUB_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def resolve_data_files(
    paths: str | os.PathLike | Sequence[str | os.PathLike], revision: str | None = None
) -> list[Path]:
    """Expand files, folders and Hub dataset repos into a list of local ``.jsonl`` files.

    Folders are not searched recursively (``*.jsonl`` sorted by name). An entry that is not a
    local path but looks like ``owner/name`` is a dataset repo on the Hub (``HF_ENDPOINT``):
    its ``.jsonl`` files at ``revision`` are downloaded through ``huggingface_hub`` (its
    cache, ``HF_HOME``, ``HF_HUB_OFFLINE`` and tokens as usual), so that every row gets the
    same file:line validation and every file the same sha256 provenance as local data.

    Args:
        paths: Files, folders or dataset repo ids.
        revision: Revision of the dataset repos (a full commit sha pins the data; default
            the repo's main branch). Only valid with a repo id among ``paths``.

    Returns:
        Local file paths, in the order given.

    Raises:
        DataError: A path does not exist, a folder or repo holds no ``.jsonl`` file, a repo or
            revision cannot be fetched, or ``revision`` is given without a repo id.

    Example:
        >>> from lcr_hub.data import SAMPLE_DATA_PATH
        >>> [path.name for path in resolve_data_files([SAMPLE_DATA_PATH.parent])]
        ['sample.jsonl']
        >>> resolve_data_files(["my-org/my-lcr-rows"], revision="0123abcd...")  # doctest: +SKIP
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise DataError("No data path given: pass a .jsonl file, a folder of them, or a list of either.")
    files: list[Path] = []
    used_revision = False
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.jsonl") if p.is_file())
            if not found:
                raise DataError(
                    "The folder contains no '*.jsonl' file (folders are not searched recursively). "
                    "Pass a folder that holds LCR .jsonl files, or the files themselves.",
                    path=path,
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif _HUB_REPO_ID.match(str(entry)):
            files.extend(_hub_dataset_files(str(entry), revision))
            used_revision = True
        else:
            raise DataError(
                "No such file or folder, and not an 'owner/name' Hub dataset repo id. Check the path "
                "(and the working directory).",
                path=path,
            )
    if revision is not None and not used_revision:
        raise DataError(
            f"A data revision ({revision!r}) was given but no Hub dataset repo: the revision applies to "
            "'owner/name' dataset repos only. Drop it for local files."
        )
    return files


def _hub_dataset_files(repo_id: str, revision: str | None) -> list[Path]:
    from huggingface_hub import snapshot_download

    where = f"dataset repo '{repo_id}' at revision {revision or 'main'}"
    try:
        folder = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision,
                                        allow_patterns=["*.jsonl", "**/*.jsonl"]))
    except Exception as error:  # huggingface_hub raises several unrelated types (HTTP, offline, revision)
        raise DataError(
            f"Could not fetch the {where}: {type(error).__name__}: {error}. Check the repo id and the "
            "revision, HF_ENDPOINT/HF_HUB_OFFLINE and your token, or pass local files."
        ) from error
    found = sorted(p for p in folder.rglob("*.jsonl") if p.is_file())
    if not found:
        raise DataError(f"The {where} holds no '*.jsonl' file. Upload LCR rows as .jsonl files.")
    return found


def _as_id(value: Any, field: str, path: Path, line: int, *, required: bool) -> str:
    """Validate an identifier: a non-empty string, or an integer (converted to a string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
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

    documents = obj["documents"]
    if not isinstance(documents, list) or not documents:
        got = "an empty array" if isinstance(documents, list) else _describe(documents)
        raise DataError(
            f"expected a non-empty array of document objects, got {got}. "
            'Fix: list the retrieved documents as [{"text": "...", "answer": "..."}, ...].',
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
    rows = []
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as err:
        raise DataError(f"cannot open the file ({err.strerror or err}).", path=path) from err
    with handle:
        line_no = 0
        try:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(
                        f"invalid JSON ({err.msg} at column {err.colno}). Fix: write exactly one "
                        "complete JSON object per line (JSON Lines), with double-quoted strings.",
                        path=path,
                        line=line_no,
                    ) from None
                rows.append((line_no, _validate_row(obj, path, line_no)))
        except UnicodeDecodeError as err:
            raise DataError(
                f"the file is not valid UTF-8 ({err.reason}). Fix: save it as UTF-8.",
                path=path,
                line=line_no + 1,
            ) from None
    return rows


def load_lcr_dataset(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    deduplicate: bool = True,
) -> datasets.Dataset:
    """Load LCR JSONL files into a validated :class:`datasets.Dataset`.

    Every non-blank line is parsed with :mod:`json` and validated. Unknown extra fields are
    dropped; optional fields get their defaults (``conflict_type`` ``""``, ``is_natural``
    ``False``, a document's ``doc_id`` its index); integer ids are converted to strings.
    Rows keep their order (files in the order given, lines in file order) and carry a
    ``source`` column (``"file:line"``) so that later errors can point at them.

    Args:
        paths (`str`, `os.PathLike` or a sequence of them):
            `.jsonl` files and/or folders. A folder stands for all the ``*.jsonl`` files
            directly inside it (sorted by name, not recursive).
        deduplicate (`bool`, *optional*, defaults to `True`):
            Keep only the first row of each ``id``. The benchmark repeats rows, so counts
            and splits must be made on de-duplicated data.

    Returns:
        [`datasets.Dataset`]: columns ``id``, ``query``, ``documents`` (a list of
        ``{doc_id, text, answer}`` strings), ``gold_answer``, ``conflict_level``,
        ``conflict_type``, ``is_natural`` and ``source``, with the explicit features
        [`LCR_FEATURES`].

    Raises:
        [`~lcr_hub.errors.DataError`]:
            If a path does not exist, a folder holds no ``*.jsonl`` file, no row was found,
            a line is not valid JSON or not an object, a field is missing or has the wrong
            type or value, or (with ``deduplicate=True``) an ``id`` repeats with different
            content (the message names both locations).

    Example:
        >>> from lcr_hub.data import SAMPLE_DATA_PATH, load_lcr_dataset
        >>> ds = load_lcr_dataset(SAMPLE_DATA_PATH)
        >>> ds[0]["conflict_level"], ds[0]["source"] == f"{SAMPLE_DATA_PATH}:1"
        ('L1', True)
    """
    files = resolve_data_files(paths)
    rows: list[dict[str, Any]] = []
    first_seen: dict[str, tuple[dict[str, Any], str]] = {}
    for path in files:
        for line_no, row in _read_rows(path):
            source = f"{path}:{line_no}"
            if deduplicate:
                previous = first_seen.get(row["id"])
                if previous is not None:
                    if previous[0] != row:
                        raise DataError(
                            f"id {row['id']!r} repeats with different content (first seen at "
                            f"{previous[1]}, again at {source}). Fix: give one of the two rows a "
                            "new id, or delete the wrong copy.",
                            path=path,
                            line=line_no,
                            field="id",
                        )
                    continue
                first_seen[row["id"]] = (row, source)
            rows.append({**row, "source": source})
    if not rows:
        raise DataError(
            "no rows found (only blank lines). Fix: add LCR rows, one JSON object per line.",
            path=", ".join(str(f) for f in files),
        )
    return datasets.Dataset.from_list(rows, features=LCR_FEATURES)


def _empty_or_from_list(rows: list[Mapping[str, Any]], features: datasets.Features) -> datasets.Dataset:
    """``Dataset.from_list`` that also accepts an empty list (``from_list([])`` fails)."""
    if not rows:
        return datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    return datasets.Dataset.from_list(list(rows), features=features)
