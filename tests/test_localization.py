"""lcr_hub.localization (pair probabilities, conflicting pair, document scores) and its metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lcr_hub.errors import DataError
from lcr_hub.evaluation.localization import format_localization, localization_metrics
from lcr_hub.localization import document_refs, localize, split_pair_logits


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_three_documents_by_hand():
    # Pairs (a,b)=2, (a,c)=-3, (b,c)=1 at T=2: b disagrees with both others.
    loc = localize([2.0, -3.0, 1.0], ["a", "b", "c"], temperature=2.0)
    assert loc.pairs == ((0, 1), (0, 2), (1, 2))
    assert np.allclose(loc.pair_probabilities, [_sigmoid(1.0), _sigmoid(-1.5), _sigmoid(0.5)])
    # Document score: sigmoid of the mean scaled logit of its pairs.
    assert np.allclose(loc.document_scores, [_sigmoid((1.0 - 1.5) / 2), _sigmoid((1.0 + 0.5) / 2), _sigmoid((-1.5 + 0.5) / 2)])
    assert loc.conflicting_pair == ("a", "b") and loc.disagreeing_document == "b"
    out = loc.as_dict()
    assert out["conflicting_pair"] == ["a", "b"] and out["conflicting_pair_probability"] == pytest.approx(_sigmoid(1.0))
    assert out["pairs"][2] == {"documents": ["b", "c"], "probability": pytest.approx(_sigmoid(0.5))}
    assert [d["document"] for d in out["document_scores"]] == ["a", "b", "c"]


def test_two_documents_name_no_minority_and_one_document_no_pair():
    two = localize([0.7], [0, 1])
    assert two.conflicting_pair == (0, 1) and two.disagreeing_document is None
    assert two.document_scores.tolist() == [pytest.approx(_sigmoid(0.7))] * 2
    one = localize([], ["only"])
    assert one.conflicting_pair is None and one.as_dict()["conflicting_pair_probability"] is None
    assert one.document_scores.tolist() == [0.0]
    with pytest.raises(ValueError, match="3 pair logits for 2 documents"):
        localize([1.0, 2.0, 3.0], [0, 1])


def test_split_pair_logits_keeps_each_rows_own_pairs():
    # A batch of 4 documents has pairs (0,1)(0,2)(0,3)(1,2)(1,3)(2,3); a 3-document row keeps (0,1)(0,2)(1,2).
    batch = np.array([[1, 2, 3, 4, 5, 6], [1, 2, -9, 4, -9, -9]], dtype=float)
    full, three = split_pair_logits(batch, [4, 3])
    assert full.tolist() == [1, 2, 3, 4, 5, 6] and three.tolist() == [1, 2, 4]


def test_document_refs_use_doc_ids_else_positions_and_refuse_repeats():
    assert document_refs([{"text": "a", "doc_id": "d1"}, "b", {"text": "c"}]) == ["d1", 1, 2]
    with pytest.raises(DataError, match=r"documents\[1\].doc_id"):
        document_refs([{"text": "a", "doc_id": "x"}, {"text": "b", "doc_id": "x"}])


def _row(row_id: str, level: str, answers: list[str], gold: str) -> dict:
    return {"id": row_id, "conflict_level": level, "gold_answer": gold, "documents": [{"answer": a} for a in answers]}


def test_metrics_by_hand():
    rows = [
        _row("r1", "L1", ["1911", "1914", "1911"], "1911"),  # minority: doc 1
        _row("r2", "L2", ["5", "5", "5", "7"], "5"),  # minority: doc 3
        _row("r3", "L2", ["x", "y"], "x"),  # two documents: left out
        _row("r4", "L1", ["a", "a", "a"], "a"),  # no conflict: left out
    ]
    locs = [
        localize([3.0, -2.0, 2.5], [0, 1, 2]),  # top pair (0,1): hit; top document 1: right
        # pairs (0,1)(0,2)(0,3)(1,2)(1,3)(2,3): top pair (0,1) holds two majority documents: miss;
        # scores: doc 0 mean(4,-1,1)=1.33, doc 3 mean(1,1,1)=1 -> doc 0: wrong.
        localize([4.0, -1.0, 1.0, -1.0, 1.0, 1.0], [0, 1, 2, 3]),
        localize([1.0], [0, 1]),
        localize([-5.0, -5.0, -5.0], [0, 1, 2]),
    ]
    m = localization_metrics(rows, locs, bootstrap=0)
    assert (m["n"], m["n_left_out"]) == (2, 2)
    assert m["top_pair_hit_rate"] == 0.5 and m["minority_document_accuracy"] == 0.5
    assert m["per_level"]["L1"] == {"n": 1, "top_pair_hit_rate": 1.0, "minority_document_accuracy": 1.0, "ci95": {}}
    assert m["per_level"]["L2"]["top_pair_hit_rate"] == 0.0 and "L3" not in m["per_level"]
    assert m["n_pairs"] == 3 + 6 + 1 + 3  # every pair of every row enters the pair calibration
    assert any("top-pair hit rate           0.5000" in line for line in format_localization(m))


def test_metrics_intervals_resample_rows():
    rows = [_row(f"r{i}", "L3", ["a", "b", "a"], "a") for i in range(10)]
    hit = localize([3.0, -3.0, 3.0], [0, 1, 2])  # top pair (0,1) hits, document 1 is the minority
    miss = localize([-3.0, 3.0, -3.0], [0, 1, 2])  # top pair (0,2): two majority documents
    m = localization_metrics(rows, [hit] * 7 + [miss] * 3, bootstrap=200, seed=0)
    assert m["top_pair_hit_rate"] == pytest.approx(0.7)
    low, high = m["ci95"]["top_pair_hit_rate"]
    assert 0.2 <= low < 0.7 < high <= 1.0
    assert m["per_level"]["L3"]["ci95"]["top_pair_hit_rate"] == [low, high]
