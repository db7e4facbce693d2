"""Long rows (lcr_hub.data.generator.passages): real-length passages, deterministic, twin rule kept."""

import json

import pytest

from lcr_hub.data import load_lcr_dataset, make_consistent_twin
from lcr_hub.data.generator.passages import filler_sentences, generate_long_rows

FILLER = [f"The {k}th archive note says the bridge near Carrow was painted green in 19{k % 90 + 10}." for k in range(80)]


@pytest.fixture(scope="module")
def long_rows():
    return generate_long_rows(3, FILLER, seed=11)


def test_long_rows_are_deterministic(long_rows):
    assert generate_long_rows(3, FILLER, seed=11) == long_rows
    assert generate_long_rows(3, FILLER, seed=12) != long_rows


def test_passages_have_realistic_length_and_three_to_eight_documents(long_rows):
    assert len(long_rows) == 12
    for row in long_rows:
        assert 3 <= len(row["documents"]) <= 8
        for document in row["documents"]:
            assert 80 <= len(document["text"].split()) <= 300 + 60  # the last filler sentence may overshoot


def test_each_conflicting_value_stays_stated_once_so_twins_apply(long_rows, tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in long_rows))
    loaded = load_lcr_dataset(path)  # the loader's row checks
    assert len(loaded) == len(long_rows)
    for row in long_rows:
        for document in row["documents"]:
            if document["answer"] != row["gold_answer"]:
                assert document["text"].count(document["answer"]) == 1
        twin = make_consistent_twin(row)
        assert {d["answer"] for d in twin["documents"]} == {row["gold_answer"]}


def test_value_position_varies_inside_passages(long_rows):
    positions = []
    for row in long_rows:
        for document in row["documents"]:
            if document["answer"] != row["gold_answer"]:
                positions.append(document["text"].find(document["answer"]) / len(document["text"]))
    assert min(positions) < 0.3 and max(positions) > 0.6


def test_filler_strips_templates_and_cut_sentences(tmp_path):
    rows = [{"documents": [
        {"text": "Measuring 51 km, The canal is long. It was dug by hand over many long years. It carries barges of", "answer": "51 km"},
        {"text": "Jo Ames is mentioned. The abbey stands on a hill. Monks lived there for four hundred years or so. The", "answer": "Jo Ames"},
    ]}]
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert filler_sentences([path]) == ["It was dug by hand over many long years.",
                                        "Monks lived there for four hundred years or so."]
    with pytest.raises(ValueError, match="filler"):
        generate_long_rows(1, [])


def test_given_rows_are_set_in_filler_with_their_documents_whole(tmp_path, generate_conflicts):
    source = tmp_path / "hand.jsonl"
    rows = [{"id": "h1", "query": "When did the mill open?", "gold_answer": "1901", "conflict_type": "temporal",
             "conflict_level": "L1", "is_natural": True, "documents": [
                 {"doc_id": "d1", "text": "The mill opened its doors in 1901.", "answer": "1901"},
                 {"doc_id": "d2", "text": "Its owners say it first ground corn in 1903.", "answer": "1903"},
                 {"doc_id": "d3", "text": "It was opened in the year 1901, the parish records show.", "answer": "1901"}]}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    filler = tmp_path / "dev.jsonl"
    filler.write_text(json.dumps({"documents": [{"text": "X. " + " ".join(FILLER) + " Cut", "answer": "none"}]}) + "\n")
    out = tmp_path / "out"
    argv = ["--output-dir", str(out), "--long-from", str(source), "--filler", str(filler), "--seed", "3"]
    assert generate_conflicts.main(argv) == 0
    (long,) = load_lcr_dataset(out / "long_hand.jsonl").to_list()
    assert long["id"] == "long_h1" and long["gold_answer"] == "1901"
    for original, document in zip(rows[0]["documents"], long["documents"]):
        assert original["text"] in document["text"] and document["answer"] == original["answer"]
        assert len(document["text"].split()) >= 80
    assert "1903" not in " ".join(d["text"] for d in long["documents"][::2])  # filler never states a value
    manifest = json.loads((out / "long_manifest.json").read_text())
    assert manifest["rows_from"][0]["path"] == str(source)
    assert "long_hand.jsonl" in (out / "generated_by.json").read_text()
    assert generate_conflicts.main([*argv, "--long-per-level", "2"]) == 2
