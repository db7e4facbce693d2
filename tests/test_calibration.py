"""Temperature scaling: fitted by NLL, lowers NLL on miscalibrated data, writes calibrated copies."""

import json

import numpy as np
import pytest

from lcr_hub import LCRDetector
from lcr_hub.errors import CheckpointError
from lcr_hub.evaluation.calibration import calibrate, fit_temperature, negative_log_likelihood
from lcr_hub._hashing import sha256_file


def test_fit_recovers_a_known_binary_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=20000)
    labels = (rng.random(20000) < 1 / (1 + np.exp(-logits / 3.0))).astype(int)  # true T = 3
    assert fit_temperature(logits, labels) == pytest.approx(3.0, rel=0.05)


def test_temperature_scaling_lowers_nll_on_miscalibrated_classes():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 1.5, size=(5000, 4))
    probs = np.exp(true_logits) / np.exp(true_logits).sum(-1, keepdims=True)
    targets = np.array([rng.choice(4, p=p) for p in probs])
    overconfident = true_logits * 4  # a model four times too sure of itself
    t = fit_temperature(overconfident, targets)
    assert t == pytest.approx(4.0, rel=0.1)
    assert negative_log_likelihood(overconfident, targets, t) < negative_log_likelihood(overconfident, targets) - 0.5


@pytest.mark.slow
def test_calibrate_writes_copies_with_the_fitted_temperature(tmp_path):
    from lcr_hub.checkpoint import default_checkpoint
    from lcr_hub.data import SAMPLE_DATA_PATH

    records = calibrate([SAMPLE_DATA_PATH], tmp_path / "cal", progress=False, force=True)  # 12 rows: worse held out
    for name in ("detector", "classifier"):
        source, out = default_checkpoint(name), tmp_path / "cal" / name
        assert sha256_file(out / "model.safetensors") == sha256_file(source / "model.safetensors")
        config = json.loads((out / "config.json").read_text())
        assert config["calibration_temperature"] == records[name]["temperature"]
        metadata = json.loads((out / "training_metadata.json").read_text())
        assert metadata["calibration"]["after"]["nll"] <= metadata["calibration"]["before"]["nll"] + 1e-9
        card = (out / "README.md").read_text()
        assert "## Calibration" in card and f"{records[name]['temperature']:.4f}" in card
    model = LCRDetector.from_pretrained(tmp_path / "cal" / "detector")
    assert model.config.calibration_temperature == records["detector"]["temperature"]
    assert not [p for p in (tmp_path / "cal").iterdir() if p.name.startswith(".")]
    # The reference outputs follow the new temperature, so the calibrated copy validates.
    from lcr_hub.evaluation.reference import validate_checkpoint

    for name in ("detector", "classifier"):
        assert validate_checkpoint(tmp_path / "cal" / name, recompute_figures=False)["ok"]


@pytest.mark.slow
def test_calibrate_refuses_a_fit_that_is_worse_out_of_sample(tmp_path, monkeypatch):
    from lcr_hub.data import SAMPLE_DATA_PATH
    from lcr_hub.errors import CalibrationFitError
    from lcr_hub.evaluation import calibration

    real = calibration.cross_fitted

    def worse_ece(*args, **kwargs):  # the held-out ECE rises although the in-sample NLL falls
        record = real(*args, **kwargs)
        record["after"]["ece"] = record["before"]["ece"] + 0.01
        return record

    monkeypatch.setattr(calibration, "cross_fitted", worse_ece)
    monkeypatch.setattr(calibration, "separates", lambda logits, y: False)  # fit both models
    with pytest.raises(CalibrationFitError, match=r"held-out scores worse.*detector ECE.*--force"):
        calibrate([SAMPLE_DATA_PATH], tmp_path / "cal", progress=False)
    assert not (tmp_path / "cal").exists()
    records = calibrate([SAMPLE_DATA_PATH], tmp_path / "cal", progress=False, force=True)
    assert (tmp_path / "cal" / "detector" / "config.json").is_file()
    assert calibration.worse_out_of_sample(records)


def test_calibrate_refuses_to_overwrite_its_source(tmp_path):
    from lcr_hub.checkpoint import default_checkpoint

    with pytest.raises(CheckpointError, match="source checkpoint"):
        calibrate(["unused.jsonl"], default_checkpoint("detector").parent, progress=False)


def test_separable_examples_have_no_temperature_to_fit():
    from lcr_hub.evaluation.calibration import separates

    assert separates(np.array([3.0, -2.0, 0.5]), np.array([1, 0, 1]))
    assert not separates(np.array([3.0, -2.0, -0.5]), np.array([1, 0, 1]))
    assert separates(np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([0, 1]))
    # On separable examples the NLL keeps falling as T -> 0: no interior minimum.
    logits, targets = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([0, 1])
    nll = [negative_log_likelihood(logits, targets, t) for t in (1.0, 0.5, 0.1, 0.01)]
    assert nll == sorted(nll, reverse=True)


def test_cross_fitting_scores_each_half_at_the_other_halfs_temperature():
    from lcr_hub.evaluation.calibration import _halves, cross_fitted
    from lcr_hub.evaluation.metrics import calibration_errors

    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, size=4000)
    labels = (rng.random(4000) < 1 / (1 + np.exp(-logits))).astype(int)
    overconfident = logits * 3
    groups = [f"q{i // 2}" for i in range(4000)]  # pairs, like a conflict and its twin
    first, second = _halves(groups, seed=0)
    assert {groups[i] for i in first}.isdisjoint(groups[i] for i in second) and len(first) + len(second) == 4000
    record = cross_fitted(overconfident, labels, groups, current=1.0, seed=0)
    t1, t2 = record["temperatures"]
    assert t1 == pytest.approx(fit_temperature(overconfident[first], labels[first]))
    assert t2 == pytest.approx(fit_temperature(overconfident[second], labels[second]))
    probs = np.empty(4000)
    probs[second] = 1 / (1 + np.exp(-overconfident[second] / t1))
    probs[first] = 1 / (1 + np.exp(-overconfident[first] / t2))
    assert record["after"]["ece"] == pytest.approx(calibration_errors(labels, probs)[0])
    assert record["after"]["ece"] < record["before"]["ece"] - 0.05
    assert record["after"]["nll"] < record["before"]["nll"]
