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
    >>> import tempfile
    >>> from pathlib import Path
    >>> from lcr_hub.data.generator import generate_rows, generate_consistent_rows, write_jsonl
    >>> rows = generate_rows(2, seed=42)                # 8 conflicting rows, 2 per level
    >>> [row["id"] for row in rows[:3]], rows[0]["conflict_type"]
    (['gen_l1_000000', 'gen_l1_000001', 'gen_l2_000000'], 'temporal')
    >>> negatives = generate_consistent_rows(4)         # all documents agree (label-0 rows)
    >>> [row["conflict_level"] for row in negatives]
    ['L1', 'L2', 'L3', 'L4']
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_jsonl(rows, Path(folder) / "conflicts.jsonl")
    ...     len(path.read_text(encoding="utf-8").splitlines())
    8

    ```

The package: ``tables.py`` reads the vocabulary, frames and topics from ``tables/*.json``;
``text.py`` fills frames and composes asides; ``base.py``, ``dates.py`` (L1),
``quantities.py`` (L2) and ``levels.py`` (L3, L4) model each level's values; ``rows.py``
writes rows and holds the public functions.
"""

from __future__ import annotations

from .rows import CONFLICT_TYPES, generate_consistent_rows, generate_rows, generator_inventory, write_jsonl

__all__ = [
    "CONFLICT_TYPES",
    "generate_consistent_rows",
    "generate_rows",
    "generator_inventory",
    "write_jsonl",
]
