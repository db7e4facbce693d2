"""Scoring generated answers against an LCR row's gold and minority (conflicting) answers.

An answer is **correct** when the normalised gold answer appears in it (as whole words) and
no minority answer does; it **takes a minority value** when a minority answer appears in it.
A row's minority answers are its documents' ``answer`` annotations that differ from the gold
answer once normalised (annotations are used for scoring only, never as model input).

Normalisation is :func:`lcr_hub.system.normalize_answer` (lower case, no punctuation, no
articles) plus a date rule, so that "March 3, 1952", "3rd March 1952" and "3 March 1952"
compare equal.

Example:
    >>> score_answer("It opened on March 3, 1952.", "3 March 1952", ["8 March 1952"])
    AnswerScore(correct=True, has_gold=True, has_minority=False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..system import normalize_answer

__all__ = ["AnswerScore", "canonical_answer", "minority_answers", "score_answer", "score_row"]

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH_DAY = re.compile(rf"\b({_MONTHS}) (\d{{1,2}})(?:st|nd|rd|th)?\b")
_DAY_ORDINAL = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th) (?:of )?({_MONTHS})\b")


@dataclass(frozen=True)
class AnswerScore:
    """How one answer fares against its row.

    Attributes:
        correct: The gold answer appears and no minority answer does.
        has_gold: The gold answer appears.
        has_minority: A minority (conflicting) answer appears.
    """

    correct: bool
    has_gold: bool
    has_minority: bool


def canonical_answer(text: str) -> str:
    """:func:`~lcr_hub.system.normalize_answer`, with dates written day first.

    Example:
        >>> canonical_answer("March 3rd, 1952"), canonical_answer("the 3rd of March 1952")
        ('3 march 1952', '3 march 1952')
    """
    text = normalize_answer(text)
    text = _DAY_ORDINAL.sub(r"\1 \2", text)
    return _MONTH_DAY.sub(r"\2 \1", text)


def _contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as whole words (both canonical)."""
    return bool(needle) and f" {needle} " in f" {haystack} "


def minority_answers(row: Mapping) -> list[str]:
    """The documents' annotated answers that differ from the gold answer (first-seen order, unique).

    Example:
        >>> minority_answers({"gold_answer": "1911", "documents": [{"answer": "1911"}, {"answer": "1914"}]})
        ['1914']
    """
    gold = canonical_answer(row["gold_answer"])
    seen: dict[str, str] = {}
    for document in row["documents"]:
        answer = document.get("answer") if isinstance(document, Mapping) else None
        if answer and canonical_answer(answer) != gold:
            seen.setdefault(canonical_answer(answer), answer)
    return list(seen.values())


def score_answer(answer: str, gold: str, minorities: Sequence[str]) -> AnswerScore:
    """Score one generated answer.

    A minority answer that contains the gold one (``"Paris, Texas"`` against ``"Paris"``) is
    looked for in the whole answer; any other is looked for outside the gold answer's
    occurrences (``"York"`` inside ``"New York"`` is not a minority answer).

    Args:
        answer: The generated text.
        gold: The row's gold answer.
        minorities: Its minority answers (:func:`minority_answers`).

    Returns:
        The :class:`AnswerScore`.

    Example:
        >>> score_answer("Either 1911 or 1914.", "1911", ["1914"]).correct
        False
        >>> score_answer("New York", "New York", ["York"]).correct
        True
    """
    text, target = canonical_answer(answer), canonical_answer(gold)
    has_gold = _contains(text, target)
    without_gold = f" {text} ".replace(f" {target} ", "  ") if target else text
    has_minority = False
    for minority in minorities:
        value = canonical_answer(minority)
        if _contains(value, target):
            has_minority |= _contains(text, value)
        else:
            has_minority |= _contains(without_gold, value)
    return AnswerScore(correct=has_gold and not has_minority, has_gold=has_gold, has_minority=has_minority)


def score_row(answer: str, row: Mapping) -> AnswerScore:
    """:func:`score_answer` of an answer to an LCR row (its ``gold_answer`` and documents' annotations)."""
    return score_answer(answer, row["gold_answer"], minority_answers(row))
