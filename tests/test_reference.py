"""Reference outputs beside the weights and `lcr-hub validate`."""

import shutil

import pytest
from safetensors.torch import load_file, save_file

from lcr_hub import CheckpointError
from lcr_hub._modules.paths import default_checkpoint
from lcr_hub.cli import main
from lcr_hub.constants import REFERENCE_NAME
from lcr_hub.evaluation.reference import reference_examples, validate_checkpoint


def test_reference_inputs_hold_no_annotations():
    examples = reference_examples()
    assert len(examples) == 8
    assert all(set(d) == {"text"} for e in examples for d in e["documents"])


@pytest.mark.slow
@pytest.mark.parametrize("component", ["detector", "classifier"])
def test_shipped_checkpoints_validate(component):
    report = validate_checkpoint(default_checkpoint(component))
    assert report["ok"] and report["max_abs_drift"] <= 1e-4


@pytest.mark.slow
def test_perturbed_weight_is_reported_as_drift(tmp_path, capsys):
    folder = tmp_path / "detector"
    shutil.copytree(default_checkpoint("detector"), folder)
    tensors = load_file(folder / "model.safetensors")
    tensors["fc2.bias"] = tensors["fc2.bias"] - 3.0  # shifts every logit by -3
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    report = validate_checkpoint(folder)
    assert not report["ok"] and report["max_abs_drift"] > 0.01
    assert main(["validate", "--detector", str(folder)]) == 1
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
    report = validate_checkpoint(default_checkpoint("classifier"), dtype="bfloat16")
    assert report["tolerance"] == 2e-2 and report["dtype"] == "bfloat16"
    assert report["ok"], report
