"""Rows: the documents of one row, the invariants every row keeps, and the public entry points."""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...constants import CONFLICT_LEVELS, MAX_DOCUMENTS
from ..twins import make_consistent_twin
from .base import _Mention
from .dates import _Date
from .facts import Fact, fact_sheet
from .levels import _LEVEL_MODELS
from .tables import (
    _ASIDE_FRAMES,
    _ASIDE_PREDICATES,
    _ASIDES,
    _COMMENTS,
    _COUNT_SIDE_FACTS,
    _CURRENCIES,
    _HEDGES,
    _ISSUE_SIDE_FACTS,
    _L4_SHORT_SUBJECTS,
    _L4_TAILS,
    _REACTIONS,
    _WEEKDAYS,
    _YEAR_SIDE_FACTS,
    BODY_SOURCES,
    CATEGORY_CONTEXT,
    DOC_SOURCES,
    DRUG_NAMES,
    FIRST_NAMES,
    GENERIC_CONTEXT,
    LAST_NAMES,
    PLACES,
    SOURCES,
)
from .text import _PLACEHOLDER, _applicable, _aside, _fill, _title

#: The ``conflict_type`` written for each level.
CONFLICT_TYPES: dict[str, str] = {level.code: level.kind for level in CONFLICT_LEVELS}
_LEVEL_CODES: tuple[str, ...] = tuple(level.code for level in CONFLICT_LEVELS)

_MAX_ATTEMPTS = 200
#: Share of the sentences without the value that are composed asides rather than stock sentences.
_ASIDE_SHARE = 0.6

#: Share of quantity mentions with a hedge in front ("about 1,240 people"), independently per
#: document: real sources round and hedge the same figure, and a hedge alone is no conflict.
_HEDGE_SHARE = 0.2

#: Share of L4 claims followed by a tail that does not change the claim ("... will go ahead,
#: local people say"), on either side of a conflict: documents that agree rarely word a claim
#: the same way to the last word, and a different tail is no conflict.
_TAIL_SHARE = 0.3

#: Share of L4 claims whose subject is named by a later, shorter mention (see
#: ``_L4_SHORT_SUBJECTS`` in tables/topics_l4.json).
_SHORT_SUBJECT_SHARE = 0.3

#: Topic categories whose subject is a place, building, body or team ("its garden", "parking near it").
_ASIDE_SUBJECT_CATEGORIES = frozenset({"structure", "organisation", "nature", "transport", "sport", "heritage", "route"})

#: The context category of every L4 topic (current affairs).
_L4_CATEGORY = "issue"

#: Dense documents (``dense=True``): words of the on-subject part of a document, drawn
#: uniformly (the passage is then lengthened with filler prose, see ``passages.py``).
_DENSE_WORDS = (50, 170)
#: Share of dense documents whose value sentence is joined with a neighbouring fact into one
#: long sentence ("... opened in 1871; a plaque was unveiled in 1921.").
_JOIN_SHARE = 0.35
#: How the value sentence is joined with the next one, and the openings lower-cased after it.
_JOINERS = ("; ", ", and ", ", while ")
_LOWERABLE_OPENINGS = (
    "The ", "A ", "An ", "It ", "Its ", "In ", "On ", "At ", "By ", "For ", "From ", "Some ", "Most ", "Many ",
    "No ", "Not ", "Nobody ", "Several ", "Few ", "Part ", "Next ", "Minor ", "Records ", "Critics ", "Officials ",
    "Writers ", "Comparisons ", "Visitors ", "Houses ", "People ", "Money ", "Funding ", "There ", "Residents ",
    "Whether ", "Last ", "Around ",
)


def _row_names(rng: random.Random) -> dict[str, str]:
    place, other_place = rng.sample(PLACES, 2)
    org_base = rng.choice(PLACES) if rng.random() < 0.5 else rng.choice(LAST_NAMES)
    org_suffix = rng.choice(("Group", "Holdings", "Trading Company", "Outfitters", "Foods", "Textiles"))
    return {
        "P": place,
        "P2": other_place,
        "N": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "T": _title(rng),
        "O": f"{org_base} {org_suffix}",
        "D": rng.choice(DRUG_NAMES),
        "A": rng.choice(PLACES),
    }


def _sibling_names(names: Mapping[str, str], rng: random.Random) -> dict[str, str]:
    """The row's names with every one that may name its subject replaced by another."""
    return {
        **names,
        "P": names["P2"],
        "A": rng.choice([p for p in PLACES if p != names["A"]]),
        "N": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "T": _title(rng),
        "D": rng.choice([d for d in DRUG_NAMES if d != names["D"]]),
    }


def _instantiate(topic: Mapping[str, Any], names: Mapping[str, str], rng: random.Random) -> dict[str, Any]:
    """A topic with its name placeholders filled ({v} is kept for the value)."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: names.get(m.group(1), m.group(0)), value)
        if isinstance(value, tuple):
            return tuple(fill(item) for item in value)
        return value

    filled = {key: fill(value) for key, value in topic.items()}
    filled["short"] = _L4_SHORT_SUBJECTS.get(topic["s"], ())
    filled["currency"] = rng.choice(_CURRENCIES)
    return filled


class _Writer:
    """Writes the sentences of one row, avoiding reuse of frames and context sentences."""

    def __init__(self, level: str, topic: Mapping[str, Any], rng: random.Random, place: str) -> None:
        self.level = level
        self.topic = topic
        self.rng = rng
        self.place = place
        self.model = _LEVEL_MODELS[level]
        if level == "L4":
            # Current-affairs subjects: the history-flavoured generic sentences do not fit.
            self.context_pool = list(CATEGORY_CONTEXT[_L4_CATEGORY])
        else:
            self.context_pool = list(CATEGORY_CONTEXT[topic["cat"]]) + list(GENERIC_CONTEXT)
        self.unused_context: list[str] = []
        self.used_frames: list[str] = []
        self.used_asides: set[str] = set()

    def _topic_slots(self) -> dict[str, str]:
        topic = self.topic
        slots = {"s": topic["s"]}
        for key in ("event", "noun", "the_attr", "cop", "the_role", "active", "credit", "where", "prep"):
            if topic.get(key):
                slots[key] = topic[key]
        if self.level == "L3":
            slots["rel"] = "who" if topic["cat"] == "person" else "which"
            if topic["kind"] == "person":
                slots["who"] = "who"
            elif topic["kind"] == "org":
                slots["who"] = "that"
        return slots

    def _random_slots(self) -> dict[str, str]:
        rng = self.rng
        return {
            "source": rng.choice(SOURCES),
            "doc": rng.choice(DOC_SOURCES),
            "body": rng.choice(BODY_SOURCES),
            "aside": rng.choice(_ASIDES[self.level]),
            "comment": rng.choice(_COMMENTS),
            "reaction": rng.choice(_REACTIONS),
            "weekday": rng.choice(_WEEKDAYS),
        }

    def value_sentence(self, mention: _Mention) -> str:
        if "whole" in mention.slots:
            # A complete sentence (an L4 restatement): no frame, so nothing in used_frames.
            return mention.slots["whole"]
        slots = {**self._topic_slots(), **self._random_slots(), **mention.slots}
        if self.level == "L2" and "v" in slots and self.rng.random() < _HEDGE_SHARE:
            slots["v"] = f"{self.rng.choice(_HEDGES)} {slots['v']}"
        if self.level == "L4" and "v" in slots and self.rng.random() < _TAIL_SHARE:
            slots["v"] += _fill(self.rng.choice(_L4_TAILS), slots)
        if self.topic["short"] and self.rng.random() < _SHORT_SUBJECT_SHARE:
            slots["s"] = self.rng.choice(self.topic["short"])
        if "v" in mention.slots and self.topic.get("vp"):
            slots["vp"] = self.topic["vp"].replace("{v}", mention.slots["v"])
        frames = [f for f in self.model.frames if _applicable(f, slots)]
        # Prefer frames not yet used in this row.
        candidates = [f for f in frames if f not in self.used_frames] or frames
        frame = self.rng.choice(candidates)
        self.used_frames.append(frame)
        return _fill(frame, slots)

    def context_sentence(self, min_year: int | None = None) -> str:
        """A sentence without the value: a composed aside (most of the time) or a stock one."""
        if self.rng.random() < _ASIDE_SHARE:
            subject_frames = self.level != "L4" and self.topic.get("cat") in _ASIDE_SUBJECT_CATEGORIES
            aside = _aside(self.rng, self.topic["s"], self.place, min_year=min_year, subject_frames=subject_frames)
            # An aside without random slots ("Houses in {P} are ...") would otherwise recur within a row.
            if aside is not None and aside not in self.used_asides:
                self.used_asides.add(aside)
                return aside
        if not self.unused_context:
            self.unused_context = list(self.context_pool)
        sentence = self.unused_context.pop(self.rng.randrange(len(self.unused_context)))
        return _fill(sentence, {"s": self.topic["s"]})

    def side_fact(self, min_year: int | None) -> str | None:
        rng = self.rng
        if self.level == "L4":
            return _fill(rng.choice(_ISSUE_SIDE_FACTS), {"s": self.topic["s"], "k": str(rng.randint(12, 2400))})
        if rng.random() < 0.5:
            lo = max(1975, (min_year or 0) + 5)
            if lo > 2023:
                return None
            return _fill(rng.choice(_YEAR_SIDE_FACTS), {"s": self.topic["s"], "y": str(rng.randint(lo, 2023))})
        return _fill(rng.choice(_COUNT_SIDE_FACTS), {"s": self.topic["s"], "k": str(rng.randint(12, 480))})

    def document(self, mention: _Mention | None, *, min_year: int | None) -> str:
        """A document: the value sentence (if any) among context sentences and side facts."""
        rng = self.rng
        sentences = []
        if mention is not None:
            sentences.append(self.value_sentence(mention))
            n_context = rng.choices((0, 1, 2, 3), weights=(30, 40, 22, 8))[0]
            side_chance = 0.2
        else:
            n_context = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
            side_chance = 0.3
        sentences.extend(self.context_sentence(min_year) for _ in range(n_context))
        if rng.random() < side_chance:
            fact = self.side_fact(min_year)
            if fact is not None:
                sentences.append(fact)
        rng.shuffle(sentences)
        return " ".join(sentences)

    def dense_document(self, mention: _Mention | None, sheet: Sequence[Fact], *, min_year: int | None) -> str:
        """A document about the subject throughout: the value sentence (if any) among the row's facts.

        Facts are told in the sheet's order from a random start, each in its own wording, one
        value per fact (see ``facts.Fact.key``), with context sentences between them, until the
        document holds a drawn number of words (``_DENSE_WORDS``).
        """
        rng = self.rng
        target = rng.randint(*_DENSE_WORDS)
        value = self.value_sentence(mention) if mention is not None else None
        others: list[str] = []
        words = len(value.split()) if value else 0
        told: set[int] = set()
        start = rng.randrange(len(sheet)) if sheet else 0
        for fact in [*sheet[start:], *sheet[:start]]:
            if words >= target:
                break
            if fact.key in told:
                continue
            told.add(fact.key)
            sentence = fact.render(rng)
            others.append(sentence)
            words += len(sentence.split())
            if rng.random() < 0.3:
                others.append(self.context_sentence(min_year))
                words += len(others[-1].split())
        while words < target // 2:  # a short sheet: context sentences for the rest
            others.append(self.context_sentence(min_year))
            words += len(others[-1].split())
        rng.shuffle(others)
        if value is None:
            return " ".join(others)
        position = rng.randint(0, len(others))
        following = others[position] if position < len(others) else ""
        # Only where the next sentence opens with a common word, so that no name is lower-cased.
        if value.endswith(".") and following.startswith(_LOWERABLE_OPENINGS) and rng.random() < _JOIN_SHARE:
            value = value[:-1] + rng.choice(_JOINERS) + following[0].lower() + following[1:]
            del others[position]
        return " ".join(others[:position] + [value] + others[position:])


def _max_year(values: Iterable[Any]) -> int | None:
    years = [v.year for v in values if isinstance(v, _Date)]
    return max(years) if years else None


def _check_row(row: Mapping[str, Any], conflict_answers: Sequence[str], gold: str) -> bool:
    """The invariants the twin rule and the loader rely on (see the module docstring)."""
    documents = row["documents"]
    if not documents or len(documents) > MAX_DOCUMENTS:
        return False
    for answer in conflict_answers:
        if not answer or answer in gold or gold in answer:
            return False
        for other in conflict_answers:
            if other != answer and (other in answer or answer in other):
                return False
    if not any(gold in doc["text"] for doc in documents):
        return False
    for doc in documents:
        text = doc["text"]
        if doc["answer"] != gold and text.count(doc["answer"]) != 1:
            return False
        if doc["answer"] == gold and any(answer in text for answer in conflict_answers):
            return False
    twin = make_consistent_twin(row)
    return not any(answer in doc["text"] for doc in twin["documents"] for answer in conflict_answers)


def _row_rng(seed: int, kind: str, level: str, index: int, attempt: int) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, so it is stable across runs and platforms.
    return random.Random(f"lcr-hub-generator:{seed}:{kind}:{level}:{index}:{attempt}")


def _build_row(
    level: str,
    index: int,
    rng: random.Random,
    *,
    conflicting: bool,
    min_documents: int,
    max_documents: int,
    dense: bool = False,
) -> dict[str, Any] | None:
    model = _LEVEL_MODELS[level]
    names = _row_names(rng)
    raw_topic = rng.choice(model.topics)
    topic = _instantiate(raw_topic, names, rng)
    writer = _Writer(level, topic, rng, names["P"])
    gold = model.sample_gold(topic, rng)
    gold_text = model.gold_answer(topic, gold)

    n_docs = rng.randint(min_documents, max_documents)
    if conflicting:
        # Distractors only where at least three documents still state a value, so that the
        # gold answer stays a strict majority of the documents that state one.
        n_distractors = 0 if n_docs <= 3 or rng.random() < 0.5 else rng.randint(1, min(3, n_docs - 3))
        n_value = n_docs - n_distractors
        n_conflict = 1 if n_value <= 3 else rng.randint(1, (n_value - 1) // 2)
        n_distinct = 2 if n_conflict >= 2 and rng.random() < 0.45 else 1
        conflict_values: list[Any] = []
        for _ in range(20):
            if len(conflict_values) == n_distinct:
                break
            candidate = model.conflicts(topic, gold, rng)
            if candidate is None or model.same(candidate, gold):
                continue
            if any(model.same(candidate, other) for other in conflict_values):
                continue
            conflict_values.append(candidate)
        if not conflict_values:
            return None
        assigned = list(conflict_values) + [rng.choice(conflict_values) for _ in range(n_conflict - len(conflict_values))]
    else:
        n_distractors = 0 if n_docs <= 2 or rng.random() < 0.55 else rng.randint(1, min(2, n_docs - 2))
        n_value = n_docs - n_distractors
        n_conflict = 0
        conflict_values = []
        assigned = []

    n_gold = n_value - n_conflict
    # At least one document states the gold answer verbatim; the others may reword it.
    paraphrase_chance = 0.6 if not conflicting else 0.35
    plan: list[tuple[str, Any]] = [("gold", None)]
    for _ in range(n_gold - 1):
        plan.append(("paraphrase" if rng.random() < paraphrase_chance else "gold", None))
    if not conflicting and n_gold >= 2 and all(kind == "gold" for kind, _ in plan):
        plan[-1] = ("paraphrase", None)
    plan.extend(("conflict", value) for value in assigned)
    plan.extend(("distractor", None) for _ in range(n_distractors))
    rng.shuffle(plan)

    min_year = _max_year([gold, *conflict_values])
    documents = []
    conflict_answers: list[str] = []
    conflict_mentions: dict[int, _Mention] = {}
    sheet: list[Fact] = []
    if dense:
        # Every conflicting value's wording first, so that no fact tells one of them.
        for key, value in enumerate(conflict_values):
            conflict_mentions[key] = model.conflict_mention(topic, gold, value, rng)
        banned = [gold_text.lower(), *(m.text.lower() for m in conflict_mentions.values())]
        other_names = _sibling_names(names, rng)
        sibling = {**_instantiate(raw_topic, other_names, rng), "short": (), "currency": topic["currency"]}
        sheet = fact_sheet(level, topic, sibling, model, gold, names, rng, banned=banned,
                           make_writer=lambda t: _Writer(level, t, rng, other_names["P"]))
    for kind, value in plan:
        if kind == "conflict":
            # One written form per conflicting value, so that its documents share one annotation.
            key = next(i for i, other in enumerate(conflict_values) if other is value)
            if key not in conflict_mentions:
                conflict_mentions[key] = model.conflict_mention(topic, gold, value, rng)
            mention = conflict_mentions[key]
            answer = mention.text
            if answer not in conflict_answers:
                conflict_answers.append(answer)
        elif kind == "paraphrase":
            mention = model.paraphrase(topic, gold, rng) or model.gold_mention(topic, gold)
            answer = gold_text
        elif kind == "gold":
            mention = model.gold_mention(topic, gold)
            answer = gold_text
        else:
            mention = None
            answer = gold_text
        if dense:
            text = writer.dense_document(mention, sheet, min_year=min_year)
        else:
            text = writer.document(mention, min_year=min_year)
        documents.append({"doc_id": f"d{len(documents) + 1}", "text": text, "answer": answer})

    prefix = ("gen" if conflicting else "gen_cons") + ("_dense" if dense else "")
    row = {
        "id": f"{prefix}_{level.lower()}_{index:06d}",
        "query": topic["query"],
        "documents": documents,
        "gold_answer": gold_text,
        "conflict_type": CONFLICT_TYPES[level],
        "conflict_level": level,
        "is_natural": False,
    }
    if conflicting and len({doc["answer"] for doc in documents}) < 2:
        return None
    return row if _check_row(row, conflict_answers, gold_text) else None


def _generate(level: str, index: int, seed: int, *, conflicting: bool, min_documents: int, max_documents: int,
              dense: bool = False):
    kind = ("conflict" if conflicting else "consistent") + ("-dense" if dense else "")
    for attempt in range(_MAX_ATTEMPTS):
        rng = _row_rng(seed, kind, level, index, attempt)
        row = _build_row(level, index, rng, conflicting=conflicting, min_documents=min_documents,
                         max_documents=max_documents, dense=dense)
        if row is not None:
            return row
    raise RuntimeError(f"could not generate a valid {kind} row {level}/{index} in {_MAX_ATTEMPTS} attempts")


def _check_bounds(min_documents: int, max_documents: int, minimum: int) -> None:
    if not minimum <= min_documents <= max_documents <= MAX_DOCUMENTS:
        raise ValueError(
            f"expected {minimum} <= min_documents <= max_documents <= {MAX_DOCUMENTS}, "
            f"got min_documents={min_documents}, max_documents={max_documents}."
        )


def generate_rows(
    n_per_level: int,
    *,
    seed: int = 42,
    min_documents: int = 2,
    max_documents: int = 8,
    dense: bool = False,
) -> list[dict[str, Any]]:
    """Generate conflicting LCR rows, ``n_per_level`` for each of L1..L4.

    Every row has at least one document that contradicts ``gold_answer`` (one or two distinct
    conflicting values, always fewer documents than those that state the gold answer, or one
    against one with two documents), and may hold consistent rewordings of the gold value and
    distractor documents. Rows are grouped by level (L1 first); ids are ``gen_l1_000000``...

    Args:
        n_per_level (`int`):
            Rows per level (>= 0).
        seed (`int`, *optional*, defaults to `42`):
            The seed; the same seed always gives the same rows, and row *i* of a level does
            not depend on ``n_per_level``.
        min_documents (`int`, *optional*, defaults to `2`):
            Fewest documents per row (>= 2).
        max_documents (`int`, *optional*, defaults to `8`):
            Most documents per row (<= 8, the loader's limit).
        dense (`bool`, *optional*, defaults to `False`):
            Write every document about the subject throughout, dense with other values of
            the asked type (:mod:`lcr_hub.data.generator.facts`): 50-170 words each, ids
            ``gen_dense_l1_000000``..., drawn from their own stream.

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.

    Raises:
        `ValueError`: If ``n_per_level`` is negative or the document bounds are invalid.
    """
    if n_per_level < 0:
        raise ValueError(f"n_per_level must be >= 0, got {n_per_level}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(level, index, seed, conflicting=True, min_documents=min_documents, max_documents=max_documents,
                  dense=dense)
        for level in _LEVEL_CODES
        for index in range(n_per_level)
    ]


def generate_consistent_rows(
    n: int,
    *,
    seed: int = 42,
    min_documents: int = 2,
    max_documents: int = 8,
    dense: bool = False,
) -> list[dict[str, Any]]:
    """Generate rows whose documents all agree: label-0 examples for conflict detection.

    The documents state the gold value verbatim, reword it (another date or number format, a
    unit conversion, an initial for a first name, a paraphrased claim) or do not mention it
    (distractors). Every document's ``answer`` equals ``gold_answer``, so
    [`~lcr_hub.data.row_has_conflict`] is false for every row and ``build_detection_dataset``
    would skip them: load them as negatives directly. Levels cycle L1, L2, L3, L4; ids are
    ``gen_cons_l1_000000``, ``gen_cons_l2_000001``... The level says which kind of value the
    documents agree on.

    Args:
        n (`int`):
            Number of rows (>= 0).
        seed (`int`, *optional*, defaults to `42`):
            The seed (independent of [`generate_rows`]'s stream for the same seed).
        min_documents (`int`, *optional*, defaults to `2`):
            Fewest documents per row (>= 2).
        max_documents (`int`, *optional*, defaults to `8`):
            Most documents per row (<= 8).
        dense (`bool`, *optional*, defaults to `False`):
            Dense documents, as in [`generate_rows`] (ids ``gen_cons_dense_l1_000000``...).

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(_LEVEL_CODES[index % len(_LEVEL_CODES)], index, seed, conflicting=False, min_documents=min_documents,
                  max_documents=max_documents, dense=dense)
        for index in range(n)
    ]


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write rows as JSON Lines, atomically (a temporary file in the same folder, then a rename).

    Args:
        rows (`Iterable[Mapping]`): The rows to write, one JSON object per line (UTF-8).
        path (`str` or `os.PathLike`): The output file; its parent folders are created.

    Returns:
        `Path`: the written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            for row in rows:
                tmp.write(json.dumps(row, ensure_ascii=False) + "\n")
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return path


def generator_inventory() -> dict[str, dict[str, int]]:
    """How many sentence frames and topics each level has (for reports and tests)."""
    return {
        level: {"frames": len(model.frames), "topics": len(model.topics)}
        for level, model in _LEVEL_MODELS.items()
    } | {
        "shared": {
            "context_sentences": len(GENERIC_CONTEXT) + sum(len(v) for v in CATEGORY_CONTEXT.values()),
            "aside_frames": len(_ASIDE_FRAMES),
            "aside_predicates": len(_ASIDE_PREDICATES),
            "sources": len(SOURCES),
            "places": len(PLACES),
            "first_names": len(FIRST_NAMES),
            "last_names": len(LAST_NAMES),
        }
    }
