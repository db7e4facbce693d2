"""Releases rebuilt from their recorded steps: a tiny generate -> train -> release, replayed and compared."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lcr_hub._hashing import sha256_file
from lcr_hub.checkpoint import default_checkpoint, read_checkpoint, read_metadata, retemper
from lcr_hub.constants import CHECKSUMS_NAME, METADATA_NAME, MODEL_CARD_NAME, REGISTRY_ENV, WEIGHTS_NAME
from lcr_hub.errors import CheckpointError
from lcr_hub.hub.publish import prepare_release_folder
from lcr_hub.hub.registry import FileDigest, Variant, add_variant
from lcr_hub.rebuild import RebuildError, compare_release, rebuild_variant
from lcr_hub.release_constraints import constraint_problems, pinned_versions, rebuildable
from lcr_hub.steps import RELEASE_CONSTRAINTS

REPO = Path(__file__).resolve().parents[1]
TAG = "classifier-tiny-v1"
RELEASE_COMMAND = f"lcr-hub publish checkpoints/classifier --variant classifier/tiny --tag {TAG}"


def _script(script: str, *args: str) -> None:
    """Run ``python scripts/<script> args`` in this process, from the current directory (as a user would)."""
    argv = sys.argv
    sys.argv = [f"scripts/{script}", *args]
    try:
        with pytest.raises(SystemExit) as exit_:
            runpy.run_path(f"scripts/{script}", run_name="__main__")  # it sets sys.argv[0] to this path
    finally:
        sys.argv = argv
    assert exit_.value.code == 0


@pytest.fixture(scope="module")
def tiny_release(tiny_training_data, tmp_path_factory):
    """A clone's working directory where data were generated, a classifier trained and released, and a registry."""
    root = tmp_path_factory.mktemp("clone")
    (root / "data").mkdir()
    (root / "scripts").symlink_to(REPO / "scripts")  # a clone's scripts
    shutil.copyfile(tiny_training_data, root / "data" / "tiny.jsonl")
    registry = root / "registry.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv(REGISTRY_ENV, str(registry))
        _script("generate_conflicts.py", "--output-dir", "data/generated", "--n-per-level", "2", "--n-consistent", "2",
                "--seed", "3")
        _script("train_classifier.py", "--data", "data/tiny.jsonl", "--extra-train", "data/generated/conflicts.jsonl",
                "--output", "checkpoints/classifier", "--epochs", "2", "--validation-fraction", "0.25", "--no-progress")
        model_type, files = prepare_release_folder("checkpoints/classifier", root / "release", subfolder="classifier/tiny",
                                                   tag=TAG, release_command=RELEASE_COMMAND)
        add_variant(Variant("classifier/tiny", model_type, "lcr-research/lcr-checkpoints", "classifier/tiny", TAG,
                            "0" * 40, {n: FileDigest(d.sha256, d.size) for n, d in files.items()}))
    return root


@pytest.fixture(scope="module")
def rebuilt(tiny_release, tmp_path_factory):
    """The tiny release rebuilt from its recorded steps (generate and train run again, in fresh processes)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(REGISTRY_ENV, str(tiny_release / "registry.json"))
        output = tmp_path_factory.mktemp("rebuilt") / "classifier"
        return rebuild_variant(TAG, output, inputs=tiny_release, release_folder=tiny_release / "release")


@pytest.mark.slow
def test_release_records_every_step_and_its_card_lists_them(tiny_release):
    metadata = read_metadata(tiny_release / "release")
    assert [s["kind"] for s in metadata.steps] == ["generate", "train", "release"]
    generate, train, release = metadata.steps
    assert generate["command"].startswith("python scripts/generate_conflicts.py --output-dir data/generated")
    assert generate["outputs"] == ["data/generated/conflicts.jsonl"]
    assert train["command"] == metadata.command and train["output"] == "checkpoints/classifier"
    assert release["command"] == RELEASE_COMMAND and release["tag"] == TAG
    assert all(s["versions"]["pytorch_version"] == torch.__version__ for s in metadata.steps)
    card = (tiny_release / "release" / MODEL_CARD_NAME).read_text()
    assert "## How these bytes were made" in card
    assert f"1. generate:\n\n   ```bash\n   {generate['command']}\n" in card and f"3. release:\n\n   ```bash\n   {RELEASE_COMMAND}" in card
    assert f"-c {RELEASE_CONSTRAINTS}" in card and f"rebuild {TAG} --output" in card


@pytest.mark.slow
def test_tiny_release_rebuilds_byte_for_byte(rebuilt, tiny_release):
    assert [(f.name, f.status) for f in rebuilt.files if f.status != "ok"] == [], "\n".join(rebuilt.lines())
    assert {f.name for f in rebuilt.files} >= {WEIGHTS_NAME, "training_metadata.json", MODEL_CARD_NAME, CHECKSUMS_NAME}
    assert rebuilt.ok and rebuilt.versions == [] and rebuilt.notes == []
    # The same training command run twice (here, then in a fresh process) gives the same weights.
    assert sha256_file(rebuilt.folder / WEIGHTS_NAME) == sha256_file(tiny_release / "checkpoints/classifier" / WEIGHTS_NAME)
    assert rebuilt.lines()[-1].endswith("byte for byte the release")


@pytest.mark.slow
def test_changed_weights_are_reported_with_their_largest_tensor_difference(rebuilt, tiny_release, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(tiny_release / "release", tampered)
    tensors = load_file(tampered / WEIGHTS_NAME)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 0.01
    save_file(tensors, tampered / WEIGHTS_NAME, metadata={"format": "pt"})
    expected = {n: sha256_file(tampered / n) for n in (p.name for p in tampered.iterdir())}
    report = compare_release(rebuilt.folder, expected, tampered, TAG)
    weights = next(f for f in report.files if f.name == WEIGHTS_NAME)
    assert weights.status == "differs" and not report.ok
    assert report.max_tensor_difference == pytest.approx(0.01, abs=1e-6)
    assert any(line.startswith(f"{name}: max |difference|") for line in weights.details)
    assert report.figures and all(a == b for _, a, b in report.figures)  # same figures, side by side
    assert "benchmark_dev.macro_f1" in {figure for figure, _, _ in report.figures}
    assert any("differs" in line and WEIGHTS_NAME in line for line in report.lines())


@pytest.mark.slow
def test_calibrate_appends_its_step(tiny_release, tmp_path):
    source = tiny_release / "checkpoints" / "classifier"
    figures = {"temperature": 1.0, "nll": 0.5, "ece": 0.1, "mce": 0.2}
    record = {"temperature": 0.5, "fitted": True, "reason": "fitted", "before": figures,
              "after": {**figures, "temperature": 0.5}, "cross_fitted": None, "n": 8, "split": {"name": "all"},
              "command": "lcr-hub calibrate --data data/tiny.jsonl --output out/calibrated"}
    metadata = retemper(source, tmp_path / "classifier", 0.5, record, reference=read_checkpoint(source).reference)
    assert [s["kind"] for s in metadata.steps] == ["generate", "train", "calibrate"]
    assert metadata.steps[-1]["command"] == record["command"] and metadata.steps[-1]["input"] == str(source)
    assert "3. calibrate:" in (tmp_path / "classifier" / MODEL_CARD_NAME).read_text()


def test_a_release_without_recorded_steps_says_how_to_retrain(tmp_path):
    # As detector-minilm-v8 to v12 were released: metadata without steps.
    release = tmp_path / "release"
    shutil.copytree(default_checkpoint("detector"), release)
    metadata = json.loads((release / METADATA_NAME).read_text())
    del metadata["steps"]
    (release / METADATA_NAME).write_text(json.dumps(metadata))
    with pytest.raises(RebuildError, match="released before steps were recorded.*Retrain with the card's command"):
        rebuild_variant("detector/minilm", tmp_path / "out", release_folder=release)
    assert not (tmp_path / "out").exists()


def test_rebuild_never_writes_into_the_embedded_checkpoints():
    with pytest.raises(RebuildError, match="never writes there"):
        rebuild_variant("detector/minilm", default_checkpoint("detector"))


def test_shipped_cards_list_the_steps_they_record():
    for component in ("detector", "classifier"):
        folder = default_checkpoint(component)
        steps = read_metadata(folder).steps
        card = (folder / MODEL_CARD_NAME).read_text()
        assert steps and "How these bytes were made" in card
        assert [step["kind"] for step in steps][-2:] == ["train", "release"]
        assert all(step["command"] in card for step in steps if step.get("command"))


def test_constraints_file_pins_the_versions_the_rebuildable_checkpoints_record():
    metadata = {c: read_metadata(default_checkpoint(c)) for c in ("detector", "classifier")}
    assert list(rebuildable(metadata)) == ["detector", "classifier"]
    assert constraint_problems(REPO / RELEASE_CONSTRAINTS, pinned_versions(rebuildable(metadata))) == []
    newer = read_metadata(default_checkpoint("classifier"))
    newer.framework["transformers_version"] = "5.99.0"
    assert constraint_problems(REPO / RELEASE_CONSTRAINTS, pinned_versions({"classifier": newer})) == [
        f"transformers: the file pins {metadata['classifier'].framework['transformers_version']}, "
        "the checkpoints record 5.99.0"
    ]
    with pytest.raises(CheckpointError, match="one constraints file cannot rebuild both"):
        pinned_versions({"classifier": metadata["classifier"], "newer": newer})


def test_constraints_script_fails_on_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "release.txt"
    stale.write_text((REPO / RELEASE_CONSTRAINTS).read_text().replace("accelerate==1.16.0", "accelerate==1.15.0"))
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from release_constraints import main
    finally:
        sys.path.remove(str(REPO / "scripts"))
    assert main(["--file", str(stale)]) == 1
    assert "accelerate: the file pins 1.15.0, the checkpoints record 1.16.0" in capsys.readouterr().out
    assert main(["--file", str(stale), "--write"]) == 0 and main(["--file", str(stale)]) == 0
    assert stale.read_text() == (REPO / RELEASE_CONSTRAINTS).read_text()


def test_training_module_command_is_recorded_as_a_runnable_command(monkeypatch):
    from lcr_hub._modules.provenance import command_line

    monkeypatch.setattr(sys, "argv", [str(REPO / "lcr_hub" / "training" / "__main__.py"), "classifier", "--data", "a b"])
    assert command_line() == "python -m lcr_hub.training classifier --data 'a b'"
    monkeypatch.setattr(sys, "argv", [str(REPO / "lcr_hub" / "__main__.py"), "calibrate"])
    assert command_line() == "lcr-hub calibrate"
    assert json.loads(json.dumps(command_line()))  # a plain string


def test_recorded_hardware_names_the_kind_of_machine_not_the_host(monkeypatch):
    """Two machines of one kind (same OS, arch, libc, threads) record the same hardware, so a
    rebuild on another machine can be byte-identical (the kernel build string once broke that)."""
    import platform

    from lcr_hub._modules.provenance import hardware

    first = hardware()
    monkeypatch.setattr(platform, "platform", lambda *a, **k: "Linux-9.9.9-other-build-x86_64-with-glibc2.36")
    monkeypatch.setattr(platform, "release", lambda: "9.9.9-other-build")
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert hardware() == first
    assert "cpu_count" not in first and platform.machine() in first["platform"]


def test_cpu_kernel_choices_are_recorded_and_set_again_by_a_rebuild(monkeypatch):
    """Which kernels torch/MKL/oneDNN run changes the weights, so training records the variables
    that pin them and a replayed step runs with exactly those (and not the caller's)."""
    from lcr_hub._modules.provenance import NUMERICS_ENV, hardware
    from lcr_hub.checkpoint import CheckpointMetadata
    from lcr_hub.rebuild import step_environment

    monkeypatch.setenv("MKL_CBWR", "AVX2,STRICT")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    recorded = hardware()
    assert recorded["numerics_env"] == {"MKL_CBWR": "AVX2,STRICT"}
    assert recorded["cpu_capability"] == torch.backends.cpu.get_cpu_capability()

    shipped = read_metadata(REPO / "checkpoints" / "detector")
    metadata = CheckpointMetadata.from_dict({**shipped.to_dict(), "hardware": recorded})
    caller = {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "PATH": "/bin"}
    env = step_environment(metadata, base=caller)
    assert env["MKL_CBWR"] == "AVX2,STRICT" and "ATEN_CPU_CAPABILITY" not in env and "ONEDNN_MAX_CPU_ISA" not in env
    assert env["OMP_NUM_THREADS"] == str(recorded["torch_num_threads"]) and env["PATH"] == "/bin"
    # The shipped detector was trained with all three pinned: its replay pins them again.
    pinned = step_environment(shipped, base={**caller, "MKL_CBWR": "AVX2"})
    assert {k: pinned[k] for k in NUMERICS_ENV} == shipped.hardware["numerics_env"] == {
        "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    # A release from before the variables were recorded replays with none of them.
    older = CheckpointMetadata.from_dict({**shipped.to_dict(), "hardware": {
        k: v for k, v in shipped.hardware.items() if k not in ("numerics_env", "cpu_capability")}})
    assert not set(NUMERICS_ENV) & set(step_environment(older, base={**caller, "MKL_CBWR": "AVX2"}))


def test_report_names_the_versions_that_changed_and_the_files_that_differ(tmp_path):
    from lcr_hub.rebuild import FileResult, RebuildReport

    report = RebuildReport("classifier/tiny (classifier-tiny-v1)", tmp_path, [
        FileResult("config.json", "ok", "a" * 64, "a" * 64),
        FileResult("training_metadata.json", "differs", "b" * 64, "c" * 64, ["fields that differ: framework: transformers_version"]),
    ], versions=[(2, "train", {"transformers_version": ("5.24.0", "5.25.0")})])
    lines = report.lines()
    assert not report.ok and lines[-1] == "1 ok, 1 differ"
    assert "  differs    training_metadata.json  (registry bbbbbbbbbbbb, rebuilt cccccccccccc)" in lines
    assert "  step 2 (train) recorded other versions than installed: transformers_version 5.24.0 -> 5.25.0" in lines
    assert json.loads(json.dumps(report.to_dict()))["versions"][0]["changes"] == {"transformers_version": ["5.24.0", "5.25.0"]}
