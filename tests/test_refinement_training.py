"""Refinement training on a tiny random causal LM: the loss falls, resuming gives the same weights,
and the script runs under `accelerate launch`; detector training on a causal base."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import script_env

from lcr_hub import LCRDetector, LCRRefinement, LCRSystem
from lcr_hub.data import load_lcr_dataset
from lcr_hub.evaluation.reference import validate_checkpoint
from lcr_hub._hashing import sha256_file
from lcr_hub.encoding.features import load_causal_base
from lcr_hub.training.refinement import RefinementRun, train_refinement
from lcr_hub.encoding import encode_rows, predict_head
from lcr_hub.training import TrainingRun, train_detector

REPO = Path(__file__).resolve().parents[1]
EMBEDDED_METADATA_KEYS = {"component", "command", "seed", "config", "training", "data", "framework", "hardware",
                          "validation", "weights_sha256"}


def run_settings(base, data, output, **overrides) -> RefinementRun:
    settings = dict(base=str(base), data=[str(data)], output=str(output), max_steps=8, batch_size=4,
                    learning_rate=0.01, warmup_steps=1, save_every=4, validation_fraction=0.25, progress=False)
    return RefinementRun(**{**settings, **overrides})


@pytest.mark.slow
def test_refinement_training_lowers_the_loss_and_resumes_to_the_same_weights(tiny_bases, tiny_training_data, tmp_path):
    metadata = train_refinement(run_settings(tiny_bases["llama"], tiny_training_data, tmp_path / "a"))
    history = metadata["training"]["loss_history"]
    assert len(history) == 8 and np.mean(history[-3:]) < np.mean(history[:3])
    held_out = metadata["validation"]["benchmark_dev"]
    assert held_out["n"] == 8 and held_out["mean_steps"] > 0
    assert held_out["answer_ce"] < held_out["answer_ce_unrefined"]  # refinement learned the answers' pattern
    assert set(metadata) - {"steps"} == EMBEDDED_METADATA_KEYS
    assert metadata["component"] == "refinement" and metadata["data"]["n_train_examples"] == 16
    folder = tmp_path / "a"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "checksums.sha256", "config.json",  # its digests
                                                        "model.safetensors", "training_metadata.json"]
    assert metadata["weights_sha256"] == sha256_file(folder / "model.safetensors")
    model = LCRRefinement.from_pretrained(folder)
    assert model.config.base_model_name_or_path == str(tiny_bases["llama"]) and model.config.layer_index == 2
    assert "lambda_kl" in model.config.to_dict() and f"{held_out['answer_ce']:.4f}" in (folder / "README.md").read_text()

    # Four steps, stop, resume to eight: the same weights as eight steps in one go.
    train_refinement(run_settings(tiny_bases["llama"], tiny_training_data, tmp_path / "b", max_steps=4))
    assert json.loads((tmp_path / "b.state" / "trainer_state.json").read_text())["step"] == 4
    resumed = train_refinement(run_settings(tiny_bases["llama"], tiny_training_data, tmp_path / "b", resume=True))
    assert resumed["training"]["resumed_from_step"] == 4 and resumed["training"]["loss_history"] == history
    assert resumed["weights_sha256"] == metadata["weights_sha256"]

    with pytest.raises(Exception, match="other settings"):  # a state of other settings is refused
        train_refinement(run_settings(tiny_bases["llama"], tiny_training_data, tmp_path / "b", resume=True,
                                      learning_rate=0.02))
    with pytest.raises(Exception, match="missing"):
        train_refinement(run_settings(tiny_bases["llama"], tiny_training_data, tmp_path / "c", resume=True))
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_refinement_script_runs_under_accelerate_launch(tiny_bases, tiny_training_data, tmp_path):
    out = tmp_path / "ref"
    result = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "1", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no",
         str(REPO / "scripts" / "train_refinement.py"), "--base", str(tiny_bases["gpt2"]), "--data",
         str(tiny_training_data), "--output", str(out), "--max-steps", "2", "--batch-size", "4",
         "--validation-fraction", "0.25", "--no-progress"],
        capture_output=True, text=True, timeout=300, env=script_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["weights_sha256"] == sha256_file(out / "model.safetensors")
    metadata = json.loads((out / "training_metadata.json").read_text())
    assert "train_refinement.py" in metadata["command"] and metadata["training"]["num_processes"] == 1


@pytest.mark.slow
def test_detector_trains_on_a_causal_base(tiny_bases, tiny_training_data, tmp_path, short_rows):
    run = TrainingRun(base=str(tiny_bases["gpt2"]), data=[str(tiny_training_data)], output=str(tmp_path / "det"),
                      epochs=2, validation_fraction=0.25, progress=False)
    metadata = train_detector(run)
    assert set(metadata) - {"steps"} == EMBEDDED_METADATA_KEYS and metadata["validation"]["benchmark_dev"]["n"] == 16
    detector = LCRDetector.from_pretrained(tmp_path / "det")
    assert detector.config.pooling == "mean" and detector.config.layer_index == 2  # half of 4 blocks
    assert detector.config.base_model_name_or_path == str(tiny_bases["gpt2"])
    assert validate_checkpoint(tmp_path / "det")["ok"]  # reference outputs recomputed through the causal base
    assert "lcr-detector-gpt2" in (tmp_path / "det" / "README.md").read_text()

    # The cached one-token means give the detector the same probabilities as every token would.
    base = load_causal_base(str(tiny_bases["gpt2"]))
    rows = load_lcr_dataset(tiny_training_data).to_list()[:5]
    full = predict_head(detector, encode_rows(base, rows, [2], progress=False))
    means = predict_head(detector, encode_rows(base, rows, [2], progress=False, mean_only=True))
    np.testing.assert_allclose(means, full, atol=1e-6)
    # ... and the same as the system's hook on the prompt pass.
    system = LCRSystem(base, detector, _zero_refinement(detector.config))
    results = system.generate(rows, max_new_tokens=1, batch_size=5)
    np.testing.assert_allclose([r.conflict_probability for r in results], full, atol=1e-5)


def _zero_refinement(config) -> LCRRefinement:
    from lcr_hub import LCRRefinementConfig

    model = LCRRefinement(LCRRefinementConfig(hidden_size=config.hidden_size, layer_index=config.layer_index))
    with torch.no_grad():
        model.w_up.weight.zero_()
    return model
