"""Answer evaluation: the scorer on hand-made answers, routing, the summary, and every strategy end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from lcr_hub import LCRSystem
from lcr_hub.encoding.features import load_causal_base
from lcr_hub.evaluation.answer_scoring import canonical_answer, minority_answers, score_answer
from lcr_hub.evaluation.answers import STRATEGIES, routes, run_strategies, summarize
from lcr_hub_cli import ANSWER_STRATEGIES
from conftest import REPO, script_env
from test_system import make_classifier, make_parts

ROW = {"id": "r", "conflict_level": "L1", "gold_answer": "3 March 1952",
       "documents": [{"answer": "3 March 1952"}, {"answer": "8 March 1952"}, {"answer": "March 3, 1952"}]}


def test_parser_lists_the_library_strategies():
    assert tuple(ANSWER_STRATEGIES) == STRATEGIES


def test_minority_answers_skip_restatements_of_the_gold_answer():
    assert minority_answers(ROW) == ["8 March 1952"]


@pytest.mark.parametrize("answer, correct, minority", [
    ("The fire happened on 3 March 1952.", True, False),  # gold
    ("It was on 8 March 1952.", False, True),  # minority
    ("Either 3 March 1952 or 8 March 1952.", False, True),  # both
    ("It happened in the spring.", False, False),  # neither
    ("March 3, 1952", True, False),  # formatting variants of the gold date
    ("the 3rd of MARCH 1952!", True, False),
    ("13 March 1952", False, False),  # a longer number is not the gold one
])
def test_scorer_on_hand_made_answers(answer, correct, minority):
    score = score_answer(answer, ROW["gold_answer"], minority_answers(ROW))
    assert (score.correct, score.has_minority) == (correct, minority)


def test_scorer_numbers_names_and_nested_values():
    assert score_answer("About 1,200 people.", "1200", ["1500"]).correct
    assert not score_answer("About 1,500 people.", "1200", ["1500"]).correct
    assert score_answer("The Harbour Line", "harbour line", ["Coast Line"]).correct
    assert score_answer("New York City", "New York City", ["York"]).correct  # inside the gold answer
    assert not score_answer("Paris, Texas", "Paris", ["Paris, Texas"]).correct  # a minority holding the gold
    assert canonical_answer("March 3rd, 1952") == canonical_answer("3 March 1952")


def test_summary_pairs_rows_against_plain():
    rows = [{"id": str(i), "conflict_level": "L1" if i < 4 else "L3"} for i in range(8)]
    plain = [{"correct": i % 2 == 0, "minority": i % 2 == 1, "tokens": 10, "seconds": 1.0, "route": "plain"} for i in range(8)]
    better = [dict(r, correct=True, minority=False, tokens=4) for r in plain]
    summary = summarize(rows, {"plain": plain, "refine": better}, bootstrap=200)
    assert summary["plain"]["L1"]["accuracy"] == 0.5 and summary["plain"]["L1"]["minority_rate"] == 0.5
    assert summary["refine"]["all"]["difference_vs_plain"] == 0.5
    low, high = summary["refine"]["all"]["difference_vs_plain_ci"]
    assert 0 < low <= 0.5 <= high <= 1
    assert summary["plain"]["all"]["difference_vs_plain_ci"] == [0.0, 0.0]
    assert summary["refine"]["L3"]["tokens_per_row"] == 4 and summary["refine"]["L3"]["n"] == 4


@pytest.mark.parametrize("level, routed", [(0, "refine"), (2, "self_consistency")])
def test_hybrid_routes_as_the_classifier_says(tiny_bases, short_rows, tmp_path, level, routed):
    base = load_causal_base(str(tiny_bases["llama"]))
    classifier = make_classifier(tmp_path / "clf", base.tokenizer, level=level, confidence_logit=5.0)
    system = LCRSystem(base, *make_parts(base.model.config.hidden_size, epsilon=0.0), classifier=classifier)
    probabilities = np.array([r["conflict_probability"] for r in routes(system, short_rows)])
    system.detector.config.threshold = float(np.sort(probabilities)[1:3].mean())  # two rows fire
    plan = routes(system, short_rows)
    expected = [routed if p >= system.detector.config.threshold else "plain" for p in probabilities]
    assert [r["route"] for r in plan] == expected
    assert [r.route for r in system.generate(short_rows, max_new_tokens=3, batch_size=4)] == expected
    results = run_strategies(system, short_rows, ["plain", "refine", "self_consistency", "hybrid"], max_new_tokens=3,
                             progress=False)
    for i, route in enumerate(expected):
        hybrid, taken = results["hybrid"][i], results[route][i]
        assert hybrid["route"] == route and hybrid["answer"] == taken["answer"]
        assert hybrid["tokens"] == taken["tokens"] + (route == "self_consistency")
    oracle = routes(system, short_rows, oracle=True)  # true levels L1, L2, L3, L4
    assert [r["route"] for r in oracle] == [
        ("refine" if i < 2 else "self_consistency") if e != "plain" else "plain" for i, e in enumerate(expected)]


@pytest.mark.slow
def test_every_strategy_on_two_rows_of_the_real_base(smollm2_base, tmp_path):
    from lcr_hub import LCRDetector, LCRDetectorConfig, LCRRefinement, LCRRefinementConfig

    torch.manual_seed(0)  # untrained parts: this checks the mechanics on the real LM, not accuracy
    LCRDetector(LCRDetectorConfig(hidden_size=576, layer_index=15, pooling="documents", threshold=0.0)).save_pretrained(tmp_path / "det")
    LCRRefinement(LCRRefinementConfig(hidden_size=576, layer_index=15)).save_pretrained(tmp_path / "ref")
    out = tmp_path / "answers.json"
    done = subprocess.run(
        [sys.executable, "-m", "lcr_hub", "evaluate-answers", "--base", str(smollm2_base), "--detector", str(tmp_path / "det"),
         "--refinement", str(tmp_path / "ref"), "--data", "data/natural/validation.jsonl", "--limit", "2",
         "--max-new-tokens", "4", "--bootstrap", "20", "--output", str(out), "--plot", str(tmp_path / "a.png"), "--no-progress"],
        capture_output=True, text=True, env=script_env(), cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert set(report["summary"]) == set(STRATEGIES) and (tmp_path / "a.png").stat().st_size > 0
    assert report["base"]["revision"].startswith("sha256:") and report["data"][0]["sha256"]
    for row in report["rows"]:
        assert row["plain"]["tokens"] <= 4 and row["self_consistency"]["tokens"] <= 8 * 4
        assert len(row["self_consistency"]["samples"]) == 8 and row["refine"]["steps"] >= 1
        assert row["hybrid"]["route"] in ("refine", "self_consistency")  # threshold 0: every row fires
        assert row["oracle"]["route"] == "refine"  # the first natural rows are L1


def test_answer_evaluation_refuses_an_unknown_split_before_loading_anything():
    from lcr_hub.errors import ConfigError
    from lcr_hub.evaluation.answer_report import evaluate_answers

    with pytest.raises(ConfigError, match="split must be 'all' or 'validation'"):
        evaluate_answers("no-base", "no-detector", "no-refinement", data=["data/natural/validation.jsonl"], split="test")


def test_answer_evaluation_of_the_validation_part_answers_the_rows_training_held_out(tiny_bases, tmp_path, monkeypatch):
    from lcr_hub.data import load_lcr_dataset, train_validation_split
    from lcr_hub.evaluation.answer_report import evaluate_answers

    detector, refinement = make_parts(32)
    detector.save_pretrained(tmp_path / "det")
    refinement.save_pretrained(tmp_path / "ref")
    data = REPO / "data" / "natural" / "validation.jsonl"
    report = evaluate_answers(str(tiny_bases["llama"]), str(tmp_path / "det"), str(tmp_path / "ref"), data=[str(data)],
                              strategies=["plain"], split="validation", validation_fraction=0.1, max_new_tokens=1,
                              bootstrap=0, progress=False)
    held_out = train_validation_split(load_lcr_dataset([str(data)]), validation_fraction=0.1, seed=42)[1]
    assert [row["id"] for row in report["rows"]] == held_out["id"] and 0 < len(held_out) < 108
    assert report["settings"]["split"] == "validation"
