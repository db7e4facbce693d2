"""`lcr-hub evaluate` and the pipeline on the embedded checkpoints."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import make_row

from lcr_hub.cli import main
from lcr_hub.data import SAMPLE_DATA_PATH, build_detection_dataset, load_lcr_dataset
from lcr_hub.evaluation import bootstrap_intervals, calibration_errors, classifier_metrics, detector_metrics
from lcr_hub._hashing import sha256_file

REPO = Path(__file__).resolve().parents[1]


def test_detector_metrics_by_hand():
    m = detector_metrics([1, 1, 0, 0], [0.9, 0.3, 0.7, 0.1], ["L1", "L1", "L2", "L2"], threshold=0.6)
    assert (m["accuracy"], m["precision"], m["recall"], m["f1"]) == (0.5, 0.5, 0.5, 0.5)
    assert m["per_level"]["L1"] == {"n": 2, "accuracy": 0.5, "predicted_positive_rate": 0.5}
    assert m["per_level"]["L2"]["accuracy"] == 0.5 and "L3" not in m["per_level"]


def test_calibration_errors_by_hand():
    # Bins of width 1/15: 0.1 and 0.12 share bin 1 (mean 0.11, frequency 0.5, gap 0.39),
    # 0.9 is alone in bin 13 (gap 0.1), 0.95 alone in bin 14 (gap 0.05).
    ece, mce = calibration_errors([0, 1, 1, 1], [0.1, 0.12, 0.9, 0.95])
    assert ece == pytest.approx(0.5 * 0.39 + 0.25 * 0.1 + 0.25 * 0.05)
    assert mce == pytest.approx(0.39)
    assert calibration_errors([1], [1.0]) == (0.0, 0.0)  # 1.0 lands in the last bin
    assert calibration_errors([], []) == (0.0, 0.0)


def test_detector_calibration_and_ranking_by_hand():
    m = detector_metrics([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.7], ["L1"] * 4, threshold=0.6)
    assert m["auroc"] == pytest.approx(0.75)  # 3 of 4 positive/negative pairs ordered
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.36 + 0.49) / 4)
    assert m["ece"] == pytest.approx((0.1 + 0.2 + 0.6 + 0.7) / 4) and m["mce"] == pytest.approx(0.7)
    assert detector_metrics([1, 1], [0.9, 0.8], ["L1", "L1"], 0.6)["auroc"] is None


def test_bootstrap_resamples_groups_and_is_seeded():
    groups = ["a", "a", "b", "b", "c", "c"]
    values = np.array([1, 1, 0, 0, 1, 1])

    def mean(index):
        assert len(index) % 2 == 0  # a row never comes without its twin
        return {"mean": float(values[index].mean())}

    first = bootstrap_intervals(groups, mean, n=200, seed=3)
    assert first == bootstrap_intervals(groups, mean, n=200, seed=3)
    low, high = first["mean"]
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0 and low < high
    assert bootstrap_intervals(groups, mean, n=0) == {}


def test_classifier_metrics_by_hand():
    probs = np.eye(4)[[0, 0, 1, 3]]
    m = classifier_metrics([0, 1, 1, 3], probs)
    assert m["accuracy"] == 0.75
    assert m["per_level"]["L1"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    assert m["per_level"]["L2"]["recall"] == 0.5
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1.0) / 3)
    assert m["confusion_matrix"] == [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    assert m["ece"] == 0.25  # confidence 1.0 everywhere, accuracy 0.75


@pytest.mark.slow
def test_evaluate_cli_writes_report(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["evaluate", "--output", str(out), "--batch-size", "8", "--bootstrap", "200", "--deterministic", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "detector" in printed and "macro-F1" in printed
    report = json.loads(out.read_text())
    rows = load_lcr_dataset(SAMPLE_DATA_PATH)
    assert report["n_rows"] == len(rows)
    assert report["n_detection_examples"] == len(build_detection_dataset(rows))
    for key in ("accuracy", "precision", "recall", "f1"):
        assert 0.0 <= report["detector"][key] <= 1.0
    assert set(report["detector"]["per_level"]) == {"L1", "L2", "L3", "L4"}
    assert set(report["classifier"]["per_level"]) == {"L1", "L2", "L3", "L4"}
    assert report["throughput"]["examples_per_s"] > 0
    assert report["oracle_majority_vote"]["detector_accuracy"] == 1.0  # perfect by construction
    for key in ("accuracy", "f1", "auroc"):
        low, high = report["detector"]["ci95"][key]
        assert low <= report["detector"][key] <= high
    # ECE is biased under resampling, so its interval need not contain the point estimate.
    assert set(report["detector"]["ci95"]) == {"accuracy", "f1", "auroc", "ece"}
    assert set(report["classifier"]["ci95"]) == {"accuracy", "macro_f1"}
    assert report["bootstrap"]["replicates"] == 200
    provenance = report["provenance"]
    assert provenance["seed"] == 42 and provenance["deterministic"] is True and provenance["device"] == "cpu"
    assert provenance["lcr_hub_version"] and provenance["wall_time_s"] > 0
    assert provenance["git_commit"] is None or len(provenance["git_commit"]) == 40
    weights = REPO / "checkpoints" / "detector" / "model.safetensors"
    assert report["models"]["detector"]["files"]["model.safetensors"] == sha256_file(weights)
    assert report["data"]["files"][0]["sha256"] == sha256_file(SAMPLE_DATA_PATH)


def test_evaluate_cli_reports_bad_data_clearly(tmp_path, capsys, write_jsonl):
    bad = write_jsonl(['{"id": "r1", "query": "q", "documents": [], "gold_answer": "a", "conflict_level": "L1"}'])
    assert main(["evaluate", "--data", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1" in err and "documents" in err


def test_evaluate_cli_refuses_data_without_a_conflict(capsys, write_jsonl):
    agreeing = write_jsonl([make_row("r1", "L1", ["1901", "1901", "1901"], "1901")])
    assert main(["evaluate", "--data", str(agreeing), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(agreeing) in err and "none of the 1 rows has a conflict" in err


def test_evaluate_cli_reports_missing_checkpoint(tmp_path, capsys):
    assert main(["evaluate", "--detector", str(tmp_path / "nope"), "--no-progress"]) == 2
    assert "nope" in capsys.readouterr().err


def test_env_command_lists_versions_and_paths(capsys):
    assert main(["env", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["versions"]["torch"] and report["versions"]["transformers"]
    assert report["encoder"]["verified"] is True
    assert report["checkpoints"]["detector"].endswith("detector")


@pytest.mark.slow
def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "lcr_hub", "env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "embedded encoder" in result.stdout


@pytest.mark.slow
def test_evaluate_writes_plots(tmp_path):
    from PIL import Image

    from lcr_hub.evaluation.evaluate import evaluate

    report = evaluate(plots=tmp_path / "plots", bootstrap=0, progress=False)
    for name in ("reliability_diagram", "confusion_matrix"):
        path = tmp_path / "plots" / f"{name}.png"
        assert report["plots"][name] == str(path)
        image = np.asarray(Image.open(path).convert("L"), dtype=float)
        assert image.shape[0] >= 400 and image.shape[1] >= 500
        assert image.std() > 10  # not blank: axes, bars and text
    assert not [p.name for p in (tmp_path / "plots").iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.slow
def test_two_processes_give_the_one_process_report(tmp_path):
    # 9 rows -> 18 examples -> batches of 4, 4, 4, 4, 2: five batches on two processes, so
    # Accelerate pads the last round with a repeated batch that gather_for_metrics must drop.
    data = tmp_path / "nine.jsonl"
    data.write_text("\n".join(SAMPLE_DATA_PATH.read_text().splitlines()[:9]) + "\n")
    # torchrun gives each process one thread; the single process gets the same, since the
    # thread count changes float32 reductions (and so the last bits of the probabilities).
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    args = ["-m", "lcr_hub", "evaluate", "--data", str(data), "--batch-size", "4", "--bootstrap", "100", "--no-progress"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    outputs = {}
    for name, launcher, extra in (("one", [sys.executable], []), ("two", torchrun, ["--plots", str(tmp_path / "plots")])):
        outputs[name] = tmp_path / f"{name}.json"
        result = subprocess.run(
            [*launcher, *args, "--output", str(outputs[name]), *extra],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        # Only the main process prints the table and writes the files.
        assert result.stdout.count("rows: 9 ") == 1 and result.stdout.count("wrote ") == 1, result.stdout
    one, two = (json.loads(outputs[name].read_text()) for name in ("one", "two"))
    for key in ("n_rows", "n_detection_examples", "detector", "classifier", "oracle_majority_vote", "bootstrap"):
        assert one[key] == two[key], key  # exact: the same floats, bit for bit
    assert two["detector"]["n"] == 18 and two["classifier"]["n"] == 9 and two["throughput"]["examples"] == 18
    assert (one["provenance"]["num_processes"], two["provenance"]["num_processes"]) == (1, 2)
    assert two["provenance"]["distributed_type"] == "MULTI_CPU"
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["confusion_matrix.png", "reliability_diagram.png"]


@pytest.mark.hub
@pytest.mark.slow
def test_evaluate_reads_a_hub_dataset_repo_pinned_to_a_revision(hub_env, hub_dataset_repo):
    from lcr_hub.errors import DataError
    from lcr_hub.evaluation.evaluate import evaluate

    hub_env()
    sample = Path(SAMPLE_DATA_PATH).read_bytes()
    lines = sample.decode().splitlines(keepends=True)
    first = hub_dataset_repo("lcr-tests/sample-rows", {"data/rows.jsonl": "".join(lines[:4]).encode()})
    hub_dataset_repo("lcr-tests/sample-rows", {"data/rows.jsonl": sample}, message="all rows")
    pinned = evaluate(["hf://datasets/lcr-tests/sample-rows"], data_revision=first, bootstrap=0, progress=False)
    local = evaluate([SAMPLE_DATA_PATH], bootstrap=0, progress=False)
    assert pinned["n_rows"] == 4 and local["n_rows"] == len(lines)
    assert pinned["data"]["revision"] == first and pinned["data"]["sources"] == ["hf://datasets/lcr-tests/sample-rows"]
    assert first in pinned["data"]["files"][0]["path"]  # the snapshot of that commit
    latest = evaluate(["hf://datasets/lcr-tests/sample-rows"], bootstrap=0, progress=False)  # main: the second commit
    assert latest["detector"] == local["detector"] and latest["classifier"] == local["classifier"]
    with pytest.raises(DataError, match="Could not fetch the dataset repo 'lcr-tests/no-such-rows'"):
        evaluate(["hf://datasets/lcr-tests/no-such-rows"], bootstrap=0, progress=False)
    with pytest.raises(DataError, match="dataset repos only"):
        evaluate([SAMPLE_DATA_PATH], data_revision=first, bootstrap=0, progress=False)
