"""The original release's workflow: LCRModelLoader, CalibrationValidator and the two scripts."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import REPO
from lcr_hub import LCRClassifier, LCRDetector
from lcr_hub.errors import CalibrationDriftError, CheckpointError, ConfigError, IncompatibleEnvironmentError, IntegrityError
from lcr_hub.compat import CalibrationValidator, LCRModelLoader
from lcr_hub.checkpoint import EMBEDDED_CHECKPOINTS as REPO_CHECKPOINTS
from lcr_hub.cli import main
from lcr_hub.evaluation.reference import DRIFT_MESSAGE

README = REPO / "docs" / "original-release.md"  # the section moved out of the README


@pytest.fixture
def checkpoints(tmp_path):
    """A copy of the embedded checkpoints (never modify checkpoints/ itself)."""
    return shutil.copytree(REPO_CHECKPOINTS, tmp_path / "checkpoints")


def _readme_section() -> str:
    text = README.read_text()
    return text[text.index("## Coming from the original release"):].split("\n## ", 1)[0]


@pytest.mark.slow
def test_readme_workflow_runs_top_to_bottom(checkpoints, monkeypatch, capsys):
    [block] = re.findall(r"```python\n(.*?)```", _readme_section(), flags=re.S)
    monkeypatch.chdir(checkpoints.parent)  # `checkpoints/` is the copy; the training data is not beside it
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "No refinement checkpoint of variant 'minilm'" in out and "refinement/config.json" in out
    assert "Released refinement variants: ['refinement/smollm2_135m_instruct']" in out
    assert "Trained with PyTorch: " in out and "Validation accuracy: 0." in out
    assert "drift detected" not in out


def test_readme_troubleshooting_quotes_our_messages(tmp_path):
    section = " ".join(_readme_section().split())
    quoted = re.findall(r"- `((?:Checkpoint hash mismatch|Calibration drift detected)[^`]*)`", section)
    assert len(quoted) == 2
    mismatch = str(IntegrityError(tmp_path / "model.safetensors", "a" * 64, "b" * 64))
    pattern = re.escape(quoted[0]).replace("<file>", ".+").replace("<pinned>", "a+").replace("<actual>", "b+")
    assert re.match(pattern, mismatch)
    assert DRIFT_MESSAGE.startswith(quoted[1])


def test_validate_environment_needs_no_gpu(checkpoints):
    report = LCRModelLoader(checkpoint_dir=checkpoints, device="cpu", precision="bf16").validate_environment()
    assert report.fully_compatible, report.format()
    names = [c.name for c in report.checks]
    for name in ("python", "package torch", "package transformers", "device cpu", "dtype bfloat16", "encoder",
                 "checkpoint detector", "checkpoint classifier"):
        assert name in names
    assert "checkpoint refinement" not in names  # optional, and absent from this release
    assert "sha256 verified" in report.checks[names.index("checkpoint detector")].detail


def test_unavailable_device_is_reported_and_strict_raises(checkpoints):
    report = LCRModelLoader(checkpoint_dir=checkpoints, device="cuda:99").validate_environment()
    assert not report.fully_compatible
    assert [c.name for c in report.failures] == ["device cuda:99", "dtype float32"]
    with pytest.raises(IncompatibleEnvironmentError, match="device cuda:99"):
        LCRModelLoader(checkpoint_dir=checkpoints, device="cuda:99", strict_validation=True).validate_environment()


def test_bad_precision_and_device_are_config_errors(checkpoints):
    with pytest.raises(ConfigError, match="precision 'fp8'"):
        LCRModelLoader(checkpoint_dir=checkpoints, precision="fp8")
    with pytest.raises(ConfigError, match="not a torch device"):
        LCRModelLoader(checkpoint_dir=checkpoints, device="gpu please")


def _tamper(path):
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # same size, one byte of a tensor changed
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_tampered_checkpoint_raises_integrity_error(checkpoints):
    _tamper(checkpoints / "detector" / "model.safetensors")
    loader = LCRModelLoader(checkpoint_dir=checkpoints, calibration_check=False, device="cpu")
    with pytest.raises(IntegrityError, match="Checkpoint hash mismatch for .*detector/model.safetensors"):
        loader.load_detector()
    report = loader.validate_environment()
    [failed] = report.failures
    assert failed.name == "checkpoint detector" and "Checkpoint hash mismatch" in failed.detail
    with pytest.raises(IncompatibleEnvironmentError, match="Checkpoint hash mismatch"):
        LCRModelLoader(checkpoint_dir=checkpoints, strict_validation=True).validate_environment()
    assert isinstance(loader.load_classifier(), LCRClassifier)  # the untouched model still loads


@pytest.mark.slow
def test_perturbed_weight_is_drift_and_strict_raises(checkpoints, capsys):
    detector = LCRModelLoader(checkpoint_dir=checkpoints, calibration_check=False, device="cpu").load_detector()
    with torch.no_grad():
        detector.fc2.bias -= 3.0  # shifts every logit by -3
    is_valid, report = CalibrationValidator(recompute_figures=False).validate_detector(detector)
    assert not is_valid and report["max_abs_drift"] > 0.01
    CalibrationValidator.print_report(report)
    out = capsys.readouterr().out
    assert out.startswith("DRIFT  lcr_detector") and "Calibration drift detected" in out
    with pytest.raises(CalibrationDriftError, match="Calibration drift detected"):
        CalibrationValidator(strict=True, recompute_figures=False).validate_full_system(detector=detector)

    # The same drift saved to disk is caught on load (the digest check would refuse the folder first).
    tensors = load_file(checkpoints / "detector" / "model.safetensors")
    tensors["fc2.bias"] = tensors["fc2.bias"] - 3.0
    save_file(tensors, checkpoints / "detector" / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(IntegrityError):
        LCRModelLoader(checkpoint_dir=checkpoints).load_detector()
    (checkpoints / "detector" / "checksums.sha256").unlink(missing_ok=True)  # the recorded digests would refuse it first
    with pytest.warns(UserWarning, match="Calibration drift detected"):
        LCRModelLoader(checkpoint_dir=checkpoints, verify_integrity=False).load_detector()
    with pytest.raises(CalibrationDriftError, match="Calibration drift detected"):
        LCRModelLoader(checkpoint_dir=checkpoints, verify_integrity=False, strict_validation=True).load_detector()


def test_missing_refinement_and_unknown_variant_say_what_exists(checkpoints):
    loader = LCRModelLoader(checkpoint_dir=checkpoints, calibration_check=False)
    with pytest.raises(CheckpointError, match="No refinement checkpoint of variant 'minilm'") as error:
        loader.load_refinement()
    assert "refinement/config.json" in str(error.value) and "refinement/smollm2_135m_instruct" in str(error.value)
    with pytest.raises(CheckpointError, match="variant 'deberta_v3_large'") as error:
        loader.load_classifier(variant="deberta_v3_large")
    assert "minilm" in str(error.value) and "classifier/minilm" in str(error.value)


@pytest.mark.slow
def test_hub_layout_precision_and_full_system(tmp_path, capsys):
    # The Hub repo's layout, <component>/<variant>/, as `hf download` leaves it.
    for component in ("detector", "classifier"):
        shutil.copytree(REPO_CHECKPOINTS / component, tmp_path / component / "minilm")
    loader = LCRModelLoader(checkpoint_dir=tmp_path, strict_validation=True, device="cpu", precision="bf16")
    models = loader.load_all()
    assert sorted(models) == ["classifier", "detector"]
    assert isinstance(models["detector"], LCRDetector) and models["detector"].dtype == torch.bfloat16
    validator = CalibrationValidator(strict=True, recompute_figures=False)  # figures: test_reference.py
    all_valid, reports = validator.validate_full_system(**models)
    assert all_valid and sorted(reports) == ["classifier", "detector"]
    assert all(r["dtype"] == "bfloat16" and r["tolerance"] == 2e-2 for r in reports.values())
    is_valid, report = validator.validate_classifier(models["classifier"])
    assert is_valid and report["model_type"] == "lcr_classifier"
    with pytest.raises(ConfigError, match="expected an LCRDetector"):
        validator.validate_detector(models["classifier"])
    with pytest.raises(CheckpointError, match="refinement module cannot be calibration-checked"):
        validator.validate_full_system(detector=models["detector"], refinement=models["detector"])
    validator.print_report(reports)
    assert capsys.readouterr().out.count("ok     lcr_") == 2


def _script(name, *args, cwd=REPO):
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's lcr_hub, not another install's
    return subprocess.run([sys.executable, str(REPO / "scripts" / name), *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


@pytest.mark.slow
def test_scripts_print_what_the_cli_prints(checkpoints, capsys):
    env = _script("verify_environment.py", "--strict")
    assert env.returncode == 0, env.stderr
    assert main(["env", "--strict"]) == 0
    assert env.stdout == capsys.readouterr().out
    assert "compatibility (device cpu, float32): fully compatible" in env.stdout

    args = ["--checkpoint", str(checkpoints), "--reference-only"]
    calibration = _script("eval_calibration.py", *args)
    assert calibration.returncode == 0, calibration.stderr
    assert main(["validate", *args]) == 0
    assert calibration.stdout == capsys.readouterr().out
    assert calibration.stdout.count("ok     lcr_") == 2


@pytest.mark.hub
@pytest.mark.slow
def test_loader_on_a_hub_repo_loads_the_pinned_releases(hub_env):
    from lcr_hub.constants import DEFAULT_REPO_ID
    from lcr_hub.hub.registry import get_variant

    hub_env()
    loader = LCRModelLoader(checkpoint_dir=DEFAULT_REPO_ID, strict_validation=True, verify_integrity=True,
                            calibration_check=True, device="cpu", precision="fp32")
    report = loader.validate_environment()
    assert report.fully_compatible, report.format()
    detector, classifier = loader.load_detector(), loader.load_classifier(variant="minilm")
    assert isinstance(detector, LCRDetector) and isinstance(classifier, LCRClassifier)
    # Each component comes from its newest registry release, byte for byte.
    assert f"@{get_variant('detector/minilm').commit}" in "".join(c.detail for c in report.checks)
    assert detector.config.mixing_layers == 1  # detector-minilm-v8, the current embedded detector
    with pytest.raises(IncompatibleEnvironmentError, match="Pin a full commit sha"):
        LCRModelLoader(checkpoint_dir=DEFAULT_REPO_ID, revision="main", strict_validation=True).load_detector()
