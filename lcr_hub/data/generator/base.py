"""Mentions (how a value is written in one sentence) and the interface of a level's value model."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
