"""Legacy torch.save state dicts -> from_pretrained folders, reading tensors only."""

from __future__ import annotations

import collections

import pytest
import torch

from lcr_hub import LCRDetector, LCRRefinement
from lcr_hub.errors import CheckpointError
from lcr_hub.cli import main
from lcr_hub.hub.convert import convert_legacy_checkpoint


class Pickled:  # a class torch.load(weights_only=True) must refuse to rebuild
    pass


def test_detector_state_dict_converts_with_sizes_from_shapes(tmp_path):
    torch.manual_seed(0)
    state = collections.OrderedDict(
        [("fc1.weight", torch.randn(8, 16)), ("fc1.bias", torch.randn(8)),
         ("fc2.weight", torch.randn(1, 8)), ("fc2.bias", torch.randn(1))]
    )
    torch.save(state, tmp_path / "detector_llama3_8b.pt")
    assert main(["convert", str(tmp_path / "detector_llama3_8b.pt"), "--output", str(tmp_path / "out"),
                 "--base-model", "meta-llama/Meta-Llama-3-8B", "--layer-index", "16"]) == 0
    model = LCRDetector.from_pretrained(tmp_path / "out")
    assert (model.config.hidden_size, model.config.intermediate_size, model.config.pooling) == (16, 8, "mean")
    assert model.config.base_model_name_or_path == "meta-llama/Meta-Llama-3-8B" and model.config.layer_index == 16
    h = torch.randn(2, 3, 16)
    expected = torch.relu(h.mean(1) @ state["fc1.weight"].T + state["fc1.bias"]) @ state["fc2.weight"].T + state["fc2.bias"]
    torch.testing.assert_close(model(h).logits, expected.squeeze(-1))


def test_refinement_state_dict_converts(tmp_path):
    state = {"w_up.weight": torch.randn(4, 16), "w_down.weight": torch.randn(16, 4)}
    torch.save(state, tmp_path / "refinement.pt")
    main(["convert", str(tmp_path / "refinement.pt"), "--output", str(tmp_path / "out")])
    model = LCRRefinement.from_pretrained(tmp_path / "out")
    assert (model.config.hidden_size, model.config.bottleneck_size) == (16, 4)
    torch.testing.assert_close(model.w_up.weight, state["w_up.weight"])


@pytest.mark.parametrize(
    "content, message",
    [
        ({"model_name": "LCR detector demo", "version": "2.1", "state_dict": {}},
         r"holds no tensors \('model_name': str, 'state_dict': empty dict, 'version': str\)"),
        ({"fc1.weight": torch.zeros(2, 2), "note": "trained on A100"}, r"entries that are not tensors \('note': str\)"),
        ({"fc1.weight": torch.zeros(2, 2), "extra": Pickled()}, r"weights_only=True refused it"),
        ({"encoder.weight": torch.zeros(2, 2)}, r"match neither legacy layout"),
    ],
)
def test_files_that_are_not_plain_legacy_state_dicts_are_refused(tmp_path, content, message):
    torch.save(content, tmp_path / "file.pt")
    with pytest.raises(CheckpointError, match=message):
        convert_legacy_checkpoint(tmp_path / "file.pt", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["convert", str(tmp_path / "file.pt"), "--output", str(tmp_path / "out")]) == 2
