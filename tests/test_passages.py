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
