"""Dense documents (lcr_hub.data.generator.facts): about the subject throughout, other values of the asked type."""

import json
import re

import pytest

from lcr_hub.data import load_lcr_dataset, make_consistent_twin
from lcr_hub.data.generator import generate_consistent_rows, generate_rows
from lcr_hub.data.generator.facts import _SAME_TYPES
from lcr_hub.data.generator.passages import generate_long_rows
from lcr_hub.data.generator.quantities import _STYLES
from lcr_hub.data.generator.tables import _FACT_GROUPS, CATEGORY_CONTEXT, PLACES
from lcr_hub.data.generator.text import _PLACEHOLDER

FILLER = [f"Note {k} in the parish book is about the weather of an old summer." for k in range(60)]
_YEAR = re.compile(r"\b1[89]\d\d\b|\b20[0-2]\d\b")


@pytest.fixture(scope="module")
def dense_rows():
    return generate_rows(12, seed=5, dense=True, min_documents=3)


@pytest.fixture(scope="module")
def dense_consistent():
    return generate_consistent_rows(24, seed=5, dense=True, min_documents=3)


def test_dense_rows_are_deterministic_and_apart_from_the_plain_stream(dense_rows):
    assert generate_rows(12, seed=5, dense=True, min_documents=3) == dense_rows
    assert dense_rows[0]["id"] == "gen_dense_l1_000000"
    plain = generate_rows(1, seed=5, min_documents=3)[0]
    assert plain["id"] == "gen_l1_000000" and plain["documents"] != dense_rows[0]["documents"]


def test_dense_rows_load_and_keep_the_twin_rule(dense_rows, dense_consistent, tmp_path):
    path = tmp_path / "dense.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in dense_rows + dense_consistent))
    assert len(load_lcr_dataset(path)) == len(dense_rows) + len(dense_consistent)
    for row in dense_rows:
        conflicting = {d["answer"] for d in row["documents"]} - {row["gold_answer"]}
        assert conflicting
        for document in row["documents"]:
            if document["answer"] != row["gold_answer"]:
                assert document["text"].count(document["answer"]) == 1
        twin = make_consistent_twin(row)
        assert not any(a in d["text"] for d in twin["documents"] for a in conflicting)
    assert all({d["answer"] for d in row["documents"]} == {row["gold_answer"]} for row in dense_consistent)


def test_documents_are_long_and_dense_with_other_values_of_the_asked_type(dense_rows, dense_consistent):
    rows = dense_rows + dense_consistent
    words = [len(d["text"].split()) for row in rows for d in row["documents"]]
    assert min(words) >= 25 and sum(words) / len(words) >= 60
    # L1: dates other than the asked one in nearly every document, conflicting or not.
    l1 = [row for row in rows if row["conflict_level"] == "L1"]
    with_other_years = [
        bool(set(_YEAR.findall(d["text"])) - set(_YEAR.findall(d["answer"] + " " + row["gold_answer"])))
        for row in l1 for d in row["documents"]
    ]
    assert sum(with_other_years) / len(with_other_years) >= 0.8
    # L2: another figure besides the asked one in most documents.
    l2 = [row for row in rows if row["conflict_level"] == "L2"]
    with_other_figures = [bool(re.search(r"\d", d["text"].replace(d["answer"], "").replace(row["gold_answer"], "")))
                          for row in l2 for d in row["documents"]]
    assert sum(with_other_figures) / len(with_other_figures) >= 0.8


def test_a_sibling_subject_states_the_asked_relation_with_its_own_value(dense_rows):
    # "the Brennock Viaduct opened ..." in a row about the Corriston Viaduct: the subject decides.
    checked = found = 0
    for row in dense_rows:
        match = next((re.search(rf"\b{p} (\w+)", row["query"]) for p in PLACES if re.search(rf"\b{p} \w", row["query"])),
                     None)
        if match is None:
            continue
        place, word = match.group(0).split()[0], match.group(1)
        text = " ".join(d["text"] for d in row["documents"])
        checked += 1
        found += any(f"{other} {word}" in text for other in PLACES if other != place)
    assert checked >= 12 and found / checked >= 0.5


def test_long_dense_rows_are_topped_up_with_filler():
    rows = generate_long_rows(2, FILLER, seed=3, dense=True)
    assert rows[0]["id"] == "long_gen_dense_l1_000000"
    for row in rows:
        for document in row["documents"]:
            assert 80 <= len(document["text"].split()) <= 360


def test_fact_table_is_well_formed():
    kinds = set().union(*_SAME_TYPES.values())
    categories = set(CATEGORY_CONTEXT) | {"person"}
    slots = {"s", "S", "v", "V", "in_v", "In_v", "p", "P", "q", "Q", "weekday"}
    for group in _FACT_GROUPS:
        assert group["v"] in kinds, group
        assert len(group["frames"]) >= 3, group
        assert set(group.get("cats", ())) <= categories, group
        if group["v"] in _STYLES:
            assert group["lo"] < group["hi"]
        for frame in group["frames"]:
            assert not re.search(r"\d", frame), frame
            keys = {m.group(1) for m in _PLACEHOLDER.finditer(frame)}
            assert keys <= slots, frame
            assert bool(keys & {"v", "V", "in_v", "In_v"}) == (group["v"] != "none"), frame
    for kind in kinds:
        assert sum(g["v"] == kind for g in _FACT_GROUPS) >= 1


def test_dense_needs_generated_long_rows(tmp_path, generate_conflicts, capsys):
    filler = tmp_path / "dev.jsonl"
    filler.write_text(json.dumps({"documents": [{"text": "X. " + " ".join(FILLER) + " Cut", "answer": "none"}]}) + "\n")
    assert generate_conflicts.main(["--output-dir", str(tmp_path / "a"), "--long-only", "--dense",
                                    "--filler", str(filler)]) == 2
    assert "--dense applies to generated long rows" in capsys.readouterr().err
    assert generate_conflicts.main(["--output-dir", str(tmp_path / "b"), "--long-only", "--dense", "--long-per-level",
                                    "1", "--filler", str(filler), "--seed", "2"]) == 0
    rows = load_lcr_dataset(tmp_path / "b" / "long_conflicts.jsonl").to_list()
    assert [row["id"] for row in rows] == [f"long_gen_dense_l{k}_000000" for k in range(1, 5)]
