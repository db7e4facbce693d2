"""Read JSON Lines robustly: every way a line can be wrong becomes a DataError at its exact ``file:line``.

Lines are split on bytes and decoded one by one (so an encoding error names its own line,
not the line where a decoding buffer happened to start), a UTF-8 byte order mark may open a
file and nothing else, and the JSON is strict: no ``NaN``/``Infinity``, no key twice in one
object, no line longer than :data:`~lcr_hub.constants.MAX_LINE_BYTES`.
"""

from __future__ import annotations

import codecs
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..constants import MAX_DOCUMENTS, MAX_LINE_BYTES
from ..errors import DataError

__all__ = ["read_json_lines"]

_BOM = "\ufeff"
_GZIP_MAGIC = b"\x1f\x8b"
_NUL = b"\x00"


class _JSONValueError(ValueError):
    """A line that :mod:`json` would accept but LCR files must not contain (NaN, repeated keys)."""


def _reject_constant(name: str) -> Any:
    raise _JSONValueError(
        f"{name} is not valid JSON (Python's json.dumps writes it for a float {name.lower()}). "
        "Fix: write null, a number or a string instead."
    )


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _JSONValueError(
            f"the key {repeated!r} appears twice in one JSON object, so one of its values would be "
            "silently lost. Fix: keep one of the two."
        )
    return obj


#: The JSON parser of LCR lines: strict JSON (no NaN/Infinity) without repeated keys.
_DECODER = json.JSONDecoder(object_pairs_hook=_object_without_repeated_keys, parse_constant=_reject_constant)


def _binary_hint(raw: bytes, line_no: int) -> str | None:
    """What a line that is not text looks like (UTF-16, gzip, other binary), or None when it is no such case."""
    if line_no == 1 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "the file is UTF-16 encoded (it starts with a UTF-16 byte order mark). Fix: re-save it as UTF-8."
    if line_no == 1 and raw.startswith(_GZIP_MAGIC):
        return "the file is gzip-compressed. Fix: decompress it first (gunzip FILE) and pass the .jsonl file."
    nul = raw.find(_NUL)
    if nul >= 0:
        return (
            f"the line holds NUL bytes (first at byte {nul + 1}): this is a binary file or UTF-16 text, "
            "not JSON Lines. Fix: pass the LCR .jsonl file, saved as UTF-8 text."
        )
    return None


def _iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based line number, text)`` for every line, decoded line by line so errors name the exact line.

    A UTF-8 byte order mark is dropped at the start of the file (and refused anywhere else,
    by the JSON parser's caller).
    """
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataError(
            f"cannot open the file ({err.strerror or err}). Fix: check that it exists and that you may read it.",
            path=path,
        ) from None
    with handle:
        for line_no in itertools.count(1):
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as err:
                raise DataError(
                    f"cannot read the file ({err.strerror or err}). Fix: pass a readable .jsonl file.",
                    path=path,
                    line=line_no,
                ) from None
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise DataError(
                    f"the line is longer than {MAX_LINE_BYTES // 2**20} MiB; an LCR row (a query and at most "
                    f"{MAX_DOCUMENTS} documents) is far shorter. Fix: check that the file is JSON Lines (one row "
                    "per line), not one JSON array, a minified dump or a binary file.",
                    path=path,
                    line=line_no,
                )
            if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            hint = _binary_hint(raw, line_no)
            if hint is not None:
                raise DataError(hint, path=path, line=line_no)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(
                    f"the line is not valid UTF-8: byte 0x{raw[err.start]:02x} at byte {err.start + 1} of the line "
                    f"({err.reason}). Fix: re-save the file as UTF-8 (from Latin-1, e.g. "
                    "iconv -f latin1 -t utf-8 FILE > FILE.utf8.jsonl).",
                    path=path,
                    line=line_no,
                ) from None
            yield line_no, text


def _parse_line(text: str, path: Path, line_no: int) -> Any:
    """Parse one JSON line; every way it can fail becomes a DataError at ``path:line_no``."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        if text[err.pos:err.pos + 1] == _BOM:
            message = (
                f"a UTF-8 byte order mark (BOM, U+FEFF) at column {err.colno}: a BOM may only open a file "
                "(one inside usually comes from concatenating files that each start with one). Fix: delete it, "
                "e.g. re-save the file as UTF-8 without BOM."
            )
        else:
            message = (
                f"invalid JSON ({err.msg} at column {err.colno}). Fix: write exactly one complete JSON object "
                "per line (JSON Lines), with double-quoted strings."
            )
        raise DataError(message, path=path, line=line_no) from None
    except _JSONValueError as err:
        raise DataError(str(err), path=path, line=line_no) from None
    except RecursionError:
        raise DataError(
            "the JSON is nested too deeply to parse. Fix: write the row as a flat object with a list of "
            "document objects.",
            path=path,
            line=line_no,
        ) from None
    except ValueError as err:  # an integer with more digits than Python converts (sys.get_int_max_str_digits)
        raise DataError(
            f"the JSON cannot be parsed: a number has too many digits ({str(err).split(':')[0]}). Fix: write long "
            "ids and values as strings in double quotes.",
            path=path,
            line=line_no,
        ) from None


def read_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(1-based line number, parsed JSON value)`` for every non-blank line of a UTF-8 JSON Lines file.

    Args:
        path: The file.

    Yields:
        The line number (blank lines are counted) and the line's JSON value.

    Raises:
        DataError: The file cannot be read, a line is too long, not UTF-8 (UTF-16, gzip and
            other binary files are named as such), holds a byte order mark anywhere but at
            the very start of the file, or is not strict JSON. The error names ``path`` and
            the line and says how to fix it.

    Example:
        ```py
        >>> [value["id"] for _, value in read_json_lines("tests/fixtures/valid_rows.jsonl")][:2]
        ['fx_orchard', 207]

        ```
    """
    path = Path(path)
    for line_no, text in _iter_lines(path):
        if text.strip():
            yield line_no, _parse_line(text, path, line_no)
