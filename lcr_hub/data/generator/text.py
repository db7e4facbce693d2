"""Text helpers of the generator: filling ``{slot}`` frames, spelling and formatting numbers,
invented titles and composed asides.

Example:
    ```py
    >>> from lcr_hub.data.generator.text import _fill, _num, _spell_year
    >>> _fill("{S} opened {in_v}.", {"s": "the old mill", "in_v": "in 1911"})
    'The old mill opened in 1911.'
    >>> _num(1250.0), _num(4.2), _spell_year(1906)
    ('1,250', '4.2', 'nineteen oh-six')

    ```
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

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
    _ORG_KINDS,
    _PLACE_ASIDE_FRAMES,
    _TITLE_ADJECTIVES,
    _TITLE_NOUNS,
    _WEEKDAYS,
    FIRST_NAMES,
    LAST_NAMES,
    PLACES,
)

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
