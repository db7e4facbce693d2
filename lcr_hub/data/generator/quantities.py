"""L2 (numerical conflicts): quantities, their units and styles, conflicting figures and rewordings."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import _Level, _mention
from .tables import _L2_FRAMES, _L2_TOPICS
from .text import _is_int, _log_uniform, _num, _round_sig, _spell, _value_frames

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
