"""lcr_hub.checkpoint: the one writer and reader of a checkpoint folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoModel

import lcr_hub  # noqa: F401 (registers the Auto classes and the verified loading)
from lcr_hub._hashing import sha256_file
from lcr_hub.checkpoint import (
    CheckpointMetadata,
    default_checkpoint,
    prepare_release,
    read_checkpoint,
    read_manifest,
    read_metadata,
    retemper,
    write_checkpoint,
)
from lcr_hub.constants import CHECKSUMS_NAME, METADATA_NAME, REFERENCE_NAME, WEIGHTS_NAME
from lcr_hub.errors import CheckpointError, IntegrityError
from lcr_hub.models.configuration_lcr import LCRDetectorConfig
from lcr_hub.models.modeling_lcr import LCRDetector

WRITTEN = ["README.md", CHECKSUMS_NAME, "config.json", WEIGHTS_NAME, REFERENCE_NAME, METADATA_NAME]


@pytest.mark.parametrize("component", ["detector", "classifier"])
def test_embedded_metadata_round_trips_byte_for_byte(component):
    path = default_checkpoint(component) / METADATA_NAME
    metadata = read_metadata(path.parent)
    assert isinstance(metadata, CheckpointMetadata) and metadata.component == component
    assert metadata.to_json().encode() == path.read_bytes()
    assert CheckpointMetadata.from_dict(json.loads(path.read_text())).to_json() == path.read_text()


def test_unknown_keys_are_kept_after_the_known_ones():
    source = json.loads((default_checkpoint("detector") / METADATA_NAME).read_text())
    metadata = CheckpointMetadata.from_dict({**source, "notes": {"by": "hand"}})
    assert metadata.extra == {"notes": {"by": "hand"}} and list(metadata.to_dict())[-1] == "notes"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.pop("seed"), r"field 'seed' is missing"),
        (lambda m: m.update(seed="42"), r"field 'seed' must be int"),
        (lambda m: m["data"]["files"][0].pop("sha256"), r"data.files\[0\]: field 'sha256' is missing"),
        (lambda m: m.update(calibration=[1]), r"field 'calibration' must be an object"),
    ],
)
def test_malformed_metadata_names_the_file_and_field(tmp_path, edit, message):
    folder = tmp_path / "ckpt"
    shutil.copytree(default_checkpoint("detector"), folder)
    metadata = json.loads((folder / METADATA_NAME).read_text())
    edit(metadata)
    (folder / METADATA_NAME).write_text(json.dumps(metadata))
    with pytest.raises(CheckpointError, match=message) as error:
        read_metadata(folder)
    assert str(folder / METADATA_NAME) in str(error.value)


def _tiny_detector() -> LCRDetector:
    torch.manual_seed(0)
    return LCRDetector(LCRDetectorConfig(hidden_size=8, intermediate_size=4, pooling="mean"))


def _metadata_for(model) -> CheckpointMetadata:
    """The embedded detector's metadata, describing ``model``'s config (enough for a card)."""
    metadata = read_metadata(default_checkpoint("detector"))
    metadata.config = model.config.to_dict()
    metadata.weights_sha256 = ""
    return metadata


def _calibration_record(temperature: float) -> dict:
    """A calibration record shaped as ``calibrate`` writes it (fixture figures)."""
    scores = {"nll": 0.08, "ece": 0.07, "mce": 0.5}
    return {
        "temperature": temperature, "fitted": True, "reason": "fitted by minimising the NLL",
        "before": {"temperature": 1.0, **scores}, "after": {"temperature": temperature, **scores},
        "cross_fitted": {"temperatures": [temperature, temperature], "before": scores, "after": scores},
        "n": 12, "split": {"name": "all"}, "data": [], "command": "lcr-hub calibrate --data x.jsonl --output out",
    }


REFERENCE = {"dtype": "float32", "inputs": [{"query": "q", "documents": [{"text": "d"}]}], "outputs": [0.25]}


@pytest.fixture()
def written(tmp_path) -> Path:
    model = _tiny_detector()
    write_checkpoint(tmp_path / "ckpt", model, _metadata_for(model), reference=REFERENCE)
    return tmp_path / "ckpt"


def test_write_checkpoint_writes_every_file_and_its_digests(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(WRITTEN)
    assert sorted(p.name for p in written.parent.iterdir()) == ["ckpt"]  # no staging leftovers
    checkpoint = read_checkpoint(written)
    assert checkpoint.model_type == "lcr_detector" and checkpoint.reference == REFERENCE
    assert checkpoint.metadata.weights_sha256 == sha256_file(written / WEIGHTS_NAME)
    assert {name: d.sha256 for name, d in checkpoint.manifest.items()} == {
        name: sha256_file(written / name) for name in WRITTEN if name != CHECKSUMS_NAME
    }
    assert "## " in (written / "README.md").read_text()  # the card is rendered from the metadata


def test_rewriting_an_unchanged_checkpoint_gives_identical_bytes(written, tmp_path):
    again = tmp_path / "again"
    model = LCRDetector.from_pretrained(written)
    write_checkpoint(again, model, read_metadata(written), reference=read_checkpoint(written).reference)
    for name in WRITTEN:
        assert (again / name).read_bytes() == (written / name).read_bytes(), name


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # inside the tensor data: the file still parses
    path.write_bytes(bytes(data))


def test_a_flipped_weight_byte_is_refused_by_every_local_load_path(written):
    LCRDetector.from_pretrained(written)  # loads while intact
    _flip_last_byte(written / WEIGHTS_NAME)
    with pytest.raises(IntegrityError, match="model.safetensors"):
        LCRDetector.from_pretrained(written)
    with pytest.raises(IntegrityError, match="model.safetensors"):
        AutoModel.from_pretrained(written)


def test_retemper_copies_with_a_new_temperature_and_fresh_digests(written, tmp_path):
    out = tmp_path / "calibrated"
    record = _calibration_record(1.5)
    reference = {**REFERENCE, "outputs": [0.3]}
    metadata = retemper(written, out, 1.5, record, reference=reference)
    checkpoint = read_checkpoint(out)
    assert checkpoint.config["calibration_temperature"] == 1.5 == checkpoint.metadata.temperature
    assert checkpoint.metadata.calibration == record == metadata.calibration
    assert record["validation_temperature"] == 1.0  # the stored figures were measured before
    assert checkpoint.reference == reference
    assert sha256_file(out / WEIGHTS_NAME) == sha256_file(written / WEIGHTS_NAME)
    assert {n: d.sha256 for n, d in read_manifest(out).items()} == {
        n: sha256_file(out / n) for n in WRITTEN if n != CHECKSUMS_NAME
    }
    assert LCRDetector.from_pretrained(out).config.calibration_temperature == 1.5
    with pytest.raises(CheckpointError, match="source checkpoint"):
        retemper(written, written, 2.0, {})
    with pytest.raises(CheckpointError, match="recomputed reference"):
        retemper(written, tmp_path / "x", 2.0, {})


@pytest.mark.parametrize("write", ["retemper", "prepare_release"])
def test_copies_refuse_bytes_that_do_not_match_the_source_record(written, tmp_path, write):
    _flip_last_byte(written / WEIGHTS_NAME)
    out = tmp_path / "copy"
    with pytest.raises(IntegrityError, match="Checkpoint hash mismatch"):
        if write == "retemper":
            retemper(written, out, 1.5, _calibration_record(1.5), reference=REFERENCE)
        else:
            prepare_release(written, out, config={}, card="card")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_prepare_release_replaces_config_card_and_manifest(written, tmp_path):
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    digests = prepare_release(written, tmp_path / "release", config={"b": 1, "a": 2}, card="# card\n",
                              extra_files={"modeling.py": code})
    release = tmp_path / "release"
    assert (release / "config.json").read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert (release / "README.md").read_text() == "# card\n" and (release / "modeling.py").read_text() == "x = 1\n"
    assert set(digests) == {p.name for p in release.iterdir()} == {*WRITTEN, "modeling.py"}
    assert all(d.sha256 == sha256_file(release / n) for n, d in digests.items())


def test_a_converted_checkpoint_without_metadata_still_carries_digests(tmp_path):
    write_checkpoint(tmp_path / "c", _tiny_detector(), None)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [CHECKSUMS_NAME, "config.json", WEIGHTS_NAME]
    checkpoint = read_checkpoint(tmp_path / "c")
    assert checkpoint.metadata is None and checkpoint.reference is None and set(checkpoint.manifest) == {
        "config.json", WEIGHTS_NAME}


def test_read_checkpoint_refuses_a_folder_without_config(tmp_path):
    with pytest.raises(CheckpointError, match="has no config.json"):
        read_checkpoint(tmp_path)
