"""The embedded encoder: pinned sha256, resolution, one pass with document masks."""

import dataclasses

import pytest
import torch

from lcr_hub.errors import ConfigError, EncoderError
from lcr_hub.encoding import features
from lcr_hub.constants import DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION, DEFAULT_ENCODER_WEIGHTS_SHA256
from lcr_hub.data import document_separator, format_example
from lcr_hub._hashing import sha256_file
from lcr_hub.encoding.features import resolve_encoder


def test_sha256_file_matches_hashlib(tmp_path):
    import hashlib

    path = tmp_path / "blob"
    path.write_bytes(b"x" * (9 * 1024 * 1024 + 3))
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_embedded_encoder_resolves_to_the_pinned_weights():
    path, revision = resolve_encoder(DEFAULT_ENCODER_ID, DEFAULT_ENCODER_REVISION)
    assert revision is None
    assert sha256_file(f"{path}/model.safetensors") == DEFAULT_ENCODER_WEIGHTS_SHA256


def test_other_revision_of_the_embedded_id_is_refused():
    with pytest.raises(EncoderError, match="not the embedded encoder"):
        resolve_encoder(DEFAULT_ENCODER_ID, "0" * 40)


def test_other_ids_pass_through():
    assert resolve_encoder("org/model", "abc") == ("org/model", "abc")


@pytest.mark.slow
def test_one_pass_returns_requested_layers(encoder):
    sep = document_separator(encoder.tokenizer)
    examples = [format_example("q?", ["first doc.", "second doc."], sep), format_example("q2?", ["only one."], sep)]
    states, batch = encoder.hidden_states(examples, [3, 6])
    assert set(states) == {3, 6}
    assert states[3].shape == (*batch["input_ids"].shape, 384)
    assert batch["document_mask"][0].max() == 1 and batch["document_mask"][1].max() == 0
    # Padding does not change a row's states at its real tokens.
    alone, _ = encoder.hidden_states(examples[1:], [3])
    n = int(batch["attention_mask"][1].sum())
    torch.testing.assert_close(states[3][1, :n], alone[3][0, :n], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("family", ["embedded", "llama", "gpt2"])
def test_middle_layers_come_from_a_pass_that_stops_at_the_deepest(family, encoder, tiny_bases):
    from lcr_hub._modules.placement import decoder_blocks
    from lcr_hub.encoding.features import load_causal_base

    base = encoder if family == "embedded" else load_causal_base(str(tiny_bases[family]))
    examples = [base.format("When did it open?", ["It opened in 1911.", "The opening was in 1914, after delays."]),
                base.format("Who built it?", ["Mara Holt built it."])]
    blocks = decoder_blocks(base.model)
    calls = []
    handles = [block.register_forward_hook(lambda m, a, o, i=i: calls.append(i)) for i, block in enumerate(blocks)]
    try:
        states, batch = base.hidden_states(examples, [2, 1])
        assert sorted(set(calls)) == [0, 1]  # the blocks above hidden_states[2] never ran
        full = base.model(**base.model_inputs(batch), output_hidden_states=True).hidden_states
    finally:
        for handle in handles:
            handle.remove()
    assert list(states) == [2, 1]
    for k in (1, 2):
        torch.testing.assert_close(states[k], full[k], atol=0, rtol=0)
    # The last state (after a final norm in causal LMs) still comes from a full pass.
    last, _ = base.hidden_states(examples, [len(blocks)])
    torch.testing.assert_close(last[len(blocks)], full[len(blocks)], atol=0, rtol=0)


def test_a_model_whose_blocks_cannot_be_found_gets_a_full_pass(encoder, monkeypatch):
    examples = [encoder.format("Who built it?", ["Mara Holt built it.", "It was built by a firm."])]
    expected, _ = encoder.hidden_states(examples, [3])

    def no_blocks(model):
        raise ConfigError("no blocks")

    monkeypatch.setattr(features, "decoder_blocks", no_blocks)
    states, _ = dataclasses.replace(encoder).hidden_states(examples, [3])  # a fresh instance: blocks looked up anew
    torch.testing.assert_close(states[3], expected[3], atol=0, rtol=0)
