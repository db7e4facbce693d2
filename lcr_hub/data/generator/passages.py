"""Long rows: the generator's documents set inside passages of real prose (80-300 words each).

A retrieved passage is a paragraph or two of encyclopedia or news prose with the value
somewhere inside. :func:`generate_long_rows` takes the generator's rows (3 to 8 documents:
value sentences anywhere in a sentence, distractors about the same subject, agreeing
documents that restate the value in other words) and sets each document, as one block,
at a random sentence boundary of a passage of filler prose (start, middle or end), until
the passage holds the drawn number of words (uniform in ``[min_words, max_words]``).

The filler is real prose read, at generation time, from LCR JSONL files given by the caller
(the benchmark's dev documents in the shipped command): every document's templated value
prefix ("In 1923, ", "Measuring 5143 km, ", "Jane Doe is mentioned. ", "Research shows X. ")
is stripped, the broken first and last sentences of the ~300-character chunks are dropped,
and what is left is split into sentences. Nothing of it is stored in the repository; the
files' sha256 are recorded by the caller (``scripts/generate_conflicts.py`` writes them to
``long_manifest.json``). A filler sentence that contains any answer of the row (case
insensitively) is never used, so each conflicting document still states its value exactly
once and :func:`~lcr_hub.data.make_consistent_twin` still applies.

:func:`lengthen_rows` does the same to rows the caller gives (the hand-written training rows
in ``data/handwritten``), so that long training rows also carry value sentences and agreeing
rewordings written by a person, not only the generator's.

Seeded and deterministic: row *i* depends on the seed, its level, *i* and the filler files'
contents only (for :func:`lengthen_rows`, on the seed, the row and the filler).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .rows import generate_consistent_rows, generate_rows

__all__ = ["filler_sentences", "generate_long_rows", "lengthen_rows"]

#: Added to the seed for the generator rows that long rows are built from, so that they are
#: not the short rows of the same seed with filler around them.
LONG_SEED_OFFSET = 7919
#: Fewest and most words of a filler sentence (shorter ones are headings and fragments).
_MIN_SENTENCE_WORDS, _MAX_SENTENCE_WORDS = 6, 60
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
#: What follows a benchmark document's value in its template: ", " (L1, L2), ". " (L4),
#: " is mentioned. " (L3).
_TEMPLATE_TAIL = re.compile(r"^(?:\s+is mentioned\.|[.,])\s*")


def _strip_template(text: str, answer: str) -> str:
    """The document's prose without its templated value prefix (the whole text if no value is found)."""
    position = text.find(answer) if answer else -1
    if position < 0 or position > 40:  # the templates put the value at the very start
        return text
    rest = text[position + len(answer):]
    return _TEMPLATE_TAIL.sub("", rest, count=1)


def filler_sentences(paths: Iterable[str | Path]) -> list[str]:
    """Clean prose sentences from LCR JSONL files (templates stripped, fragments dropped).

    Args:
        paths: LCR JSONL files (e.g. the benchmark's dev files), read in the order given.

    Returns:
        The sentences, in file order, without duplicates.

    Example:
        >>> import json, tempfile, pathlib
        >>> row = {"documents": [{"text": "In 1923, The hall is old. It has a tower of red brick that was built "
        ...        "by the town. The roof was mended in the spring of that", "answer": "1923"}]}
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = pathlib.Path(folder) / "dev.jsonl"
        ...     _ = path.write_text(json.dumps(row) + "\\n")
        ...     filler_sentences([path])
        ['It has a tower of red brick that was built by the town.']
    """
    seen: dict[str, None] = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                for document in json.loads(line).get("documents", []):
                    prose = _strip_template(document.get("text", ""), str(document.get("answer", "")))
                    parts = _SENTENCE_END.split(" ".join(prose.split()))
                    # The chunk was cut at both ends: its first sentence is headless after the
                    # template, its last one is cut off.
                    for sentence in parts[1:-1]:
                        words = len(sentence.split())
                        if _MIN_SENTENCE_WORDS <= words <= _MAX_SENTENCE_WORDS and sentence[-1] in ".!?\"'":
                            seen.setdefault(sentence, None)
    return list(seen)


def _passage(document: str, filler: Sequence[str], banned: Sequence[str], rng: random.Random,
             words: int) -> str:
    """``document`` set as one block at a random sentence boundary of filler sentences (about ``words`` words)."""
    target = max(words - len(document.split()), 0)
    chosen: list[str] = []
    total = 0
    start = rng.randrange(len(filler))
    for step in range(len(filler)):
        if total >= target:
            break
        sentence = filler[(start + step) % len(filler)]
        lowered = sentence.lower()
        if any(value in lowered for value in banned):
            continue
        chosen.append(sentence)
        total += len(sentence.split())
    position = rng.randint(0, len(chosen))
    return " ".join(chosen[:position] + [document] + chosen[position:])


def _check_bounds(filler: Sequence[str], min_words: int, max_words: int) -> None:
    if not filler:
        raise ValueError("no filler sentences: pass the prose to build passages from (see filler_sentences).")
    if not 0 < min_words <= max_words:
        raise ValueError(f"need 0 < min_words <= max_words, got {min_words}, {max_words}.")


def _lengthen(rows: list[dict[str, Any]], filler: Sequence[str], seed: int, kind: str, min_words: int,
              max_words: int) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        rng = random.Random(f"{seed}:{kind}:{row['id']}")
        banned = sorted({str(d["answer"]).lower() for d in row["documents"]} | {str(row["gold_answer"]).lower()})
        banned = [value for value in banned if value.strip()]
        documents = [
            {**document, "text": _passage(document["text"], filler, banned, rng, rng.randint(min_words, max_words))}
            for document in row["documents"]
        ]
        out.append({**row, "id": f"long_{row['id']}", "documents": documents})
    return out


def generate_long_rows(
    n_per_level: int,
    filler: Sequence[str],
    *,
    seed: int = 42,
    consistent: bool = False,
    min_documents: int = 3,
    max_documents: int = 8,
    min_words: int = 80,
    max_words: int = 300,
    dense: bool = False,
) -> list[dict[str, Any]]:
    """Rows whose documents are passages of 80-300 words of real prose with the generator's documents inside.

    Args:
        n_per_level: Rows per level (L1..L4); with ``consistent``, rows in total.
        filler: Prose sentences (:func:`filler_sentences`).
        seed: The seed (the generator's rows come from ``seed + LONG_SEED_OFFSET``).
        consistent: All-consistent rows (label-0 rows) instead of conflicts.
        min_documents, max_documents: Documents per row.
        min_words, max_words: Words per passage, drawn uniformly (a document longer than
            the draw is kept whole, with no filler).
        dense: Generate dense documents (``generate_rows(dense=True)``: 50-170 words about
            the subject throughout, with other values of the asked type), so that filler
            prose only tops the passage up (ids ``long_gen_dense_l1_000000``...).

    Returns:
        The rows (ids ``long_gen_l1_000000``...), in LCR format.

    Raises:
        ValueError: No filler sentences, or bounds out of order.

    Example:
        >>> filler = [f"Sentence number {i} talks about an old mill by a river." for i in range(40)]
        >>> rows = generate_long_rows(1, filler, seed=1)
        >>> [row["id"] for row in rows][:2], min(len(d["text"].split()) for r in rows for d in r["documents"]) >= 80
        (['long_gen_l1_000000', 'long_gen_l2_000000'], True)
    """
    _check_bounds(filler, min_words, max_words)
    make = generate_consistent_rows if consistent else generate_rows
    rows = make(n_per_level, seed=seed + LONG_SEED_OFFSET, min_documents=min_documents, max_documents=max_documents,
                dense=dense)
    kind = ("consistent" if consistent else "conflict") + ("-dense" if dense else "")
    return _lengthen(rows, filler, seed, kind, min_words, max_words)


def lengthen_rows(
    rows: Sequence[dict[str, Any]],
    filler: Sequence[str],
    *,
    seed: int = 42,
    min_words: int = 80,
    max_words: int = 300,
) -> list[dict[str, Any]]:
    """Given LCR rows with each document set, as one block, in a passage of filler prose.

    Args:
        rows: LCR rows (conflicting or consistent), e.g. ``data/handwritten``'s.
        filler: Prose sentences (:func:`filler_sentences`).
        seed: The seed of the passages' lengths, filler and positions.
        min_words, max_words: Words per passage, drawn uniformly (a document longer than
            the draw is kept whole, with no filler).

    Returns:
        The rows with ``long_`` before their ids; every other field unchanged.

    Raises:
        ValueError: No filler sentences, or bounds out of order.

    Example:
        >>> filler = [f"Sentence number {i} talks about an old mill by a river." for i in range(40)]
        >>> row = {"id": "r1", "query": "When?", "gold_answer": "1901", "conflict_level": "L1",
        ...        "documents": [{"doc_id": "d1", "text": "It opened in 1901.", "answer": "1901"}]}
        >>> long = lengthen_rows([row], filler, seed=1)
        >>> long[0]["id"], "It opened in 1901." in long[0]["documents"][0]["text"]
        ('long_r1', True)
    """
    _check_bounds(filler, min_words, max_words)
    return _lengthen(list(rows), filler, seed, "given", min_words, max_words)
