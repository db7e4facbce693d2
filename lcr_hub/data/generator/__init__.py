"""A seeded generator of synthetic LCR rows with varied, natural-looking conflicts.

The released LCR benchmark pastes every conflict in with a handful of templates at the start
of an unrelated passage, always with five documents and two candidate answers, so a detector
can learn the templates instead of the conflict. This generator writes rows in the same JSONL
format (see [`~lcr_hub.data.load_lcr_dataset`]) with its own topics, vocabulary and sentence
frames:

- the value sits anywhere in a sentence (start, middle, end), inside a document of one to
  four sentences about the same subject, in many sentence shapes;
- a row holds 2 to 8 documents, among them *distractors* that talk about the subject without
  stating the value, and *consistent paraphrases* that restate the gold value in another
  format ("1,500 metres" for "1.5 km", "March 14, 1889" for "14 March 1889", "M. Kasdan" for
  "Mirela Kasdan", "Dr Kasdan" for "Dr Mirela Kasdan", "received approval" for "was approved"),
  and quantities hedged on either side of a conflict ("about 1,240 people");
- L4 subjects named by a later, shorter mention ("the trust" for "the Corriston Wildlife
  Trust"), again on either side of a conflict;
- one or two conflicting values per row, always a strict minority (with two documents, one
  against one);
- side facts with *other* numbers ("A booklet about ... runs to 48 pages.") that are not
  conflicts.

Per-document ``answer`` annotations follow the spec's twin rule: a conflicting document's
``answer`` is the exact substring that states its value, and it occurs exactly once in the
document, so [`~lcr_hub.data.make_consistent_twin`] replaces it by ``gold_answer`` and the
twin holds no conflicting value. Documents that agree with the gold answer (verbatim or
reworded) and distractors carry ``answer == gold_answer`` by convention; the twin rule never
touches them.

Everything is drawn from ``random.Random`` instances seeded from the ``seed`` argument and the
row's level and index (no global random state, no set iteration, no ``hash()``), so a seed
always gives the same rows, and row *i* does not depend on how many rows are requested.

Example:
    ```py
    >>> from lcr_hub.data.generator import generate_rows, generate_consistent_rows, write_jsonl
    >>> rows = generate_rows(100, seed=42)              # 400 conflicting rows, 100 per level
    >>> negatives = generate_consistent_rows(200)       # all documents agree (label-0 rows)
    >>> write_jsonl(rows, "data/generated/conflicts.jsonl")
    ```
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...constants import LEVELS, MAX_DOCUMENTS
from ..twins import make_consistent_twin
from .tables import (
    _ASIDE_ADJECTIVES,
    _ASIDE_DETAILS_MANY,
    _ASIDE_DETAILS_ONE,
    _ASIDE_FACILITIES,
    _ASIDE_FRAMES,
    _ASIDE_GROUPS,
    _ASIDE_JOBS,
    _ASIDE_PREDICATES,
    _ASIDE_THINGS,
    _ASIDE_TRANSPORT,
    _ASIDES,
    _COMMENTS,
    _COUNT_SIDE_FACTS,
    _CURRENCIES,
    _HEDGES,
    _HONORIFICS,
    _ISSUE_SIDE_FACTS,
    _L1_FRAMES,
    _L1_TOPICS,
    _L2_FRAMES,
    _L2_TOPICS,
    _L3_FRAMES,
    _L3_TOPICS,
    _L4_FRAMES,
    _L4_SHORT_SUBJECTS,
    _L4_TAILS,
    _L4_TOPICS,
    _ORG_KINDS,
    _PLACE_ASIDE_FRAMES,
    _REACTIONS,
    _SEASONS,
    _TITLE_ADJECTIVES,
    _TITLE_NOUNS,
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

__all__ = [
    "CONFLICT_TYPES",
    "generate_consistent_rows",
    "generate_rows",
    "generator_inventory",
    "write_jsonl",
]

#: The ``conflict_type`` written for each level.
CONFLICT_TYPES: dict[str, str] = {"L1": "temporal", "L2": "numerical", "L3": "entity", "L4": "semantic"}

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

_MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


# ---------------------------------------------------------------------------------------------
# Composed asides: sentences about some *other* detail of the subject or its place, built from
# parts so that a detector cannot learn a fixed list of "sentences without the value". They
# may name other people, organisations and places in other roles, other counts, and years
# later than every value of the row, never the question's value. Slots: {s}/{S} subject,
# {detail} a detail of it (singular or plural, with a predicate that agrees), {N} another
# person, {O} another organisation, {P} the row's place, {Q} another place, {adj}, {thing},
# {group}, {job}, {facility}, {transport}, {weekday}, {k} a count, {y} a year.
# ---------------------------------------------------------------------------------------------


def _possessive(noun_phrase: str) -> str:
    return noun_phrase + ("'" if noun_phrase.endswith("s") else "'s")


#: Topic categories whose subject is a place, building, body or team ("its garden", "parking near it").
_ASIDE_SUBJECT_CATEGORIES = frozenset({"structure", "organisation", "nature", "transport", "sport", "heritage", "route"})


def _aside(rng: random.Random, subject: str, place: str, *, min_year: int | None, subject_frames: bool) -> str | None:
    """One composed aside (see above), or None when its year would not be later than the row's values."""
    frame = rng.choice(_ASIDE_FRAMES if subject_frames else _PLACE_ASIDE_FRAMES)
    plural = rng.random() < 0.35
    detail = rng.choice(_ASIDE_DETAILS_MANY if plural else _ASIDE_DETAILS_ONE)
    predicate = rng.choice(_ASIDE_PREDICATES)[1 if plural else 0]
    if "{y}" in frame or "{y}" in predicate:
        lo = max(1975, (min_year or 0) + 5)
        if lo > 2023:
            return None
        year = str(rng.randint(lo, 2023))
    else:
        year = ""
    other_place = rng.choice([p for p in PLACES if p not in place and p not in subject])
    adjective = rng.choice(_ASIDE_ADJECTIVES)
    slots = {
        "predicate": predicate,
        "detail": detail,
        "Detail_of_s": f"The {detail} of {subject}",
        "s_poss": _possessive(subject),
        "S_poss": _cap(_possessive(subject)),
        "s": subject,
        "S": _cap(subject),
        "N": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "O": f"the {other_place} {rng.choice(_ORG_KINDS)}",
        "P": place,
        "Q": other_place,
        "adj": adjective,
        "a_adj": f"{_article(adjective)} {adjective}",
        "A_adj": f"{_cap(_article(adjective))} {adjective}",
        "m": str(rng.randint(5, 55)),
        "thing": rng.choice(_ASIDE_THINGS),
        "group": rng.choice(_ASIDE_GROUPS),
        "job": rng.choice(_ASIDE_JOBS),
        "facility": rng.choice(_ASIDE_FACILITIES),
        "transport": rng.choice(_ASIDE_TRANSPORT),
        "weekday": rng.choice(_WEEKDAYS),
        "k": str(rng.randint(12, 480)),
        "y": year,
    }
    text = frame
    for _ in range(2):  # the predicate brings its own slots
        text = _PLACEHOLDER.sub(lambda m: slots.get(m.group(1), m.group(0)), text)
    return text


#: The context category of every L4 topic (current affairs).
_L4_CATEGORY = "issue"

# ---------------------------------------------------------------------------------------------
# Small helpers.
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _spell(n: int) -> str:
    """English words for 0 <= n <= 999."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + ("" if rest == 0 else " and " + _spell(rest))


def _spell_year(year: int) -> str:
    if 2000 <= year <= 2009:
        return "two thousand" + ("" if year == 2000 else " and " + _spell(year - 2000))
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_spell(high)} hundred"
    if low < 10:
        return f"{_spell(high)} oh-{_spell(low)}"
    return f"{_spell(high)} {_spell(low)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _is_int(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


def _num(x: float, *, comma: bool = True) -> str:
    """A number as prose writes it: '1,250', '4.2', '0.75'."""
    if _is_int(x):
        return f"{round(x):,}" if comma else str(round(x))
    text = f"{x:,.2f}" if comma else f"{x:.2f}"
    return text.rstrip("0").rstrip(".")


def _round_sig(x: float, sig: int) -> float:
    if x <= 0:
        return x
    digits = sig - math.floor(math.log10(x)) - 1
    value = round(x, digits)
    return float(round(value)) if digits <= 0 else value


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _keys(frame: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(frame)]


def _slot_name(key: str) -> str:
    return key[:1].lower() + key[1:]


def _fill(template: str, slots: Mapping[str, str]) -> str:
    """Fill {slot} placeholders; a capitalised placeholder capitalises its value."""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        value = slots[_slot_name(key)]
        return _cap(value) if key[:1].isupper() else value

    return _cap(_PLACEHOLDER.sub(replace, template))


def _applicable(frame: str, slots: Mapping[str, Any]) -> bool:
    return all(slots.get(_slot_name(key)) is not None for key in _keys(frame))


_VALUE_SLOTS = ("v", "in_v", "vp")


def _value_frames(frames: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in frames if any(_slot_name(k) in _VALUE_SLOTS for k in _keys(f)))


def _title(rng: random.Random) -> str:
    adjective = rng.choice(_TITLE_ADJECTIVES)
    noun = rng.choice(_TITLE_NOUNS)
    pattern = rng.randrange(6)
    if pattern == 0:
        return f"The {adjective} {noun}"
    if pattern == 1:
        return f"{adjective} {noun}"
    if pattern == 2:
        return f"The {noun} at {rng.choice(PLACES)}"
    if pattern == 3:
        return f"{_article(noun).title()} {noun} for {rng.choice(FIRST_NAMES)}"
    if pattern == 4:
        other = rng.choice([n for n in _TITLE_NOUNS if n != noun])
        return f"The {noun} and the {other}"
    return f"{noun}s of {rng.choice(PLACES)}"


# ---------------------------------------------------------------------------------------------
# Mentions: how a value is written in one sentence.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    """One written form of a value: frame slots and the substring that states it."""

    slots: Mapping[str, str]
    text: str  # the substring of the sentence that states the value


def _mention(v: str | None = None, **extra: str | None) -> _Mention:
    """A mention; ``whole=`` holds a complete sentence that states the value on its own."""
    slots = {"v": v, **extra}
    text = v if v is not None else (extra.get("in_v") or extra.get("whole") or "")
    return _Mention(slots={k: val for k, val in slots.items() if val is not None}, text=text)


class _Level:
    """A level's value model: gold values, conflicting values and consistent rewordings."""

    level: str
    frames: tuple[str, ...]
    topics: tuple[dict[str, Any], ...]

    def sample_gold(self, topic: dict[str, Any], rng: random.Random) -> Any:
        raise NotImplementedError

    def conflicts(self, topic: dict[str, Any], gold: Any, rng: random.Random) -> Any:
        """One value that conflicts with ``gold`` (or None when this draw failed)."""
        raise NotImplementedError

    def gold_mention(self, topic: dict[str, Any], gold: Any) -> _Mention:
        raise NotImplementedError

    def conflict_mention(self, topic: dict[str, Any], gold: Any, value: Any, rng: random.Random) -> _Mention:
        """A mention whose ``text`` is the exact answer annotation of the conflicting document."""
        raise NotImplementedError

    def paraphrase(self, topic: dict[str, Any], gold: Any, rng: random.Random) -> _Mention | None:
        """A mention of the gold value in another wording, or None when none exists."""
        raise NotImplementedError

    def gold_answer(self, topic: dict[str, Any], gold: Any) -> str:
        return self.gold_mention(topic, gold).text

    def same(self, a: Any, b: Any) -> bool:
        return a == b


# --- L1: dates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Date:
    year: int
    month: int  # 1..12
    day: int  # 1..28
    fmt: str  # "year", "month_year", "dmy" or "mdy"


def _date_text(d: _Date, fmt: str | None = None) -> str:
    fmt = fmt or d.fmt
    month = _MONTHS[d.month - 1]
    if fmt == "year":
        return str(d.year)
    if fmt == "month_year":
        return f"{month} {d.year}"
    if fmt == "dmy":
        return f"{d.day} {month} {d.year}"
    return f"{month} {d.day}, {d.year}"


_UNIT_OF_FORMAT = {"year": "year", "month_year": "month", "dmy": "day", "mdy": "day"}
_PREP_OF_FORMAT = {"year": "in", "month_year": "in", "dmy": "on", "mdy": "on"}


class _TemporalLevel(_Level):
    level = "L1"
    frames = _value_frames(_L1_FRAMES)
    topics = _L1_TOPICS

    def sample_gold(self, topic, rng):
        lo, hi = topic["era"]
        fmt = rng.choices(("year", "month_year", "dmy", "mdy"), weights=(45, 20, 20, 15))[0]
        return _Date(rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28), fmt)

    def gold_mention(self, topic, gold):
        text = _date_text(gold)
        return _mention(v=text, in_v=f"{_PREP_OF_FORMAT[gold.fmt]} {text}", unit=_UNIT_OF_FORMAT[gold.fmt])

    def _differs(self, gold: _Date, other: _Date) -> bool:
        """Whether ``other`` (in its own format) contradicts ``gold`` at the coarser of both."""
        if gold.year != other.year:
            return True
        fine = ("dmy", "mdy")
        if gold.fmt == "year" or other.fmt == "year":
            return False
        if gold.month != other.month:
            return True
        if gold.fmt in fine and other.fmt in fine:
            return gold.day != other.day
        return False

    def conflicts(self, topic, gold, rng):
        allowed = {
            "year": ("year", "month_year", "dmy", "mdy"),
            "month_year": ("year", "month_year", "dmy"),
            "dmy": ("dmy", "mdy"),
            "mdy": ("dmy", "mdy"),
        }[gold.fmt]
        fmt = gold.fmt if rng.random() < 0.65 else rng.choice(allowed)
        year, month, day = gold.year, gold.month, gold.day
        # Near misses (another day or month of the same year) are weighted up: they are how
        # dates typically disagree in real text (a misread or mistyped day), and the hardest case.
        strategy = rng.choices(("shift", "swap", "month", "day"), weights=(40, 15, 20, 25))[0]
        if strategy == "swap":
            digits = str(year)
            swapped = digits[:2] + digits[3] + digits[2]
            year = int(swapped) if swapped != digits and int(swapped) <= 2024 else year + rng.choice((-1, 1))
        elif strategy == "month" and gold.fmt != "year" and fmt != "year":
            month = rng.choice([m for m in range(1, 13) if m != gold.month])
        elif strategy == "day" and gold.fmt in ("dmy", "mdy"):
            day = rng.choice([d for d in range(1, 29) if d != gold.day])
        else:
            year += rng.choice((-1, 1)) * rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 10, rng.randint(6, 30)))
        if year > 2024:
            year = gold.year - rng.randint(1, 12)
        if fmt == "year" and year == gold.year:
            year = gold.year + rng.choice((-2, -1, 1, 2))
        other = _Date(year, month, day, fmt)
        if other.year > 2024 or not self._differs(gold, other):
            return None
        return other

    def conflict_mention(self, topic, gold, value, rng):
        text = _date_text(value)
        # The annotated answer is the part the twin replaces by the gold text: it must keep the
        # sentence grammatical ("on 14 May 1893" -> "on 14 May 1889" when gold is a year).
        if gold.fmt == "year":
            answer = str(value.year)
        elif gold.fmt == "month_year":
            answer = str(value.year) if value.fmt == "year" else f"{_MONTHS[value.month - 1]} {value.year}"
        else:
            answer = text
        mention = _mention(v=text, in_v=f"{_PREP_OF_FORMAT[value.fmt]} {text}", unit=_UNIT_OF_FORMAT[value.fmt])
        return _Mention(slots=mention.slots, text=answer)

    def paraphrase(self, topic, gold, rng):
        month = _MONTHS[gold.month - 1]
        y = gold.year
        options: list[_Mention] = []
        if gold.fmt == "year":
            options += [
                _mention(v=f"{month} {y}", in_v=f"in {month} {y}", unit="month"),
                _mention(v=f"{gold.day} {month} {y}", in_v=f"on {gold.day} {month} {y}", unit="day"),
                _mention(in_v=f"in the {rng.choice(_SEASONS)} of {y}"),
                _mention(in_v=f"{rng.choice(('early', 'late'))} in {y}"),
                _mention(v=_spell_year(y), in_v=f"in {_spell_year(y)}", unit="year"),
                _mention(in_v=f"in the year {y}"),
            ]
        elif gold.fmt == "month_year":
            other_day = rng.randint(1, 28)
            options += [
                _mention(v=str(y), in_v=f"in {y}", unit="year"),
                _mention(v=f"{other_day} {month} {y}", in_v=f"on {other_day} {month} {y}", unit="day"),
                _mention(v=f"{month} {other_day}, {y}", in_v=f"on {month} {other_day}, {y}", unit="day"),
                _mention(in_v=f"in {month} of {y}"),
                _mention(in_v=f"{rng.choice(('early', 'late'))} in {month} {y}"),
                _mention(in_v=f"in {month} {_spell_year(y)}"),
            ]
        else:
            other = "mdy" if gold.fmt == "dmy" else "dmy"
            text = _date_text(gold, other)
            options += [
                _mention(v=text, in_v=f"on {text}", unit="day"),
                _mention(v=f"the {_ordinal(gold.day)} of {month} {y}", in_v=f"on the {_ordinal(gold.day)} of {month} {y}",
                         unit="day"),
                _mention(v=f"{month} {y}", in_v=f"in {month} {y}", unit="month"),
                _mention(v=str(y), in_v=f"in {y}", unit="year"),
                _mention(in_v=f"on the {_ordinal(gold.day)} of {month}, {y}"),
            ]
        return rng.choice(options)

    def same(self, a, b):
        return _date_text(a) == _date_text(b) and a.fmt == b.fmt


# --- L2: quantities -------------------------------------------------------------------------

# Families whose number, written in another unit, is a different quantity.
_UNIT_SWAP = {"km": "mi", "m": "ft", "mm": "in", "ha": "acre", "km2": "sqmi", "kmh": "mph"}
_STYLES = {
    "km": ("abbr", "word", "metres", "spelled"),
    "mi": ("word",),
    "m": ("abbr", "word", "plain", "km_abbr", "km_word", "spelled"),
    "ft": ("word",),
    "mm": ("abbr", "word", "plain"),
    "in": ("word",),
    "ha": ("word", "abbr", "plain", "km2"),
    "acre": ("word",),
    "km2": ("word", "abbr", "ha"),
    "sqmi": ("word",),
    "kg": ("word", "abbr", "tonnes", "plain"),
    "kmh": ("abbr", "word"),
    "mph": ("abbr", "word"),
    "min": ("word", "abbr", "hours", "spelled"),
    "mw": ("abbr", "word"),
    "count": ("comma", "plain", "spelled", "short"),
    "money": ("sym", "word", "full", "short"),
    "pct": ("sym", "percent", "per_cent", "spelled"),
}


@dataclass(frozen=True)
class _Quantity:
    value: float
    family: str
    style: str


#: Metric families written with a symbol ("1,150 mm"), the unit's name ("1,150 millimetres") or,
#: from 1000 up, the name without a thousands comma ("1150 millimetres"): symbol and name.
_METRIC_UNITS = {"m": ("m", "metres"), "mm": ("mm", "millimetres"), "ha": ("ha", "hectares"),
                 "kg": ("kg", "kilograms")}


def _render_quantity(q: _Quantity, topic: Mapping[str, Any], currency: tuple[str, str]) -> str | None:
    v, family, style = q.value, q.family, q.style
    if family in _METRIC_UNITS:
        symbol, name = _METRIC_UNITS[family]
        if style == "abbr":
            return f"{_num(v)} {symbol}"
        if style == "word":
            return f"{_num(v)} {name}"
        if style == "plain":
            return f"{_num(v, comma=False)} {name}" if v >= 1000 and _is_int(v) else None
    if family == "km":
        if style == "abbr":
            return f"{_num(v)} km"
        if style == "word":
            return f"{_num(v)} kilometres" if v != 1 else "1 kilometre"
        if style == "metres" and v < 10 and _is_int(v * 1000):
            return f"{_num(v * 1000)} metres"
        if style == "spelled" and _is_int(v) and 2 <= v <= 20:
            return f"{_spell(round(v))} kilometres"
        return None
    if family == "mi":
        return f"{_num(v)} miles"
    if family == "m":
        if style in ("km_abbr", "km_word") and v >= 1000 and _is_int(v / 100):
            return f"{_num(v / 1000)} " + ("km" if style == "km_abbr" else "kilometres")
        if style == "spelled" and _is_int(v) and 2 <= v <= 99:
            return f"{_spell(round(v))} metres"
        return None
    if family == "ft":
        return f"{_num(v)} feet"
    if family == "in":
        return f"{_num(v)} inches"
    if family == "ha":
        if style == "km2" and _is_int(v / 10) and v >= 100:
            return f"{_num(v / 100)} square kilometres"
        return None
    if family == "acre":
        return f"{_num(v)} acres"
    if family == "km2":
        if style == "word":
            return f"{_num(v)} square kilometres"
        if style == "abbr":
            return f"{_num(v)} sq km"
        if style == "ha" and _is_int(v * 100):
            return f"{_num(v * 100)} hectares"
        return None
    if family == "sqmi":
        return f"{_num(v)} square miles"
    if family == "kg":
        if style == "tonnes" and v >= 1000 and _is_int(v / 100):
            return f"{_num(v / 1000)} tonnes"
        return None
    if family in ("kmh", "mph"):
        if style == "abbr":
            return f"{_num(v)} " + ("km/h" if family == "kmh" else "mph")
        return f"{_num(v)} " + ("kilometres per hour" if family == "kmh" else "miles per hour")
    if family == "min":
        n = round(v)
        if style == "word":
            return f"{n} minutes"
        if style == "abbr":
            return f"{n} min"
        if style == "hours":
            if n == 30:
                return "half an hour"
            if n == 60:
                return "one hour"
            if n == 90:
                return "an hour and a half"
            if n % 60 == 0:
                return f"{_spell(n // 60)} hours"
            return None
        if style == "spelled" and (n <= 20 or n % 5 == 0) and n < 100:
            return f"{_spell(n)} minutes"
        return None
    if family == "mw":
        return f"{_num(v)} " + ("MW" if style == "abbr" else "megawatts")
    if family == "count":
        noun = topic["noun"]
        n = round(v)
        if style == "comma":
            return f"{n:,} {noun}"
        if style == "plain" and n >= 1000:
            return f"{n} {noun}"
        if style == "spelled" and 2 <= n <= 999:
            return f"{_spell(n)} {noun}"
        if style == "short":
            if n >= 1_000_000 and n % 100_000 == 0:
                return f"{_num(n / 1_000_000)} million {noun}"
            if 10_000 <= n < 100_000 and n % 1000 == 0:
                return f"{n // 1000} thousand {noun}"
        return None
    if family == "money":
        symbol, word = currency
        if v >= 1e9:
            amount, scale = _num(v / 1e9), "billion"
        elif v >= 1e6:
            amount, scale = _num(v / 1e6), "million"
        else:
            amount, scale = _num(v), ""
        if style == "sym":
            return f"{symbol}{amount}" + (f" {scale}" if scale else "")
        if style == "word":
            return f"{amount} " + (f"{scale} " if scale else "") + word
        if style == "full" and scale == "million" and _is_int(v):
            return f"{symbol}{_num(v)}"
        if style == "short" and scale:
            return f"{symbol}{amount}" + ("m" if scale == "million" else "bn")
        return None
    if family == "pct":
        if style == "sym":
            return f"{_num(v)}%"
        if style == "percent":
            return f"{_num(v)} percent"
        if style == "per_cent":
            return f"{_num(v)} per cent"
        if style == "spelled" and _is_int(v) and 2 <= v <= 99:
            return f"{_spell(round(v))} percent"
        return None
    raise ValueError(f"unknown quantity family {family!r}")


class _NumericalLevel(_Level):
    level = "L2"
    frames = _value_frames(_L2_FRAMES)
    topics = _L2_TOPICS

    # The row's currency is drawn once per row and kept on the topic copy.
    def _styles(self, topic: Mapping[str, Any], family: str) -> tuple[str, ...]:
        if family == topic["kind"] and topic.get("styles"):
            return tuple(topic["styles"])
        return _STYLES[family]

    def _round(self, topic: Mapping[str, Any], x: float, rng: random.Random) -> float:
        kind = topic["kind"]
        if kind == "pct":
            if topic.get("decimals") and rng.random() < 0.6:
                return round(x, 1)
            return float(max(1, round(x)))
        if topic.get("step"):
            step = topic["step"]
            return float(max(step, step * round(x / step)))
        if kind in ("km", "km2") and x < 10:
            return round(x, 1) if x >= 1 else round(x, 2)
        if kind == "min":
            return float(max(5, 5 * round(x / 5)))
        value = _round_sig(x, rng.choice((2, 2, 3)))
        if kind not in ("km", "km2"):
            value = float(round(value))
        return max(value, 1.0)

    def _render(self, topic, q: _Quantity) -> str | None:
        return _render_quantity(q, topic, topic["currency"])

    def _pick_style(self, topic, value: float, family: str, rng: random.Random, prefer: str | None = None):
        styles = self._styles(topic, family)
        if prefer in styles and self._render(topic, _Quantity(value, family, prefer)) is not None:
            return prefer
        usable = [s for s in styles if self._render(topic, _Quantity(value, family, s)) is not None]
        return rng.choice(usable) if usable else None

    def sample_gold(self, topic, rng):
        value = self._round(topic, _log_uniform(rng, topic["lo"], topic["hi"]), rng)
        styles = [s for s in self._styles(topic, topic["kind"]) if s != "spelled"]
        usable = [s for s in styles if self._render(topic, _Quantity(value, topic["kind"], s)) is not None]
        return _Quantity(value, topic["kind"], rng.choice(usable))

    def gold_mention(self, topic, gold):
        return _mention(v=self._render(topic, gold))

    def conflicts(self, topic, gold, rng):
        family = gold.family
        value = gold.value
        # Transposed digits (3.6 / 6.3) are a typical real-world disagreement and hard to see.
        strategy = rng.choices(("shift", "swap", "unit", "scale"), weights=(45, 25, 15, 15))[0]
        if strategy == "unit" and family in _UNIT_SWAP:
            family = _UNIT_SWAP[family]
        elif strategy == "swap":
            digits = _num(value, comma=False)
            positions = [i for i in range(len(digits) - 1) if digits[i].isdigit() and digits[i + 1].isdigit()
                         and digits[i] != digits[i + 1]]
            if not positions:
                return None
            i = rng.choice(positions)
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
            if swapped.startswith("0"):
                return None
            value = float(swapped)
        elif strategy == "scale" and family == "money":
            value = value * 1000 if value < 1e8 and rng.random() < 0.5 else value / 1000
            if value < 10:
                return None
        elif strategy == "scale" and family == "count":
            value = value * rng.choice((2, 10)) if rng.random() < 0.5 else value / rng.choice((2, 10))
            value = float(round(value))
        elif topic["kind"] == "pct":
            value = value + rng.choice((-1, 1)) * rng.choice((1, 2, 3, 5, 8, 10, 15, 20))
            if not 0.5 <= value <= 99.5:
                value = gold.value + rng.choice((2, 5)) * (1 if gold.value < 50 else -1)
            value = round(value, 1)
        else:
            factor = 1 + rng.choice((-1, 1)) * rng.uniform(0.06, 0.6)
            value = self._round(topic, value * factor, rng)
        if value <= 0 or (family == gold.family and abs(value - gold.value) < 1e-6):
            return None
        if family == "pct" and value >= 100:
            return None
        prefer = gold.style if rng.random() < 0.6 else None
        style = self._pick_style(topic, value, family, rng, prefer)
        if style is None:
            return None
        return _Quantity(value, family, style)

    def conflict_mention(self, topic, gold, value, rng):
        return _mention(v=self._render(topic, value))

    def paraphrase(self, topic, gold, rng):
        gold_text = self._render(topic, gold)
        options = []
        for style in self._styles(topic, gold.family):
            text = self._render(topic, _Quantity(gold.value, gold.family, style))
            if text is not None and text != gold_text:
                options.append(text)
        return _mention(v=rng.choice(options)) if options else None

    def same(self, a, b):
        return a.family == b.family and abs(a.value - b.value) < 1e-6


# --- L3: entities ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entity:
    kind: str
    first: str = ""
    last: str = ""
    base: str = ""
    suffix: str = ""
    name: str = ""  # places and titles
    honorific: str = ""  # people: "Dr", "Professor", ... or none

    @property
    def text(self) -> str:
        if self.kind == "person":
            return f"{self.honorific} {self.first} {self.last}".lstrip()
        if self.kind == "org":
            return f"{self.base} {self.suffix}"
        return self.name


#: Share of people drawn with a title (``_HONORIFICS`` in tables/names.json); a document may
#: drop the first name or the title.
_HONORIFIC_SHARE = 0.2


class _EntityLevel(_Level):
    level = "L3"
    frames = _value_frames(_L3_FRAMES)
    topics = _L3_TOPICS

    def _draw(self, topic, rng) -> _Entity:
        kind = topic["kind"]
        if kind == "person":
            honorific = rng.choice(_HONORIFICS) if rng.random() < _HONORIFIC_SHARE else ""
            entity = _Entity("person", first=rng.choice(FIRST_NAMES), last=rng.choice(LAST_NAMES), honorific=honorific)
        elif kind == "org":
            base = rng.choice(PLACES) if rng.random() < 0.6 else rng.choice(LAST_NAMES)
            entity = _Entity("org", base=base, suffix=rng.choice(topic["suffixes"]))
        elif kind == "place":
            entity = _Entity("place", name=rng.choice(PLACES))
        else:
            entity = _Entity("title", name=_title(rng))
        return entity

    def sample_gold(self, topic, rng):
        return self._draw(topic, rng)

    def gold_mention(self, topic, gold):
        return _mention(v=gold.text)

    def conflicts(self, topic, gold, rng):
        other = self._draw(topic, rng)
        if other.kind == "person" and other.last == gold.last:
            return None
        if other.kind == "org" and other.base == gold.base:
            return None
        if other.text == gold.text:
            return None
        return other

    def conflict_mention(self, topic, gold, value, rng):
        if value.kind == "person" and rng.random() < 0.15:
            return _mention(v=f"{value.honorific} {value.first[0]}. {value.last}".lstrip())
        return _mention(v=value.text)

    def paraphrase(self, topic, gold, rng):
        if gold.kind == "person":
            middle = rng.choice("ABCDEFGHJKLMNPRSTW")
            options = [f"{gold.first[0]}. {gold.last}", f"{gold.first} {middle}. {gold.last}", gold.last]
            if gold.honorific:
                # "Dr Hale" for "Dr Mary Hale", and the name without the title.
                options += [f"{gold.honorific} {gold.last}", f"{gold.first} {gold.last}"]
        elif gold.kind == "org":
            options = [gold.base]
            if topic.get("company"):
                options.append(f"{gold.base} {gold.suffix} Ltd")
            elif gold.suffix == "University":
                options.append(f"the University of {gold.base}")
            else:
                options.append(f"the {gold.base} {gold.suffix}")
        elif gold.kind == "place":
            options = [f"the town of {gold.name}", f"the small town of {gold.name}"]
        else:
            options = [f'"{gold.name}"']
            if gold.name.startswith("The "):
                options.append(gold.name[4:])
        return _mention(v=rng.choice(options))

    def same(self, a, b):
        return a.text == b.text


# --- L4: claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    side: str  # "a" or "b"
    text: str


class _SemanticLevel(_Level):
    level = "L4"
    frames = _value_frames(_L4_FRAMES)
    topics = _L4_TOPICS

    def sample_gold(self, topic, rng):
        side = rng.choice(("a", "b"))
        return _Claim(side, rng.choice(topic[side]))

    def gold_mention(self, topic, gold):
        return _mention(v=gold.text)

    def conflicts(self, topic, gold, rng):
        other = "b" if gold.side == "a" else "a"
        pool = list(topic[other]) + list(topic["x" + gold.side])
        return _Claim("x", rng.choice(pool))

    def conflict_mention(self, topic, gold, value, rng):
        # The other side's whole-sentence restatements state conflicts too (otherwise a sentence
        # with its own construction would only ever agree with the gold answer). The twin rule
        # then replaces the whole sentence by the gold claim.
        other = "b" if gold.side == "a" else "a"
        restated = topic.get("r" + other)
        if restated and value.text in topic[other] and rng.random() < 0.3:
            return _mention(whole=rng.choice(restated))
        return _mention(v=value.text)

    def paraphrase(self, topic, gold, rng):
        # Half the time (where the topic has them) a whole sentence that restates the claim with
        # another subject or construction; otherwise another verb phrase for the same subject.
        restated = topic.get("r" + gold.side)
        if restated and rng.random() < 0.5:
            return _mention(whole=rng.choice(restated))
        options = [claim for claim in topic[gold.side] if claim != gold.text]
        return _mention(v=rng.choice(options)) if options else None

    def same(self, a, b):
        return a.text == b.text


_LEVEL_MODELS: dict[str, _Level] = {
    "L1": _TemporalLevel(),
    "L2": _NumericalLevel(),
    "L3": _EntityLevel(),
    "L4": _SemanticLevel(),
}

# ---------------------------------------------------------------------------------------------
# Rows.
# ---------------------------------------------------------------------------------------------


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
) -> dict[str, Any] | None:
    model = _LEVEL_MODELS[level]
    names = _row_names(rng)
    topic = _instantiate(rng.choice(model.topics), names, rng)
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
        text = writer.document(mention, min_year=min_year)
        documents.append({"doc_id": f"d{len(documents) + 1}", "text": text, "answer": answer})

    prefix = "gen" if conflicting else "gen_cons"
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


def _generate(level: str, index: int, seed: int, *, conflicting: bool, min_documents: int, max_documents: int):
    kind = "conflict" if conflicting else "consistent"
    for attempt in range(_MAX_ATTEMPTS):
        rng = _row_rng(seed, kind, level, index, attempt)
        row = _build_row(level, index, rng, conflicting=conflicting, min_documents=min_documents,
                         max_documents=max_documents)
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

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.

    Raises:
        `ValueError`: If ``n_per_level`` is negative or the document bounds are invalid.
    """
    if n_per_level < 0:
        raise ValueError(f"n_per_level must be >= 0, got {n_per_level}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(level, index, seed, conflicting=True, min_documents=min_documents, max_documents=max_documents)
        for level in LEVELS
        for index in range(n_per_level)
    ]


def generate_consistent_rows(
    n: int,
    *,
    seed: int = 42,
    min_documents: int = 2,
    max_documents: int = 8,
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

    Returns:
        `list[dict]`: rows in the LCR JSONL format with ``is_natural`` false.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}.")
    _check_bounds(min_documents, max_documents, 2)
    return [
        _generate(LEVELS[index % len(LEVELS)], index, seed, conflicting=False, min_documents=min_documents,
                  max_documents=max_documents)
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
