"""Reference outputs beside the weights and `lcr-hub validate`."""

import json
import shutil

import pytest
from safetensors.torch import load_file, save_file

from lcr_hub.errors import CheckpointError
from lcr_hub.checkpoint import default_checkpoint, write_manifest
from lcr_hub.cli import main
from lcr_hub.constants import METADATA_NAME, REFERENCE_NAME
from lcr_hub.evaluation.calibration import calibrate
from lcr_hub.evaluation.reference import (
    FIGURE_TOLERANCES,
    figures_temperature,
    reference_examples,
    validate_checkpoint,
    validate_checkpoints,
)


def test_reference_inputs_hold_no_annotations():
    examples = reference_examples()
    assert len(examples) == 8
    assert all(set(d) == {"text"} for e in examples for d in e["documents"])


@pytest.mark.slow
@pytest.mark.parametrize("component", ["detector", "classifier"])
def test_shipped_checkpoints_reference_outputs_validate(component):
    report = validate_checkpoint(default_checkpoint(component), recompute_figures=False)
    assert report["ok"] and report["max_abs_drift"] <= 1e-4
    assert report["calibration"] == {"checked": False, "reason": "not asked for (reference outputs only)"}


@pytest.mark.slow
@pytest.mark.benchmark_data
def test_shipped_checkpoints_validate_their_calibration_figures(bench_dev, capsys):
    # Recomputes ECE (and the detector's Brier) on the validation part of the dev split the
    # metadata records (sha256-checked), one encoder pass shared by both models.
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "not recomputed" not in out and "DRIFT" not in out
    assert out.count("validation set 'benchmark_dev'") == 2
    assert out.count("ok     ece") == 2 and out.count("ok     brier") == 1


@pytest.mark.slow
def test_perturbed_weight_is_reported_as_drift(tmp_path, capsys):
    folder = tmp_path / "detector"
    shutil.copytree(default_checkpoint("detector"), folder)
    tensors = load_file(folder / "model.safetensors")
    tensors["fc2.bias"] = tensors["fc2.bias"] - 3.0  # shifts every logit by -3
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    (folder / "checksums.sha256").unlink(missing_ok=True)  # else the digest check refuses the folder first
    report = validate_checkpoint(folder, recompute_figures=False)
    assert not report["ok"] and report["max_abs_drift"] > 0.01
    assert main(["validate", "--detector", str(folder), "--reference-only"]) == 1
    captured = capsys.readouterr()
    assert "DRIFT" in captured.out and "Calibration drift detected" in captured.err


def test_folder_without_reference_is_refused(tmp_path):
    folder = tmp_path / "detector"
    shutil.copytree(default_checkpoint("detector"), folder)
    (folder / REFERENCE_NAME).unlink(missing_ok=True)
    with pytest.raises(CheckpointError, match="reference_outputs.json is missing"):
        validate_checkpoint(folder)


@pytest.mark.slow
def test_validate_in_bfloat16_uses_the_looser_tolerance():
    report = validate_checkpoint(default_checkpoint("classifier"), dtype="bfloat16", recompute_figures=False)
    assert report["tolerance"] == 2e-2 and report["dtype"] == "bfloat16"
    assert report["ok"], report


def _copy_with_metadata(source, target, **data_file):
    """Copy a checkpoint folder, optionally changing its first recorded data file.

    The edit is deliberate, so the copy's checksums.sha256 is rewritten (loading checks it).
    """
    shutil.copytree(source, target)
    metadata = json.loads((target / METADATA_NAME).read_text())
    metadata["data"]["files"][0].update(data_file)
    (target / METADATA_NAME).write_text(json.dumps(metadata))
    write_manifest(target)
    return target


@pytest.mark.slow
def test_validate_recomputes_the_stored_figures(tiny_detector):
    report = validate_checkpoint(tiny_detector)
    calibration = report["calibration"]
    assert report["ok"] and calibration["checked"] and calibration["ok"]
    assert calibration["n"] == calibration["stored_n"] == 16 and calibration["temperature"] == 1.0
    assert set(calibration["figures"]) == {"ece", "brier"}
    for figure in calibration["figures"].values():
        assert figure["drift"] < 1e-9  # the same computation as training's, on the same machine


@pytest.mark.slow
def test_validate_reports_figure_drift_after_a_perturbed_weight(tiny_detector, tmp_path):
    folder = _copy_with_metadata(tiny_detector, tmp_path / "detector")
    tensors = load_file(folder / "model.safetensors")
    tensors["fc2.bias"] = tensors["fc2.bias"] + 2.0  # every probability moves up
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    write_manifest(folder)  # a deliberate re-save (an unrecorded change is refused at load: test_checkpoint.py)
    [report] = validate_checkpoints([folder])
    calibration = report["calibration"]
    assert calibration["checked"] and not calibration["ok"] and not report["ok"]
    assert calibration["figures"]["brier"]["drift"] > FIGURE_TOLERANCES["float32"]
    assert calibration["figures"]["ece"]["drift"] > FIGURE_TOLERANCES["float32"]


@pytest.mark.slow
def test_validate_says_why_it_cannot_check_the_figures(tiny_detector, tiny_training_data, tmp_path):
    changed = tmp_path / "changed.jsonl"
    changed.write_text(tiny_training_data.read_text().replace("Question 0", "Question zero", 1))
    for name, data_file, expected in (
        ("changed", {"path": str(changed)}, "it is not the data the stored figures were measured on"),
        ("missing", {"path": "no/such/file.jsonl"}, "no/such/file.jsonl (recorded in training_metadata.json) is not under"),
    ):
        report = validate_checkpoint(_copy_with_metadata(tiny_detector, tmp_path / name, **data_file))
        assert report["calibration"]["checked"] is False and expected in report["calibration"]["reason"]
        assert report["ok"]  # the reference outputs still validate; only the figures went unchecked


def test_figures_temperature_survives_repeated_calibration():
    trained = {"config": {"calibration_temperature": 1.0}}
    once = {"config": {"calibration_temperature": 1.7}, "calibration": {"before": {"temperature": 1.0}}}
    twice = {"config": {"calibration_temperature": 1.6},
             "calibration": {"before": {"temperature": 1.7}, "validation_temperature": 1.0}}
    assert [figures_temperature(m) for m in (trained, once, twice)] == [1.0, 1.0, 1.0]


@pytest.mark.slow
def test_a_calibrated_copy_validates_against_the_figures_of_training(tiny_detector, tiny_training_data, tmp_path):
    # Calibration changes the temperature but not the stored figures (measured at T = 1).
    calibrate([tiny_training_data], tmp_path, detector=tiny_detector, progress=False, force=True)  # tiny data: the held-out fit may be worse
    metadata = json.loads((tmp_path / "detector" / METADATA_NAME).read_text())
    assert metadata["config"]["calibration_temperature"] != 1.0 and metadata["calibration"]["validation_temperature"] == 1.0
    report = validate_checkpoint(tmp_path / "detector")
    assert report["ok"] and report["calibration"]["checked"] and report["calibration"]["temperature"] == 1.0
