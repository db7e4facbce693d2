"""The generator's vocabulary, sentence frames and topics, read from the JSON files in ``tables/``.

Each file holds one group of tables as a JSON object from table name to table:

- ``names.json``: invented places, people, titles and medicines (none contains a digit) and
  the honorifics some people carry;
- ``sources.json``: written sources ("In {doc}, ...") and bodies that speak ("{body} said ...");
- ``wording.json``: hedges, L4 tails, seasons, weekdays and currencies;
- ``context.json``: context sentences (no value, no digit) and side facts with other numbers;
- ``asides.json``: the parts of composed asides (see :mod:`lcr_hub.data.generator.text`);
- ``frames.json``: the sentence frames of each level, asides, comments and reactions;
- ``topics_l1.json`` ... ``topics_l4.json``: each level's topics (and the L4 subjects' shorter
  later mentions);
- ``facts.json``: facts about a row's subject with values of every type (dates, quantities,
  names, claims without a value), for dense passages (:mod:`lcr_hub.data.generator.facts`).

JSON lists are read back as tuples (the generator fills the placeholders of a topic's tuples and
relies on tables being immutable sequences). The order of every list matters: seeded draws pick
by position, so reordering, adding or removing an entry changes the rows a seed gives (a test
pins the digest of a seeded generation). Each file is read once.

Example:
    ```py
    >>> from lcr_hub.data.generator.tables import load_tables
    >>> load_tables("names")["PLACES"][:3]
    ('Brennock', 'Corriston', 'Elmsworth')
    >>> sorted(load_tables("topics_l4"))
    ['L4_SHORT_SUBJECTS', 'L4_TOPICS']

    ```
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

#: The table files in ``tables/``, without their ``.json``.
TABLE_GROUPS: tuple[str, ...] = (
    "names", "sources", "wording", "context", "asides", "frames",
    "topics_l1", "topics_l2", "topics_l3", "topics_l4", "facts",
)


def _frozen(value: Any) -> Any:
    """``value`` with every list turned into a tuple, recursively."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


@functools.cache
def load_tables(group: str) -> dict[str, Any]:
    """The tables of one group (a file in ``tables/``), by name, with lists read as tuples.

    Args:
        group (`str`): One of :data:`TABLE_GROUPS`.

    Returns:
        `dict[str, Any]`: table name (as in the file) to table; the same object on every call.

    Raises:
        `ValueError`: If ``group`` is not a known group.
    """
    if group not in TABLE_GROUPS:
        raise ValueError(f"unknown generator table group {group!r}; expected one of {', '.join(TABLE_GROUPS)}.")
    text = (resources.files(__package__) / "tables" / f"{group}.json").read_text(encoding="utf-8")
    return _frozen(json.loads(text))


_names = load_tables("names")
PLACES: tuple[str, ...] = _names["PLACES"]
FIRST_NAMES: tuple[str, ...] = _names["FIRST_NAMES"]
LAST_NAMES: tuple[str, ...] = _names["LAST_NAMES"]
_TITLE_ADJECTIVES: tuple[str, ...] = _names["TITLE_ADJECTIVES"]
_TITLE_NOUNS: tuple[str, ...] = _names["TITLE_NOUNS"]
DRUG_NAMES: tuple[str, ...] = _names["DRUG_NAMES"]
#: Titles some people carry; a document may drop the first name or the title.
_HONORIFICS: tuple[str, ...] = _names["HONORIFICS"]

#: Written sources ("In {doc}, ...") and bodies that speak ("{body} said ..."); {source} is either.
_sources = load_tables("sources")
DOC_SOURCES: tuple[str, ...] = _sources["DOC_SOURCES"]
BODY_SOURCES: tuple[str, ...] = _sources["BODY_SOURCES"]
SOURCES: tuple[str, ...] = DOC_SOURCES + BODY_SOURCES

_wording = load_tables("wording")
#: Hedges in front of a quantity ("about 1,240 people"); a hedge alone is no conflict.
_HEDGES: tuple[str, ...] = _wording["HEDGES"]
#: Tails after an L4 claim that do not change it ("... will go ahead, local people say").
_L4_TAILS: tuple[str, ...] = _wording["L4_TAILS"]
_SEASONS: tuple[str, ...] = _wording["SEASONS"]
_WEEKDAYS: tuple[str, ...] = _wording["WEEKDAYS"]
#: (symbol, word) pairs.
_CURRENCIES: tuple[tuple[str, str], ...] = _wording["CURRENCIES"]

# Context sentences (no value, no digit). Generic ones keep the subject out of subject position
# so that they read well for any subject; category ones may open with it.
_context = load_tables("context")
GENERIC_CONTEXT: tuple[str, ...] = _context["GENERIC_CONTEXT"]
CATEGORY_CONTEXT: dict[str, tuple[str, ...]] = _context["CATEGORY_CONTEXT"]
#: Side facts with other numbers: not the question's value, so never a conflict.
_COUNT_SIDE_FACTS: tuple[str, ...] = _context["COUNT_SIDE_FACTS"]
_ISSUE_SIDE_FACTS: tuple[str, ...] = _context["ISSUE_SIDE_FACTS"]
_YEAR_SIDE_FACTS: tuple[str, ...] = _context["YEAR_SIDE_FACTS"]

# The parts of composed asides (their slots are described in text.py).
_asides = load_tables("asides")
_ASIDE_DETAILS_ONE: tuple[str, ...] = _asides["ASIDE_DETAILS_ONE"]
_ASIDE_DETAILS_MANY: tuple[str, ...] = _asides["ASIDE_DETAILS_MANY"]
#: (singular, plural) predicates.
_ASIDE_PREDICATES: tuple[tuple[str, str], ...] = _asides["ASIDE_PREDICATES"]
_ASIDE_FRAMES: tuple[str, ...] = _asides["ASIDE_FRAMES"]
#: Frames that do not name the subject: for subjects that are people, events, works or claims.
_PLACE_ASIDE_FRAMES: tuple[str, ...] = tuple(f for f in _ASIDE_FRAMES if "{P}" in f)
_ASIDE_ADJECTIVES: tuple[str, ...] = _asides["ASIDE_ADJECTIVES"]
_ASIDE_THINGS: tuple[str, ...] = _asides["ASIDE_THINGS"]
_ASIDE_GROUPS: tuple[str, ...] = _asides["ASIDE_GROUPS"]
_ASIDE_JOBS: tuple[str, ...] = _asides["ASIDE_JOBS"]
_ASIDE_FACILITIES: tuple[str, ...] = _asides["ASIDE_FACILITIES"]
_ASIDE_TRANSPORT: tuple[str, ...] = _asides["ASIDE_TRANSPORT"]
_ORG_KINDS: tuple[str, ...] = _asides["ORG_KINDS"]

# Sentence frames. Slots: {s} subject, {v} value, {in_v} value with its preposition (L1), {vp}
# the topic's verb phrase with the value, {source}, {aside}, {comment}, and topic slots. A
# capitalised slot ({S}, {V}, {In_v}, {The_attr}, ...) is capitalised. The L3 frames come in
# three runs: those every entity kind can use, those for people and organisations, and those
# for places.
_frames = load_tables("frames")
_L1_FRAMES: tuple[str, ...] = _frames["L1_FRAMES"]
_L2_FRAMES: tuple[str, ...] = _frames["L2_FRAMES"]
_L3_FRAMES: tuple[str, ...] = _frames["L3_FRAMES"]
_L4_FRAMES: tuple[str, ...] = _frames["L4_FRAMES"]
_ASIDES: dict[str, tuple[str, ...]] = _frames["ASIDES"]
_COMMENTS: tuple[str, ...] = _frames["COMMENTS"]
_REACTIONS: tuple[str, ...] = _frames["REACTIONS"]

# Topics. Name placeholders: {P} and {P2} places, {N} a person, {T} a title, {O} an
# organisation, {D} a medicine, {A} another place. Topic values are row-level slots of the frames.

#: L1: event (past verb phrase), noun (optional event noun), era (year range).
_L1_TOPICS: tuple[dict[str, Any], ...] = load_tables("topics_l1")["L1_TOPICS"]
#: L2: the_attr (noun phrase holding the subject), cop, vp (with {v}), kind and its range (lo, hi),
#: and optionally noun (counts), styles, step and decimals.
_L2_TOPICS: tuple[dict[str, Any], ...] = load_tables("topics_l2")["L2_TOPICS"]
#: L3: vp (with {v}), the_role (noun phrase holding the subject), cop, rel, and per kind:
#: person/org: active (verb phrase taking the subject as object), who, credit (optional);
#: place: where (clause) and prep; org: suffixes and whether the body is a company. People
#: first, then organisations, places and titles.
_L3_TOPICS: tuple[dict[str, Any], ...] = load_tables("topics_l3")["L3_TOPICS"]
_topics_l4 = load_tables("topics_l4")
#: L4: two sides, each a list of mutually consistent claims (paraphrases of one another);
#: xa/xb: extra claims that conflict with side A/B only (modal changes, third outcomes);
#: ra/rb: whole sentences that restate side A/B with another subject or construction (paraphrases).
_L4_TOPICS: tuple[dict[str, Any], ...] = _topics_l4["L4_TOPICS"]
#: Later mentions of each L4 subject as a news report words them ("the trust" for "the {P}
#: Wildlife Trust"), used in a share of the claims on both sides of a conflict: documents that
#: agree name their subject in different ways, and a shorter name is no conflict.
_L4_SHORT_SUBJECTS: dict[str, tuple[str, ...]] = _topics_l4["L4_SHORT_SUBJECTS"]

#: Facts about a row's subject for dense passages: each group is one fact in several wordings
#: (``frames``) with its value type ``v`` (``date``, a quantity family, ``person``, ``org``,
#: ``place`` or ``none``), and optionally ``cats`` (the topic categories it fits), ``noun``
#: (counts) and a range ``lo``/``hi`` (quantities).
_FACT_GROUPS: tuple[dict[str, Any], ...] = load_tables("facts")["FACT_GROUPS"]
