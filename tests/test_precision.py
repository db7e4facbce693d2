"""``--precision float64``: training whose float32 weights do not depend on the CPU's kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lcr_hub._modules.precision import compute_dtype, computed_in, rounded
from lcr_hub._modules.provenance import NUMERICS_ENV
from lcr_hub.checkpoint import read_metadata
from lcr_hub.constants import REFERENCE_NAME, WEIGHTS_NAME
from lcr_hub.errors import ConfigError
from lcr_hub.training import TrainingRun, train_detector

REPO = Path(__file__).resolve().parents[1]
#: The kernels an AVX2-only x86-64 machine runs (what a rebuild on another CPU meets).
AVX2_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def test_computed_in_casts_for_the_block_and_back_exactly():
    layer = torch.nn.Linear(3, 2)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    with computed_in(torch.float64, layer):
        assert layer.weight.dtype == torch.float64
        layer(torch.ones(1, 3, dtype=torch.float64))
    assert all(torch.equal(layer.state_dict()[k], v) and v.dtype == torch.float32 for k, v in before.items())
    with computed_in(None, layer):
        assert layer.weight.dtype == torch.float32
    assert compute_dtype("float64") == torch.float64 and compute_dtype("float32") is None


def test_rounded_keeps_significant_digits_of_nested_floats_only():
    value = {"a": [1 / 3, 2, "x"], "b": (2 / 3,), "n": None, "big": 123456789.123456789}
    assert rounded(value, digits=3) == {"a": [0.333, 2, "x"], "b": (0.667,), "n": None, "big": 123000000.0}
    assert rounded(float("nan"), digits=3) != rounded(float("nan"), digits=3)  # still NaN


def test_float64_is_refused_on_a_causal_base(tiny_training_data, tmp_path):
    run = TrainingRun(data=[str(tiny_training_data)], output=str(tmp_path / "d"), base="some/causal-lm",
                      precision="float64")
    with pytest.raises(ConfigError, match="--precision float64 applies to the embedded encoder only"):
        train_detector(run)
    assert not (tmp_path / "d").exists()


def _train(script: str, data: Path, output: Path, precision: str, kernels: dict[str, str]) -> tuple:
    """Run a training script in a fresh process with these CPU-kernel variables; its weights, reference, metadata."""
    env = {k: v for k, v in os.environ.items() if k not in NUMERICS_ENV} | kernels
    command = [sys.executable, f"scripts/{script}", "--data", str(data), "--epochs", "2", "--validation-fraction",
               "0.25", "--precision", precision, "--no-progress", "--output", str(output)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    metadata = read_metadata(output)
    return (load_file(output / WEIGHTS_NAME), json.loads((output / REFERENCE_NAME).read_text())["outputs"],
            metadata.validation, metadata.training["loss_history"])


@pytest.mark.slow
@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() != "AVX512",
                    reason="compares this CPU's AVX-512 kernels with AVX2's; this CPU has no AVX-512")
@pytest.mark.parametrize("script", ["train_classifier.py", "train_detector.py"])
def test_float64_training_saves_the_same_bytes_with_another_cpus_kernels(script, tiny_training_data, tmp_path):
    """What a rebuild on an AVX2-only machine meets, run here: float32 weights differ, float64 ones do not."""
    native, avx2 = (_train(script, tiny_training_data, tmp_path / f"f64-{k}", "float64", kernels)
                    for k, kernels in (("native", {}), ("avx2", AVX2_KERNELS)))
    for name, tensor in native[0].items():
        assert tensor.dtype == torch.float32 and torch.equal(tensor, avx2[0][name]), name
    assert native[1:] == avx2[1:]  # reference outputs, validation figures, loss history
    f32 = [_train(script, tiny_training_data, tmp_path / f"f32-{k}", "float32", kernels)[0]
           for k, kernels in (("native", {}), ("avx2", AVX2_KERNELS))]
    assert any(not torch.equal(t, f32[1][name]) for name, t in f32[0].items()), "float32 should differ here"
