"""Dense passages: a row's documents written about its subject throughout, dense with other values.

A retrieved passage about a bridge gives its opening year among the year it was listed, the
year of a fire and the name of the engineer; a passage about an organist names the people she
worked with and the years she moved. A detector that only ever saw the asked value alone in its
sentence, among sentences about other subjects, learns "a year differs" rather than "the asked
year differs" and is at chance on such passages (docs/training.md, "Status of the detector").

:func:`fact_sheet` draws, once per row, the facts its documents tell besides the asked value:

- *same-type* facts: other dates of the subject in an L1 row (near the asked year), other
  quantities in an L2 row, other people, organisations and places in an L3 row, other claims
  (with negations) in an L4 row;
- a *sibling*: the asked relation for another subject ("the Brennock Viaduct opened in 1881"
  in a row about the Corriston Viaduct), with its own value, so that the subject decides, not
  the relation;
- facts of the other types, and, in a share of rows, one fact whose value differs between the
  documents that tell it (a disagreement on something the question does not ask, which is no
  conflict).

Every fact has several wordings: each document words it its own way. The facts' values never
equal the asked value or a conflicting one (the row is drawn again when a text collides, see
``rows._check_row``). Seeded by the row's ``random.Random`` only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .base import _Level
from .dates import _Date, _TemporalLevel
from .quantities import _STYLES, _Quantity, _render_quantity
from .tables import _FACT_GROUPS, _HONORIFICS, _ORG_KINDS, _WEEKDAYS, FIRST_NAMES, LAST_NAMES, PLACES
from .text import _fill, _log_uniform, _round_sig

__all__ = ["Fact", "fact_sheet"]

#: The value types of each level's same-type facts (quantity families for L2).
_SAME_TYPES: dict[str, frozenset[str]] = {
    "L1": frozenset({"date"}),
    "L2": frozenset({"count", "money", "m", "km", "ha", "pct", "min"}),
    "L3": frozenset({"person", "org", "place"}),
    "L4": frozenset({"none"}),
}
#: Offsets (in years) of the other dates of an L1 row from its asked year.
_YEAR_OFFSETS = (1, 2, 3, 4, 5, 7, 9, 12, 15, 20, 25, 30, 40, 55)
#: Renders the dates of date facts (as the asked dates are rendered).
_DATES = _TemporalLevel()
#: Share of rows in which one fact's value differs between the documents that tell it.
_SIDE_DISAGREEMENT_SHARE = 0.25


@dataclass(frozen=True)
class Fact:
    """One fact of a row's sheet: ``render(rng)`` words it (a new wording per call).

    ``key`` is shared by the two values of a fact the documents disagree on, so that one
    document never tells both.
    """

    key: int
    render: Callable[[random.Random], str]


def _date_value(level: str, gold: Any, rng: random.Random) -> _Date:
    if level == "L1":
        year = gold.year + rng.choice((-1, 1)) * rng.choice(_YEAR_OFFSETS)
        if year > 2024:
            year = gold.year - rng.choice(_YEAR_OFFSETS)
        fmt = gold.fmt if rng.random() < 0.5 else rng.choice(("year", "month_year", "dmy", "mdy"))
    else:
        year = rng.randint(1850, 2023)
        fmt = rng.choices(("year", "month_year", "dmy", "mdy"), weights=(55, 20, 15, 10))[0]
    return _Date(year, rng.randint(1, 12), rng.randint(1, 28), fmt)


def _quantity_text(group: Mapping[str, Any], currency: tuple[str, str], rng: random.Random) -> str:
    family = group["v"]
    x = _log_uniform(rng, group["lo"], group["hi"])
    if family == "pct":
        value = round(x, 1) if rng.random() < 0.3 else float(max(1, round(x)))
    elif family == "min":
        value = float(max(5, 5 * round(x / 5)))
    elif family == "km":
        value = round(x, 1) if x < 10 else float(round(x))
    else:
        value = float(round(_round_sig(x, rng.choice((2, 3)))))
    topic = {"noun": group.get("noun", "")}
    texts = [_render_quantity(_Quantity(value, family, style), topic, currency) for style in _STYLES[family]]
    # The first style of every family in facts.json ("abbr", "comma", "sym", "word") renders any value.
    return rng.choice([t for t in texts if t is not None])


def _value_slots(group: Mapping[str, Any], level: str, gold: Any, currency: tuple[str, str],
                 rng: random.Random) -> dict[str, str]:
    kind = group["v"]
    if kind == "date":
        mention = _DATES.gold_mention({}, _date_value(level, gold, rng))
        return {"v": mention.slots["v"], "in_v": mention.slots["in_v"]}
    if kind == "person":
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if rng.random() < 0.15:
            name = f"{rng.choice(_HONORIFICS)} {name}"
        return {"v": name}
    if kind == "org":
        return {"v": f"the {rng.choice(PLACES)} {rng.choice(_ORG_KINDS)}"}
    if kind == "place":
        return {"v": rng.choice(PLACES)}
    if kind == "none":
        return {}
    return {"v": _quantity_text(group, currency, rng)}


def _fits(group: Mapping[str, Any], category: str | None) -> bool:
    cats = group.get("cats")
    return cats is None or (category is not None and category in cats)


def fact_sheet(
    level: str,
    topic: Mapping[str, Any],
    sibling: Mapping[str, Any] | None,
    model: _Level,
    gold: Any,
    names: Mapping[str, str],
    rng: random.Random,
    *,
    make_writer: Callable[[Mapping[str, Any]], Any],
    banned: Sequence[str],
) -> list[Fact]:
    """The facts a row's documents tell besides the asked value (see the module docstring).

    Args:
        level: The row's level (``"L1"``..``"L4"``).
        topic: The row's topic, names filled in.
        sibling: The same topic for another subject (names filled in), or None.
        model: The level's value model.
        gold: The row's gold value.
        names: The row's names (``P``, ``P2``, ``N``...).
        rng: The row's random generator.
        make_writer: Builds a sentence writer (``rows._Writer``) for a topic.
        banned: Texts no fact may contain, lower-cased (the gold answer, conflicting answers).

    Returns:
        The facts, in the order drawn.
    """
    category = topic.get("cat")
    same = _SAME_TYPES[level]
    fitting = [g for g in _FACT_GROUPS if _fits(g, category)]
    same_groups = [g for g in fitting if g["v"] in same]
    other_groups = [g for g in fitting if g["v"] not in same]
    chosen = rng.sample(same_groups, min(len(same_groups), rng.randint(2, 4)))
    chosen += rng.sample(other_groups, min(len(other_groups), rng.randint(1, 3)))
    subject = topic["s"]
    slots_base = {"s": subject, "p": names["P"], "q": names["P2"]}
    currency = topic["currency"]

    def frames_fact(key: int, group: Mapping[str, Any], values: Mapping[str, str]) -> Fact | None:
        slots = {**slots_base, **values}
        if any(b in str(value).lower() for value in values.values() for b in banned):
            return None

        def render(r: random.Random) -> str:
            return _fill(r.choice(group["frames"]), {**slots, "weekday": r.choice(_WEEKDAYS)})

        return Fact(key, render)

    facts: list[Fact] = []
    disagree = rng.random() < _SIDE_DISAGREEMENT_SHARE
    for key, group in enumerate(chosen):
        values = _value_slots(group, level, gold, currency, rng)
        fact = frames_fact(key, group, values)
        if fact is not None:
            facts.append(fact)
        if disagree and values and fact is not None:
            disagree = False
            other = frames_fact(key, group, _value_slots(group, level, gold, currency, rng))
            if other is not None:
                facts.append(other)
    if sibling is not None and sibling["s"] != subject:
        writer = make_writer(sibling)
        value = model.sample_gold(sibling, rng)
        mention = model.gold_mention(sibling, value)
        if not any(b in mention.text.lower() for b in banned):
            facts.append(Fact(len(chosen), lambda r: writer.value_sentence(mention)))
    return facts
