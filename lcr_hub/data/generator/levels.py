"""L3 (entity conflicts) and L4 (semantic conflicts), and the value model of every level."""

from __future__ import annotations

from dataclasses import dataclass

from .base import _Level, _mention
from .dates import _TemporalLevel
from .quantities import _NumericalLevel
from .tables import _HONORIFICS, _L3_FRAMES, _L3_TOPICS, _L4_FRAMES, _L4_TOPICS, FIRST_NAMES, LAST_NAMES, PLACES
from .text import _title, _value_frames


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
