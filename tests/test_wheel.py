"""The built wheel works on its own: installed into a virtualenv outside the checkout, offline.

The wheel is built from a copy of the package sources, installed with ``--no-deps
--no-index`` into a ``--system-site-packages`` virtualenv (torch, transformers... come from
the system, nothing is downloaded), and every command runs with that venv's Python from a
folder outside the checkout, with no ``PYTHONPATH``. The editable install of lcr_hub is
visible through the system site-packages too, so each test checks which copy answered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, script_env
from lcr_hub.constants import CHECKPOINTS_ENV, REGISTRY_ENV

pytestmark = pytest.mark.slow

#: The top-level packages the wheel holds (the library and the stdlib-only console-script launcher).
#: Source folders the wheel is built from: the packages and the embedded checkpoints (lcr_hub.checkpoints).
SOURCE_FOLDERS = ("lcr_hub", "lcr_hub_cli", "checkpoints")
#: Environment variables that would point the installed package back at a checkout.
CHECKOUT_VARIABLES = ("PYTHONPATH", CHECKPOINTS_ENV, REGISTRY_ENV)
#: Files the wheel must carry besides the modules (package data).
PACKAGE_DATA = ("lcr_hub/hub/registry.json", "lcr_hub/data/sample.jsonl", "lcr_hub/model_cards/detector.md",
                "lcr_hub/checkpoints/detector/model.safetensors", "lcr_hub/checkpoints/classifier/model.safetensors")
#: Two rows for the README's Python usage (text in, probabilities and levels out).
ROWS = [
    {"query": "When did the Harbour Line open?",
     "documents": [{"text": "The Harbour Line opened to passengers in 1911 after six years of work."},
                   {"text": "Local papers reported the Harbour Line's opening in 1914."}]},
    {"query": "How long is the bridge?",
     "documents": [{"text": "The bridge is 420 metres long."}, {"text": "Its span measures 420 metres."}]},
]
#: Run inside the venv: where lcr_hub and its data are, and the README's pipeline on ROWS.
PROBE = """
import json, sys
import lcr_hub
from transformers import AutoModel
from lcr_hub import LCRPipeline
from lcr_hub.checkpoint import default_checkpoint
from lcr_hub.data import SAMPLE_DATA_PATH

detector = AutoModel.from_pretrained(default_checkpoint("detector"))
pred = LCRPipeline.from_pretrained().predict(json.loads(sys.argv[1]), progress=False)
print(json.dumps({"file": lcr_hub.__file__, "sample": str(SAMPLE_DATA_PATH), "detector_class": type(detector).__name__,
                  "embedded": str(default_checkpoint("detector")), "probability": pred.conflict_probability.tolist(),
                  "levels": pred.levels}))
"""


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a fresh venv; return its python, env, cwd and probe output."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"  # a clean copy: no stale build/ or egg-info of the checkout goes in
    for folder in SOURCE_FOLDERS:
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root / "dist"),
         str(source)], env=os.environ.copy(), cwd=root)
    (wheel,) = (root / "dist").glob("lcr_hub-*.whl")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], os.environ.copy(), root)
    python = venv / "bin" / "python"
    # pip from the system site-packages installs into the running (venv) interpreter; -I installs
    # beside the editable lcr-hub of the system instead of trying to uninstall it.
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "-I", str(wheel)], os.environ.copy(), root)
    env = {k: v for k, v in os.environ.items() if k not in CHECKOUT_VARIABLES}
    env["HF_HUB_OFFLINE"] = "1"
    cwd = root / "cwd"
    cwd.mkdir()
    probe = json.loads(run([str(python), "-c", PROBE, json.dumps(ROWS)], env, cwd).stdout.splitlines()[-1])
    return {"wheel": wheel, "venv": venv, "python": str(python), "env": env, "cwd": cwd, "probe": probe}


def test_wheel_carries_the_package_data_and_the_venv_copy_is_imported(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert set(PACKAGE_DATA) <= names
    package = Path(installed["probe"]["file"]).resolve().parent
    assert package.is_relative_to(installed["venv"].resolve()) and not package.is_relative_to(REPO)
    assert Path(installed["probe"]["embedded"]).resolve().is_relative_to(package)
    assert Path(installed["probe"]["sample"]).resolve().is_relative_to(package)
    assert installed["probe"]["detector_class"] == "LCRDetector"


def test_readme_pipeline_from_the_wheel_matches_the_checkout(installed):
    from lcr_hub import LCRPipeline

    ours = LCRPipeline.from_pretrained().predict(ROWS, progress=False)
    np.testing.assert_allclose(installed["probe"]["probability"], ours.conflict_probability, atol=1e-6)
    assert installed["probe"]["levels"] == ours.levels


def _numbers(value, prefix: str = "") -> dict[str, float]:
    """Every number of a nested report, by its dotted path."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _numbers(item, f"{prefix}{key}.").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _numbers(item, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): float(value)} if isinstance(value, (int, float)) else {}


def test_evaluate_from_the_wheel_gives_the_checkouts_figures(installed):
    cwd = installed["cwd"]
    command = ["-m", "lcr_hub", "evaluate", "--bootstrap", "100", "--no-progress", "--output"]
    runs = [subprocess.Popen([python, *command, output], env=env, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # both at once: half the wall time
            for python, env, output in ((installed["python"], installed["env"], "wheel.json"),
                                        (sys.executable, script_env(), "checkout.json"))]
    for process in runs:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{process.args}\n{stdout[-2000:]}\n{stderr[-3000:]}"
    wheel, checkout = (json.loads((cwd / name).read_text()) for name in ("wheel.json", "checkout.json"))
    assert wheel["models"]["detector"]["path"].startswith(str(installed["venv"]))
    for key in ("detector", "classifier"):
        assert wheel["models"][key]["files"] == checkout["models"][key]["files"]
    assert [f["sha256"] for f in wheel["data"]["files"]] == [f["sha256"] for f in checkout["data"]["files"]]
    figures = {key: (wheel[key], checkout[key]) for key in ("n_rows", "detector", "classifier", "oracle_majority_vote")}
    for key, (got, expected) in figures.items():
        got, expected = _numbers(got), _numbers(expected)
        assert got.keys() == expected.keys() and got, key
        assert all(abs(got[k] - expected[k]) <= 1e-9 for k in got), key


def test_calibrate_publish_dry_run_and_variants_from_the_wheel(installed):
    python, env, cwd = installed["python"], installed["env"], installed["cwd"]
    out = run([python, "-m", "lcr_hub", "calibrate", "--data", installed["probe"]["sample"], "--output", "calibrated",
               "--no-progress", "--force"], env, cwd).stdout
    assert "wrote calibrated/detector and calibrated/classifier" in out
    assert all((cwd / "calibrated" / c / "model.safetensors").is_file() for c in ("detector", "classifier"))

    out = run([python, "-m", "lcr_hub", "publish", installed["probe"]["embedded"], "--variant", "detector/minilm",
               "--tag", "x", "--dry-run", "--output", "prepared"], env, cwd).stdout
    assert "dry run: nothing uploaded" in out
    package = Path(installed["probe"]["file"]).parent
    prepared = cwd / "prepared"
    assert (prepared / "modeling_lcr.py").read_bytes() == (package / "models" / "modeling_lcr.py").read_bytes()
    assert 'subfolder="detector/minilm", revision="x"' in (prepared / "README.md").read_text()

    out = run([str(installed["venv"] / "bin" / "lcr-hub"), "variants"], env, cwd).stdout
    assert "detector/minilm" in out and "classifier/minilm" in out


def test_training_runs_from_the_wheel(installed, tiny_training_data):
    from lcr_hub import LCRDetector

    cwd = installed["cwd"]
    result = run([installed["python"], "-m", "lcr_hub.training", "detector", "--data", str(tiny_training_data),
                  "--epochs", "1", "--validation-fraction", "0.25", "--output", "detector", "--no-progress"],
                 installed["env"], cwd)
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["output"] == "detector" and summary["validation"]["benchmark_dev"]["n"] == 16
    metadata = json.loads((cwd / "detector" / "training_metadata.json").read_text())
    assert metadata["command"].startswith("python -m lcr_hub.training detector --data ")
    assert metadata["weights_sha256"] == summary["weights_sha256"]
    assert isinstance(LCRDetector.from_pretrained(cwd / "detector"), LCRDetector)


def test_verify_from_the_wheel_checks_the_embedded_releases_offline(installed):
    embedded = Path(installed["probe"]["embedded"]).parent
    for component in ("detector", "classifier"):
        out = run([installed["python"], "-m", "lcr_hub", "verify", f"{component}/minilm"], installed["env"],
                  installed["cwd"]).stdout
        assert f"{component}/minilm: {embedded / component}\n" in out and out.rstrip().endswith(" ok, 0 bad")
