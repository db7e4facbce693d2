"""L1 (temporal conflicts): dates, their formats, conflicting dates and rewordings."""

from __future__ import annotations

from dataclasses import dataclass

from .base import _Level, _Mention, _mention
from .tables import _L1_FRAMES, _L1_TOPICS, _SEASONS
from .text import _ordinal, _spell_year, _value_frames

_MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


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
