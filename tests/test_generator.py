"""Tests of the synthetic conflict generator, its CLI, the hand-written natural validation set and the
hand-written training rows."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from lcr_hub.constants import CONFLICT_LEVELS, MAX_DOCUMENTS
from lcr_hub.data import generator, load_lcr_dataset, make_consistent_twin, row_has_conflict
from lcr_hub.data.generator import (
    CONFLICT_TYPES,
    generate_consistent_rows,
    generate_rows,
    generator_inventory,
    write_jsonl,
)

LEVELS = tuple(level.code for level in CONFLICT_LEVELS)  # the rows' conflict_level values
REPO = Path(__file__).resolve().parents[1]
NATURAL = REPO / "data" / "natural" / "validation.jsonl"
LONG = REPO / "data" / "long" / "validation.jsonl"
HANDWRITTEN = REPO / "data" / "handwritten"
NEAR_MISS = REPO / "data" / "near_miss"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return generate_rows(60, seed=42)


@pytest.fixture(scope="module")
def consistent_rows() -> list[dict]:
    return generate_consistent_rows(80, seed=42)


def conflicting_answers(row: dict) -> list[str]:
    return sorted({doc["answer"] for doc in row["documents"] if doc["answer"] != row["gold_answer"]})


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_same_rows():
    assert generate_rows(5, seed=7) == generate_rows(5, seed=7)
    assert generate_consistent_rows(9, seed=7) == generate_consistent_rows(9, seed=7)


def test_different_seed_gives_different_rows():
    first, second = generate_rows(5, seed=7), generate_rows(5, seed=8)
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert sum(a != b for a, b in zip(first, second)) >= len(first) - 1
    assert generate_consistent_rows(8, seed=7) != generate_consistent_rows(8, seed=8)


def test_row_does_not_depend_on_how_many_rows_are_requested():
    small = generate_rows(3, seed=11)
    large = generate_rows(6, seed=11)
    for level in LEVELS:
        assert [r for r in small if r["conflict_level"] == level] == [
            r for r in large if r["conflict_level"] == level
        ][:3]


# --- the tables (lcr_hub/data/generator/tables/*.json) ------------------------------------------

#: sha256 of ``generate_rows(40, seed=2024) + generate_consistent_rows(40, seed=2024)`` written by
#: write_jsonl, computed with the generator as it was before its tables moved to JSON files. Seeded
#: draws pick table entries by position, so an entry added, removed, reordered or reworded in a
#: table file changes this digest: update it only for a change meant to change the generated rows.
SEEDED_ROWS_SHA256 = "3deca550ebf99c26ed9d4347a7e52c3acf854df3e58dc6a42ab38202324679bb"


def test_tables_load_and_seeded_rows_match_the_pinned_digest(tmp_path):
    tables = generator.tables
    for group in tables.TABLE_GROUPS:
        loaded = tables.load_tables(group)
        assert loaded and all(len(table) > 0 for table in loaded.values()), group
        assert tables.load_tables(group) is loaded  # read once
    # JSON lists come back as tuples: a topic's name placeholders are filled only in tuples.
    assert isinstance(tables._L4_TOPICS[0]["a"], tuple)
    assert isinstance(tables._ASIDE_PREDICATES[0], tuple)
    path = write_jsonl(generate_rows(40, seed=2024) + generate_consistent_rows(40, seed=2024), tmp_path / "rows.jsonl")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SEEDED_ROWS_SHA256


def test_table_files_are_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["lcr_hub"]
    files = sorted((REPO / "lcr_hub" / "data" / "generator" / "tables").glob("*.json"))
    assert [f.stem for f in files] == sorted(generator.tables.TABLE_GROUPS)
    for file in files:
        relative = file.relative_to(REPO / "lcr_hub").as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


# --- format and loader ----------------------------------------------------------------------


def test_every_generated_row_passes_the_loader(rows, consistent_rows, tmp_path):
    conflicts = write_jsonl(rows, tmp_path / "conflicts.jsonl")
    consistent = write_jsonl(consistent_rows, tmp_path / "consistent.jsonl")
    dataset = load_lcr_dataset([conflicts, consistent], deduplicate=True)
    assert len(dataset) == len(rows) + len(consistent_rows)  # ids are unique
    assert set(dataset["is_natural"]) == {False}
    for row in dataset:
        assert row["conflict_type"] == CONFLICT_TYPES[row["conflict_level"]]
        assert row["id"].startswith(("gen_l", "gen_cons_l"))
        assert row["id"].split("_")[-2] == row["conflict_level"].lower()


def test_levels_are_balanced(rows, consistent_rows):
    assert Counter(r["conflict_level"] for r in rows) == {level: 60 for level in LEVELS}
    assert Counter(r["conflict_level"] for r in consistent_rows) == {level: 20 for level in LEVELS}
    assert [r["id"] for r in rows[:2]] == ["gen_l1_000000", "gen_l1_000001"]


def test_document_counts_stay_within_bounds_and_cover_two_to_eight(rows):
    counts = Counter(len(r["documents"]) for r in rows)
    assert set(counts) == set(range(2, MAX_DOCUMENTS + 1))
    narrow = generate_rows(10, seed=3, min_documents=3, max_documents=5)
    assert {len(r["documents"]) for r in narrow} <= {3, 4, 5}


@pytest.mark.parametrize("bounds", [(1, 4), (5, 4), (2, 9)])
def test_invalid_document_bounds_raise(bounds):
    with pytest.raises(ValueError):
        generate_rows(1, min_documents=bounds[0], max_documents=bounds[1])


def test_negative_counts_raise():
    with pytest.raises(ValueError):
        generate_rows(-1)
    with pytest.raises(ValueError):
        generate_consistent_rows(-1)


# --- conflicts and twins --------------------------------------------------------------------


def test_every_row_conflicts_and_gold_is_the_largest_group(rows):
    for row in rows:
        assert row_has_conflict(row), row["id"]
        counts = Counter(doc["answer"] for doc in row["documents"])
        gold_count = counts.pop(row["gold_answer"])
        assert all(gold_count >= n for n in counts.values()), row["id"]
        assert 1 <= len(counts) <= 2, row["id"]
        assert any(row["gold_answer"] in doc["text"] for doc in row["documents"]), row["id"]


def test_conflicting_answer_occurs_exactly_once_in_its_document(rows):
    for row in rows:
        for doc in row["documents"]:
            if doc["answer"] != row["gold_answer"]:
                assert doc["text"].count(doc["answer"]) == 1, (row["id"], doc)


def test_twins_hold_no_conflicting_value(rows):
    for row in rows:
        twin = make_consistent_twin(row)
        assert all(doc["answer"] == row["gold_answer"] for doc in twin["documents"])
        assert not row_has_conflict(twin)
        for answer in conflicting_answers(row):
            for doc in twin["documents"]:
                assert answer not in doc["text"], (row["id"], answer, doc["text"])
        # The twin only rewrites the conflicting documents.
        for original, rewritten in zip(row["documents"], twin["documents"]):
            if original["answer"] == row["gold_answer"]:
                assert original == rewritten


def test_sample_has_distractors_and_rewordings(rows):
    claims = set()
    for topic in generator.tables._L4_TOPICS:
        for key in ("a", "b", "xa", "xb"):
            claims.update(topic[key])
    l4 = [r for r in rows if r["conflict_level"] == "L4"]
    distractors = [
        doc for row in l4 for doc in row["documents"]
        if not any(claim in doc["text"] for claim in claims)
        and not (doc["answer"] != row["gold_answer"] and doc["answer"] in doc["text"])  # a restated conflict
    ]
    assert distractors, "expected documents that state no claim at all"
    assert all(doc["answer"] in {r["gold_answer"] for r in l4} for doc in distractors)
    # Rewordings: documents annotated with the gold answer that do not contain it literally.
    reworded = [
        doc for row in rows for doc in row["documents"]
        if doc["answer"] == row["gold_answer"] and row["gold_answer"] not in doc["text"]
    ]
    assert len(reworded) >= 20


def test_l4_restatements_state_conflicts_too():
    # Whole-sentence restatements (topic keys ra/rb) must not only ever agree with the gold
    # answer, or "a sentence in its own construction" would mean "no conflict".
    l4 = [row for row in generate_rows(150, seed=42) if row["conflict_level"] == "L4"]
    claims = {claim for topic in generator.tables._L4_TOPICS for key in ("a", "b", "xa", "xb") for claim in topic[key]}
    restated = [
        doc for row in l4 for doc in row["documents"]
        if doc["answer"] != row["gold_answer"] and doc["answer"] not in claims
    ]
    assert len(restated) >= 10
    for doc in restated:
        assert doc["text"].count(doc["answer"]) == 1 and doc["answer"].endswith(".")
    # The twin rule replaces a restated conflict by the gold claim.
    assert not any(row_has_conflict(make_consistent_twin(row)) for row in l4)


def test_hedges_and_titles_appear_on_both_sides():
    # "about 1,240" and "Dr Hale" must occur with the gold value and with conflicting ones,
    # so that neither a hedge nor a dropped first name reads as a conflict or as agreement.
    rows = generate_rows(200, seed=42)
    hedge = re.compile(r"\b(?:" + "|".join(generator.tables._HEDGES) + r") (\S+)", re.IGNORECASE)
    hedged = {"gold": 0, "conflict": 0}
    for row in (r for r in rows if r["conflict_level"] == "L2"):
        for doc in row["documents"]:
            for match in hedge.finditer(doc["text"]):
                if doc["answer"] != row["gold_answer"] and doc["text"][match.start(1):].startswith(doc["answer"]):
                    hedged["conflict"] += 1
                elif row["gold_answer"] in doc["text"][match.start(1):match.start(1) + len(row["gold_answer"])]:
                    hedged["gold"] += 1
    assert min(hedged.values()) >= 5, hedged
    honorifics = generator.tables._HONORIFICS
    titled = [r for r in rows if r["conflict_level"] == "L3" and r["gold_answer"].split()[0] in honorifics]
    short_forms = [
        doc for row in titled for doc in row["documents"]
        if doc["answer"] == row["gold_answer"] and row["gold_answer"] not in doc["text"]
        and f"{row['gold_answer'].split()[0]} {row['gold_answer'].split()[-1]}" in doc["text"]
    ]
    assert titled and short_forms
    assert not any(row_has_conflict(make_consistent_twin(row)) for row in rows)


def test_short_subjects_appear_on_both_sides():
    # "the trust" for "the Corriston Wildlife Trust" must state the gold claim and conflicting
    # ones, so that a shorter name for the subject reads as neither.
    rows = [r for r in generate_rows(200, seed=42) if r["conflict_level"] == "L4"]
    forms = {form for forms in generator.tables._L4_SHORT_SUBJECTS.values() for form in forms}
    short = {"gold": 0, "conflict": 0}
    for row in rows:
        for doc in row["documents"]:
            if any(f"{form} {doc['answer']}" in doc["text"].lower() for form in forms):
                short["gold" if doc["answer"] == row["gold_answer"] else "conflict"] += 1
    assert min(short.values()) >= 5, short


def test_rows_are_varied(rows):
    assert len({r["query"] for r in rows}) >= 0.9 * len(rows)
    first_sentences = Counter(doc["text"].split(".")[0] for r in rows for doc in r["documents"])
    assert first_sentences.most_common(1)[0][1] <= 3
    inventory = generator_inventory()
    for level in LEVELS:
        assert inventory[level]["frames"] >= 25
        assert inventory[level]["topics"] >= 40


# --- consistent rows ------------------------------------------------------------------------


def test_consistent_rows_all_agree(consistent_rows):
    reworded = 0
    for row in consistent_rows:
        assert row["id"].startswith("gen_cons_")
        assert 2 <= len(row["documents"]) <= MAX_DOCUMENTS
        assert all(doc["answer"] == row["gold_answer"] for doc in row["documents"])
        assert not row_has_conflict(row)
        assert any(row["gold_answer"] in doc["text"] for doc in row["documents"])
        assert make_consistent_twin(row)["documents"] == row["documents"]
        reworded += any(row["gold_answer"] not in doc["text"] for doc in row["documents"])
    assert reworded >= len(consistent_rows) // 2


# --- writing and the CLI --------------------------------------------------------------------


def test_write_jsonl_is_atomic_and_round_trips(tmp_path):
    rows = generate_rows(1, seed=5)
    path = write_jsonl(rows, tmp_path / "nested" / "out.jsonl")
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == rows
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.jsonl"]
    write_jsonl(rows[:1], path)  # overwriting replaces the file
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1


def test_cli_writes_both_files(tmp_path, capsys, generate_conflicts):
    out = tmp_path / "generated"
    code = generate_conflicts.main(["--output-dir", str(out), "--n-per-level", "3", "--n-consistent", "8", "--seed", "1"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["conflicts"]["rows"] == 12 and summary["consistent"]["rows"] == 8
    assert len(load_lcr_dataset(out / "conflicts.jsonl")) == 12
    assert len(load_lcr_dataset(out / "consistent.jsonl")) == 8


# --- the natural validation set -------------------------------------------------------------


@pytest.fixture(scope="module")
def natural():
    return load_lcr_dataset(NATURAL)


def test_natural_set_loads_with_enough_rows_per_level(natural):
    assert len(natural) >= 100
    counts = Counter(natural["conflict_level"])
    assert all(counts[level] >= 20 for level in LEVELS), counts
    assert set(natural["is_natural"]) == {True}
    assert len(set(natural["id"])) == len(natural)
    for row in natural:
        assert 3 <= len(row["documents"]) <= 6, row["id"]
        assert row["conflict_type"] == CONFLICT_TYPES[row["conflict_level"]], row["id"]
        assert row["id"].startswith(f"nat_{row['conflict_level'].lower()}_"), row["id"]


def assert_conflict_row_annotated(row: dict) -> None:
    """The hand-written rows' conventions (data/natural/README.md): the twin rule gives a clean twin."""
    assert row_has_conflict(row), row["id"]
    assert any(row["gold_answer"] in doc["text"] for doc in row["documents"]), row["id"]
    counts = Counter(doc["answer"] for doc in row["documents"])
    gold_count = counts.pop(row["gold_answer"])
    assert all(gold_count > n for n in counts.values()), row["id"]
    for doc in row["documents"]:
        if doc["answer"] != row["gold_answer"]:
            assert doc["text"].count(doc["answer"]) == 1, (row["id"], doc["answer"])
    twin = make_consistent_twin(row)
    assert all(doc["answer"] == row["gold_answer"] for doc in twin["documents"])
    for answer in conflicting_answers(row):
        assert all(answer not in doc["text"] for doc in twin["documents"]), (row["id"], answer)


def test_natural_rows_conflict_and_their_twins_build(natural):
    for row in natural:
        assert_conflict_row_annotated(row)


def test_natural_set_is_independent_of_the_generator(natural):
    frames = [f for level in LEVELS for f in generator.levels._LEVEL_MODELS[level].frames]
    # Fixed wording from the generator's frames and context sentences never appears.
    markers = [
        "is the figure",
        "Most accounts agree that",
        "Local historians have written a good deal about",
        "Whatever the rumours say",
        "Ask around and most people will tell you",
    ]
    texts = [doc["text"] for row in natural for doc in row["documents"]]
    assert frames  # sanity
    for marker in markers:
        assert not any(marker in text for text in texts), marker
    # Nor does the fixed wording of the composed asides (their longest literal run, and the predicates).
    literal_runs = [max(re.split(r"\{\w+\}", frame), key=len).strip(" .,") for frame in generator.tables._ASIDE_FRAMES]
    predicates = [re.split(r"\{\w+\}", one)[0].strip() for one, _ in generator.tables._ASIDE_PREDICATES]
    for marker in [m for m in literal_runs + predicates if len(m) >= 15]:
        assert not any(marker in text for text in texts), marker
    places = set(generator.tables.PLACES)
    assert not any(place in text for place in places for text in texts if len(place) > 6)


def test_long_passage_set_follows_the_conventions(natural):
    """data/long/README.md: real-passage-length rows, the natural set's annotations, nothing shared."""
    long = load_lcr_dataset(LONG)
    assert len(long) >= 100 and min(Counter(long["conflict_level"])[level] for level in LEVELS) >= 25
    assert len(set(long["id"])) == len(long) and set(long["is_natural"]) == {True}
    places = {place for place in generator.tables.PLACES if len(place) > 6}
    for row in long:
        assert re.fullmatch(f"long_{row['conflict_level'].lower()}_[0-9]{{3}}", row["id"]), row["id"]
        assert 3 <= len(row["documents"]) <= 8, row["id"]
        assert row["conflict_type"] == CONFLICT_TYPES[row["conflict_level"]], row["id"]
        for doc in row["documents"]:
            assert 80 <= len(doc["text"].split()) <= 300, (row["id"], doc["doc_id"])
            assert not any(place in doc["text"] for place in places), (row["id"], doc["doc_id"])
        assert_conflict_row_annotated(row)

    def runs(dataset) -> set[str]:
        words = [doc["text"].split() for row in dataset for doc in row["documents"]]
        return {" ".join(w[i : i + 7]) for w in words for i in range(len(w) - 6)}

    assert not runs(long) & runs(natural)
    assert not set(long["query"]) & set(natural["query"])


# --- the hand-written rows (training rows, near-miss check set) ------------------------------


# (folder, rows, the id's hundreds digit): the training rows, and the near-miss check set.
PROSE_SETS = [(HANDWRITTEN, 319, "[01]"), (NEAR_MISS, 368, "[2-4]")]


@pytest.fixture(scope="module", params=PROSE_SETS, ids=lambda p: p[0].name)
def handwritten(request):
    """Rows written by hand in prose: (conflicting rows, consistent rows, row count, id digit)."""
    folder, count, digit = request.param
    return load_lcr_dataset(folder / "conflicts.jsonl"), load_lcr_dataset(folder / "consistent.jsonl"), count, digit


def test_handwritten_rows_follow_the_conventions(handwritten):
    conflicts, consistent, count, digit = handwritten
    ids = [*conflicts["id"], *consistent["id"]]
    assert len(set(ids)) == len(ids) == count
    for dataset, prefix in ((conflicts, ""), (consistent, "c")):
        assert min(Counter(dataset["conflict_level"])[level] for level in LEVELS) >= 20
        for row in dataset:
            assert 3 <= len(row["documents"]) <= 6, row["id"]
            assert row["conflict_type"] == CONFLICT_TYPES[row["conflict_level"]], row["id"]
            assert re.fullmatch(f"hw_{row['conflict_level'].lower()}_{prefix}{digit}[0-9][0-9]", row["id"]), row["id"]
    for row in conflicts:
        assert_conflict_row_annotated(row)
    for row in consistent:
        assert {doc["answer"] for doc in row["documents"]} == {row["gold_answer"]}, row["id"]
        assert any(row["gold_answer"] in doc["text"] for doc in row["documents"]), row["id"]


def test_handwritten_rows_share_nothing_with_the_natural_set(handwritten, natural):
    """Hand-written rows must not carry the validation set's subjects or sentences."""
    rows = [row for dataset in handwritten[:2] for row in dataset]

    def runs(dataset) -> set[str]:
        words = [doc["text"].split() for row in dataset for doc in row["documents"]]
        return {" ".join(w[i : i + 7]) for w in words for i in range(len(w) - 6)}

    def values(dataset) -> set[str]:
        return {doc["answer"] for row in dataset for doc in row["documents"] if row["conflict_level"] != "L4"}

    assert not {row["query"] for row in rows} & set(natural["query"])
    assert not runs(rows) & runs(natural)
    # Values and names (L1-L3) are never the natural set's; L4 predicates ("will go ahead") may recur.
    assert not {v for v in values(rows) & values(natural) if len(v) > 6}


def test_near_miss_rows_have_subjects_of_their_own():
    """The check set was written after the training rows, on other subjects."""
    def queries(folder: Path) -> list[str]:
        return [row["query"] for name in ("conflicts", "consistent") for row in load_lcr_dataset(folder / f"{name}.jsonl")]

    near = queries(NEAR_MISS)
    assert len(set(near)) == len(near)
    assert not set(queries(HANDWRITTEN)) & set(near)
